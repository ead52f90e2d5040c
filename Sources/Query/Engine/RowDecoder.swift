import Foundation
import VireoStorage

/// Decodes one result row into a Decodable type: each key is a column name.
struct RowDecoder: Decoder {
    let names: [String]
    let values: [Value]
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Value].self, .init(codingPath: codingPath, debugDescription: "rows decode as keyed containers"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard values.count == 1 else {
            throw DecodingError.typeMismatch(Value.self, .init(codingPath: codingPath, debugDescription: "a single value needs a one-column result"))
        }
        return ValueContainer(value: values[0], codingPath: codingPath)
    }

    func value(_ key: any CodingKey) throws -> Value {
        guard let index = names.firstIndex(of: key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no column \"\(key.stringValue)\""))
        }
        return values[index]
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: RowDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { decoder.names.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { decoder.names.contains(key.stringValue) }
    func decodeNil(forKey key: Key) throws -> Bool { try decoder.value(key).isNull }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try ValueContainer(value: decoder.value(key), codingPath: codingPath + [key]).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "columns hold no nested objects"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Value].self, .init(codingPath: codingPath, debugDescription: "columns hold no arrays"))
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
}

/// One column's value as a Swift value.
private struct ValueContainer: SingleValueDecodingContainer {
    let value: Value
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value.isNull }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let converted = convert(type) { return converted }
        throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "cannot read \(SQLType(of: value)) as \(type)"))
    }

    private func convert<T>(_ type: T.Type) -> T? {
        switch value {
        case .int(let number):
            if type == Int.self { return Int(exactly: number) as? T }
            if type == Int64.self { return number as? T }
            if type == Int32.self { return Int32(exactly: number) as? T }
            if type == Double.self { return Double(number) as? T }
            if type == Bool.self { return (number != 0) as? T }
        case .double(let number):
            if type == Double.self { return number as? T }
            if type == Float.self { return Float(number) as? T }
        case .text(let text), .json(let text):
            if type == String.self { return text as? T }
        case .bool(let flag):
            if type == Bool.self { return flag as? T }
        case .bytes(let bytes):
            if type == Data.self { return Data(bytes) as? T }
            if type == [UInt8].self { return bytes as? T }
        case .vector(let vector):
            if type == [Float].self { return vector as? T }
        case .timestamp(let micros):
            if type == Date.self { return Date(timeIntervalSince1970: Double(micros) / 1_000_000) as? T }
            if type == Int64.self { return micros as? T }
        case .interval(let interval):
            if type == String.self { return IntervalMath.format(interval) as? T }
        case .numeric(let number):
            if type == Decimal.self { return Decimal(string: number.description) as? T }
            if type == Double.self { return number.double as? T }
            if type == Int.self || type == Int64.self {
                guard number.normalized.scale == 0, let integer = number.roundedInt64 else { return nil }
                return (type == Int.self ? Int(exactly: integer) as Any : integer as Any) as? T
            }
        case .array(let elements):
            if type == [Value].self { return elements as? T }
            if type == [String].self { return elements.map { Cast.textForm($0) } as? T }
            if type == [Int].self { return elements.compactMap { ArrayFunctions.integer($0).flatMap { Int(exactly: $0) } } as? T }
            if type == [Int64].self { return elements.compactMap(ArrayFunctions.integer) as? T }
            if type == [Double].self { return elements.compactMap(Operators.number) as? T }
        case .null:
            return nil
        }
        if type == Value.self { return value as? T }
        if type == String.self { return value.text as? T }
        return nil
    }
}
