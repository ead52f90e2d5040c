import Hummingbird
import VireoQuery
import VireoStorage

/// JSON answers.
enum JSONResponse {
    static func make(_ body: JSONValue, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }
}

extension JSONValue {
    /// The member `key` of an object (nil for other values or a missing key).
    func member(_ key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    /// An object from pairs, keeping their order.
    static func fields(_ pairs: (String, JSONValue)...) -> JSONValue { .object(pairs) }

    static func integer(_ number: Int) -> JSONValue { .number(Double(number)) }

    /// A stored value as JSON: numbers as numbers, `jsonb` as the document itself, vectors
    /// as arrays, timestamps as ISO 8601 text in UTC, `bytea` as PostgreSQL's `\x…` hex.
    /// Integers beyond ±2^53 lose precision, as they do in JavaScript.
    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(Double(number))
        case .double(let number): self = number.isFinite ? .number(number) : .string(value.text ?? "")
        case .text(let text): self = .string(text)
        case .json(let text): self = (try? JSONValue.parse(text)) ?? .string(text)
        case .timestamp(let micros): self = .string(TimestampText.format(micros).replacingOccurrences(of: " ", with: "T") + "Z")
        // Float's own shortest digits, so 0.1 stays 0.1 rather than 0.10000000149011612.
        case .vector(let elements): self = .array(elements.map { .number(Double($0.description) ?? Double($0)) })
        case .bytes, .interval: self = .string(value.text ?? "")
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .numeric(let number): self = .number(number.double)
        }
    }

    /// A value of a result column of `type`: a date as `2024-01-02` (a date is a timestamp at
    /// midnight inside, which `init(_:)` would show with its time); the rest as `init(_:)`.
    init(_ value: Value, type: SQLType) {
        if type == SQLType.date, case .timestamp = value {
            self = .string(value.text(as: SQLType.date) ?? "")
        } else {
            self.init(value)
        }
    }

    /// A request value as a parameter with no column to guide it: the engine casts it to
    /// whatever type its place in the statement needs, as it does a quoted literal.
    var parameter: Value {
        switch self {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): Int64(exactly: number).map(Value.int) ?? .double(number)
        case .numeric(let number): .numeric(number)
        case .string(let text): .text(text)
        case .array(let items): items.vectorElements.map(Value.vector) ?? .json(text)
        case .object: .json(text)
        }
    }

    /// A request value for a column of type `type`, or a 422 naming `field`.
    func parameter(for type: ColumnType, field: String) throws(RESTError) -> Value {
        if case .null = self { return .null }
        switch type {
        case .json, .jsonText: return .json(text)
        case .vector, .halfvec:
            guard case .array(let items) = self, let elements = items.vectorElements else {
                throw .invalid(field, "must be an array of numbers (\(type.name))")
            }
            return try converted(.vector(elements), to: type, field)
        case .array(let element):
            guard case .array(let items) = self else { throw .invalid(field, "must be an array (\(type.name))") }
            return .array(try items.map { item throws(RESTError) in try item.parameter(for: element, field: field) })
        default:
            if case .array = self { throw .invalid(field, "must be a single value of type \(type.name)") }
            if case .object = self { throw .invalid(field, "must be a single value of type \(type.name)") }
            // REST's timestamps are instants: an offset converts to UTC (a SQL cast to
            // timestamp would read it and drop it, as PostgreSQL's does).
            if type.withoutFractionalSeconds == .timestamp, case .string = self { return try converted(converted(parameter, to: .timestamptz, field), to: type, field) }
            return try converted(parameter, to: type, field)
        }
    }

    private func converted(_ value: Value, to type: ColumnType, _ field: String) throws(RESTError) -> Value {
        do {
            return try Cast.assign(value, to: type)
        } catch let error as VireoError {
            throw .invalid(field, error.message)
        } catch {
            throw .invalid(field, "cannot be stored as \(type.name)")
        }
    }
}

extension [JSONValue] {
    /// The elements as a vector when every one is a number.
    var vectorElements: [Float]? {
        var elements: [Float] = []
        elements.reserveCapacity(count)
        for item in self {
            guard case .number(let number) = item else { return nil }
            elements.append(Float(number))
        }
        return elements
    }
}
