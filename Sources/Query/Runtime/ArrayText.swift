import VireoStorage

/// PostgreSQL's text form of an array: `{1,2,NULL}`, `{"a b","say \"hi\""}`, `{{1,2},{3,4}}`.
/// Vireo's arrays have lower bound 1 (Value+Array.swift): input declaring other bounds
/// (`[0:1]={1,2}`) is refused (0A000) rather than shifted.
public enum ArrayText {
    /// Parses `text` as an array of `element`, each element's text converted as a literal of
    /// that type would be. Throws 22P02 `malformed array literal` as PostgreSQL words it.
    static func parse(_ text: String, element: SQLType) throws -> Value {
        var reader = Reader(bytes: Array(text.utf8), text: text)
        return try reader.parse().mappingArrayLeaves { item in
            item.isNull ? .null : try Cast.convert(item, to: element)
        }
    }

    /// PostgreSQL's MAXDIM.
    public static let dimensionsMax = 6

    /// 54000, as PostgreSQL words it.
    public static func tooManyDimensions(_ count: Int) -> VireoError {
        VireoError(.limitExceeded, "number of array dimensions (\(count)) exceeds the maximum allowed (\(dimensionsMax))")
    }

    /// The array's text: elements in their own text form (as `element` prints them when
    /// given), quoted where array input would otherwise misread them.
    static func format(_ elements: [Value], element: SQLType?) -> String {
        "{" + elements.map { value -> String in
            if case .array(let inner) = value { return format(inner, element: element) }
            guard let text = element.map({ value.text(as: $0) }) ?? value.text else { return "NULL" }
            return needsQuotes(text) ? quoted(text) : text
        }.joined(separator: ",") + "}"
    }

    static func needsQuotes(_ text: String) -> Bool {
        text.isEmpty || isNullWord(text) || text.utf8.contains { byte in
            byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "\\") || isSpace(byte)
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// `NULL` in any case: the word array input reads as a NULL element.
    static func isNullWord(_ text: String) -> Bool {
        text.count == 4 && text.uppercased() == "NULL"
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// A parsed literal: an element's text (nil for NULL) or a sub-array's items.
    private indirect enum Node {
        case element(String?)
        case list([Node])
    }

    /// A cursor over the literal's bytes; elements come back as text (nil for NULL).
    private struct Reader {
        let bytes: [UInt8]
        let text: String
        var offset = 0

        mutating func parse() throws -> Value {
            skipSpaces()
            let declared = try dimensionDecoration()
            guard peek == UInt8(ascii: "{") else { throw malformed("Array value must start with \"{\" or dimension information.") }
            let root = try list(depth: 1)
            try expectEnd()
            let value = try shaped(root)
            if let declared, declared != value.arrayDimensions {
                throw malformed("Specified array dimensions do not match array contents.")
            }
            return value
        }

        /// `[1:3][1:2]=` before the braces: the declared lengths (nil when absent). Only lower
        /// bound 1 is supported (Value+Array.swift); others are refused rather than shifted.
        private mutating func dimensionDecoration() throws -> [Int]? {
            guard peek == UInt8(ascii: "[") else { return nil }
            var lengths: [Int] = []
            while peek == UInt8(ascii: "[") {
                offset += 1
                let lower = try integer()
                guard peek == UInt8(ascii: ":") else { throw malformed("Missing \":\" in dimensions.") }
                offset += 1
                let upper = try integer()
                guard peek == UInt8(ascii: "]") else { throw malformed("Missing \"]\" after array dimensions.") }
                offset += 1
                guard upper >= lower else { throw malformed("Upper bound cannot be less than lower bound.") }
                guard lower == 1 else {
                    throw VireoError(.featureNotSupported, "array lower bounds other than 1 are not supported: \"\(text)\"")
                }
                lengths.append(upper)
            }
            guard peek == UInt8(ascii: "=") else { throw malformed("Missing \"=\" after array dimensions.") }
            offset += 1
            skipSpaces()
            return lengths
        }

        private mutating func integer() throws -> Int {
            let start = offset
            if peek == UInt8(ascii: "-") || peek == UInt8(ascii: "+") { offset += 1 }
            while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { offset += 1 }
            guard let number = Int(String(decoding: bytes[start..<offset], as: UTF8.self)) else {
                throw malformed("Array bound is not an integer.")
            }
            return number
        }

        /// `{…}` at `depth`: its items, each an element or (all of them) a sub-array.
        private mutating func list(depth: Int) throws -> Node {
            guard depth <= ArrayText.dimensionsMax else { throw ArrayText.tooManyDimensions(depth) }
            offset += 1
            var items: [Node] = []
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                offset += 1
                return .list(items)
            }
            while true {
                skipSpaces()
                if peek == UInt8(ascii: "{") {
                    items.append(try list(depth: depth + 1))
                } else {
                    items.append(.element(try element()))
                }
                skipSpaces()
                switch peek {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"):
                    offset += 1
                    return .list(items)
                default: throw malformed("Unexpected array element.")
                }
            }
        }

        /// The tree as a value: sub-arrays all of one shape, none empty, no element beside one.
        private func shaped(_ node: Node) throws -> Value {
            guard case .list(let items) = node else { throw malformed("Unexpected array element.") }
            let values = try items.map { item -> Value in
                if case .element(let text) = item { return text.map(Value.text) ?? .null }
                return try shaped(item)
            }
            let subArrays = values.filter(\.isArray)
            guard !subArrays.isEmpty else { return .array(values) }
            let shape = subArrays[0].arrayDimensions
            guard subArrays.count == values.count, !shape.isEmpty, subArrays.allSatisfy({ $0.arrayDimensions == shape }) else {
                throw malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
            }
            return .array(values)
        }

        private mutating func element() throws -> String? {
            switch peek {
            case UInt8(ascii: "\""): return try quotedElement()
            case UInt8(ascii: ","), UInt8(ascii: "}"), nil: throw malformed("Unexpected \"\(peek.map { String(UnicodeScalar($0)) } ?? "end")\" character.")
            default: return try plainElement()
            }
        }

        private mutating func quotedElement() throws -> String {
            offset += 1
            var item: [UInt8] = []
            while let byte = peek {
                offset += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: item, as: UTF8.self) }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = peek else { break }
                    offset += 1
                    item.append(escaped)
                } else {
                    item.append(byte)
                }
            }
            throw malformed("Unexpected end of input.")
        }

        /// An unquoted element: up to `,` or `}`, backslash escapes kept literally, trailing
        /// spaces dropped; `NULL` in any case (unquoted, unescaped) is NULL.
        private mutating func plainElement() throws -> String? {
            var item: [UInt8] = []
            var escapedLength = 0
            while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}") {
                offset += 1
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") { throw malformed("Unexpected \"\(UnicodeScalar(byte))\" character.") }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = peek else { throw malformed("Unexpected end of input.") }
                    offset += 1
                    item.append(escaped)
                    escapedLength = item.count
                } else {
                    item.append(byte)
                }
            }
            while item.count > escapedLength, let last = item.last, isSpace(last) { item.removeLast() }
            let value = String(decoding: item, as: UTF8.self)
            if escapedLength == 0, ArrayText.isNullWord(value) { return nil }
            return value
        }

        private var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        private mutating func skipSpaces() {
            while let byte = peek, ArrayText.isSpace(byte) { offset += 1 }
        }

        private mutating func expectEnd() throws {
            skipSpaces()
            guard peek == nil else { throw malformed("Junk after closing right brace.") }
        }

        /// PostgreSQL's message; `detail` (its DETAIL line) says what was wrong, for readers here.
        private func malformed(_ detail: String) -> VireoError {
            VireoError(.invalidTextRepresentation, "malformed array literal: \"\(text)\"")
        }
    }
}

