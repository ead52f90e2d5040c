import Foundation
import VireoStorage

/// A built-in scalar function.
struct ScalarFunction: Sendable {
    let name: String
    let arity: ClosedRange<Int>
    /// Types unknown-typed arguments (string literals, parameters) are converted to.
    let parameterTypes: [SQLType]
    /// NULL in any argument gives NULL without calling the body.
    let isStrict: Bool
    /// Gives a different answer on each call (now(), random()): never folded.
    let isVolatile: Bool
    let resultType: @Sendable ([SQLType]) -> SQLType
    let body: @Sendable ([Value]) throws -> Value
    /// For functions that read the statement's data (bm25's corpus statistics): called
    /// instead of `body`, with the context.
    var contextBody: (@Sendable ([Value], ExecutionContext) throws -> Value)? = nil

    func call(_ arguments: [Value]) throws -> Value {
        if isStrict && arguments.contains(where: \.isNull) { return .null }
        return try body(arguments)
    }

    /// The type an unknown argument at `position` should be converted to.
    func parameterType(at position: Int) -> SQLType {
        parameterTypes.isEmpty ? .unknown : parameterTypes[min(position, parameterTypes.count - 1)]
    }
}

extension ScalarFunction {
    init(_ name: String, _ arity: ClosedRange<Int>, _ parameterTypes: [SQLType], strict: Bool = true,
         volatile: Bool = false, returns: SQLType, _ body: @escaping @Sendable ([Value]) throws -> Value) {
        self.init(name: name, arity: arity, parameterTypes: parameterTypes, isStrict: strict, isVolatile: volatile,
                  resultType: { _ in returns }, body: body)
    }

    init(_ name: String, _ arity: ClosedRange<Int>, _ parameterTypes: [SQLType], strict: Bool = true,
         resultType: @escaping @Sendable ([SQLType]) -> SQLType, _ body: @escaping @Sendable ([Value]) throws -> Value) {
        self.init(name: name, arity: arity, parameterTypes: parameterTypes, isStrict: strict, isVolatile: false,
                  resultType: resultType, body: body)
    }

    /// Looks a function up by name and argument count, with PostgreSQL's error otherwise
    /// (naming the argument types when the caller knows them).
    static func lookup(_ name: String, argumentCount: Int, argumentTypes: [SQLType]? = nil) throws -> ScalarFunction {
        guard let function = Functions.all[name], function.arity.contains(argumentCount) else {
            throw VireoError.undefinedFunction(name, argumentTypes.map { $0.map(\.description) } ?? ["\(argumentCount) arguments"])
        }
        return function
    }
}

/// The catalogue of built-in scalar functions.
enum Functions {
    static let all: [String: ScalarFunction] = Dictionary(
        (numericMath + text + moreText + math + moreMath + regex + json + vector + misc + catalog + dateTime + dateFormatting + intervals
         + textSearch + session + privilegeChecks + visibilityChecks + BitString.functions + dateConstruction + extensions + [similarTo]).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// strpos(haystack, needle): where needle starts, in characters from 1; 0 when absent.
    @Sendable static func textPosition(_ arguments: [Value]) throws -> Value {
        // By bytes, as PostgreSQL matches: no Unicode equivalence (é is not e + U+0301).
        let haystack = Array(string(arguments[0]).utf8), needle = Array(string(arguments[1]).utf8)
        // The empty string is found at once, as PostgreSQL's text_position finds it.
        if needle.isEmpty { return .int(1) }
        guard let range = haystack.firstRange(of: needle) else { return .int(0) }
        return .int(Int64(haystack[..<range.lowerBound].filter { $0 & 0xC0 != 0x80 }.count + 1))
    }

    static func string(_ value: Value) -> String { Cast.textForm(value) }

    /// The number of bytes of a bytea value; nil for any other.
    static func byteCount(_ value: Value) -> Int? {
        if case .bytes(let bytes) = value { bytes.count } else { nil }
    }

    static func int(_ value: Value) throws -> Int64 {
        switch value {
        case .int(let number): return number
        case .double(let number): return try Cast.roundToInt(number)
        case .numeric(let number):
            guard let integer = number.roundedInt64 else { throw VireoError(.numericOutOfRange, "bigint out of range") }
            return integer
        default: return try Cast.parseInt(string(value))
        }
    }

    static func double(_ value: Value) throws -> Double {
        if let number = Operators.number(value) { return number }
        return try Cast.parseDouble(string(value))
    }

    static func vector(_ value: Value) throws -> [Float] {
        if case .vector(let elements) = value { return elements }
        return try VectorText.parse(string(value))
    }

    static let text: [ScalarFunction] = [
        ScalarFunction("lower", 1...1, [.text], returns: .text) { .text(try TextBuilding.changedCase(string($0[0]), upper: false)) },
        ScalarFunction("upper", 1...1, [.text], returns: .text) { .text(try TextBuilding.changedCase(string($0[0]), upper: true)) },
        // Characters are code points, as in PostgreSQL: length('🇩🇪') is 2, not Swift's 1 grapheme.
        // A bytea's length is its number of bytes (PostgreSQL's length(bytea)), not its text form's.
        ScalarFunction("length", 1...1, [.text], returns: .int) { .int(Int64(byteCount($0[0]) ?? string($0[0]).unicodeScalars.count)) },
        ScalarFunction("char_length", 1...1, [.text], returns: .int) { .int(Int64(string($0[0]).unicodeScalars.count)) },
        ScalarFunction("octet_length", 1...1, [.text], returns: .int) { .int(Int64(byteCount($0[0]) ?? string($0[0]).utf8.count)) },
        ScalarFunction("bit_length", 1...1, [.text], returns: .integer) { .int(8 * Int64(byteCount($0[0]) ?? string($0[0]).utf8.count)) },
        ScalarFunction("substr", 2...3, [.text, .int, .int], returns: .text) { try substring($0) },
        ScalarFunction("substring", 2...3, [.text, .int, .int], returns: .text) { try substring($0) },
        ScalarFunction("trim", 1...2, [.text, .text], returns: .text) { trimmed($0, leading: true, trailing: true) },
        ScalarFunction("btrim", 1...2, [.text, .text], returns: .text) { trimmed($0, leading: true, trailing: true) },
        ScalarFunction("ltrim", 1...2, [.text, .text], returns: .text) { trimmed($0, leading: true, trailing: false) },
        ScalarFunction("rtrim", 1...2, [.text, .text], returns: .text) { trimmed($0, leading: false, trailing: true) },
        ScalarFunction("replace", 3...3, [.text], returns: .text) {
            .text(try TextBuilding.replacing(string($0[1]), with: string($0[2]), in: string($0[0])))
        },
        ScalarFunction("concat", 0...100, [.text], strict: false, returns: .text) {
            .text(try TextBuilding.joined($0.filter { !$0.isNull }.map(string), builder: "concat()"))
        },
        ScalarFunction("concat_ws", 1...100, [.text], strict: false, returns: .text) { arguments in
            guard let separator = arguments.first, !separator.isNull else { return .null }
            let parts = arguments.dropFirst().filter { !$0.isNull }.map(string)
            return .text(try TextBuilding.joined(parts, separator: string(separator), builder: "concat_ws()"))
        },
        ScalarFunction("left", 2...2, [.text, .int], returns: .text) { arguments in
            let characters = Array(string(arguments[0]).unicodeScalars), count = Int(try int(arguments[1]))
            return .text(String(codePoints: count >= 0 ? characters.prefix(count) : characters.dropLast(Int(clamping: count.magnitude))))
        },
        ScalarFunction("right", 2...2, [.text, .int], returns: .text) { arguments in
            let characters = Array(string(arguments[0]).unicodeScalars), count = Int(try int(arguments[1]))
            return .text(String(codePoints: count >= 0 ? characters.suffix(count) : characters.dropFirst(Int(clamping: count.magnitude))))
        },
        ScalarFunction("strpos", 2...2, [.text], returns: .int, textPosition),
        // `position(needle IN haystack)`, parsed into this with strpos's argument order.
        ScalarFunction("position", 2...2, [.text], returns: .int, textPosition),
        ScalarFunction("repeat", 2...2, [.text, .int], returns: .text) {
            .text(try TextBuilding.repeated(string($0[0]), count: Int(try int($0[1]))))
        },
        ScalarFunction("reverse", 1...1, [.text], returns: .text) { .text(String(codePoints: string($0[0]).unicodeScalars.reversed())) },
    ]

    /// `a + b`, clamped to Int's range instead of trapping (substr('x', 1, 9223372036854775807)).
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    static func substring(_ arguments: [Value]) throws -> Value {
        let characters = Array(string(arguments[0]).unicodeScalars)
        let start = Int(try int(arguments[1]))
        var end = characters.count + 1
        if arguments.count == 3 {
            let length = Int(try int(arguments[2]))
            guard length >= 0 else { throw VireoError(.substringError, "negative substring length not allowed") }
            end = saturatingSum(start, length)
        }
        let from = max(start, 1), to = min(end, characters.count + 1)
        return .text(from < to ? String(codePoints: characters[(from - 1)..<(to - 1)]) : "")
    }

    static func trimmed(_ arguments: [Value], leading: Bool, trailing: Bool) -> Value {
        let set = Set((arguments.count > 1 ? string(arguments[1]) : " ").unicodeScalars)
        var characters = Array(string(arguments[0]).unicodeScalars)[...]
        if leading { characters = characters.drop { set.contains($0) } }
        if trailing { while let last = characters.last, set.contains(last) { characters.removeLast() } }
        return .text(String(codePoints: characters))
    }

    static func numericResult(_ types: [SQLType]) -> SQLType {
        guard let first = types.first, first.isInteger else { return .double }
        return first
    }

    static let math: [ScalarFunction] = [
        ScalarFunction("random", 0...0, [], volatile: true, returns: .double) { _ in .double(RandomSource.next()) },
        ScalarFunction("pi", 0...0, [], returns: .double) { _ in .double(Double.pi) },
    ]

    private static func norm(_ name: String) -> ScalarFunction {
        ScalarFunction(name, 1...1, [.vector(nil)], returns: .double) { .double(VectorMath.norm(try vector($0[0]))) }
    }

    static let vector: [ScalarFunction] = [
        ScalarFunction("l2_distance", 2...2, [.vector(nil)], returns: .double) { .double(try VectorMath.l2Distance(vector($0[0]), vector($0[1]))) },
        ScalarFunction("cosine_distance", 2...2, [.vector(nil)], returns: .double) { .double(try VectorMath.cosineDistance(vector($0[0]), vector($0[1]))) },
        ScalarFunction("inner_product", 2...2, [.vector(nil)], returns: .double) { .double(try VectorMath.innerProduct(vector($0[0]), vector($0[1]))) },
        ScalarFunction("negative_inner_product", 2...2, [.vector(nil)], returns: .double) { .double(-(try VectorMath.innerProduct(vector($0[0]), vector($0[1])))) },
        ScalarFunction("l1_distance", 2...2, [.vector(nil)], returns: .double) { .double(try VectorMath.l1Distance(vector($0[0]), vector($0[1]))) },
        ScalarFunction("vector_dims", 1...1, [.vector(nil)], returns: .int) { .int(Int64(try vector($0[0]).count)) },
        norm("vector_norm"),
        norm("l2_norm"),  // pgvector's name for a halfvec's norm
        ScalarFunction("l2_normalize", 1...1, [.vector(nil)], returns: .vector(nil)) { .vector(VectorMath.normalized(try vector($0[0]))) },
        ScalarFunction("subvector", 3...3, [.vector(nil), .int, .int], returns: .vector(nil)) { arguments in
            let elements = try vector(arguments[0])
            let start = Int(try int(arguments[1])), count = Int(try int(arguments[2]))
            guard count >= 1 else { throw VireoError(.dataException, "vector must have at least 1 dimension") }
            let from = max(start, 1), to = min(saturatingSum(start, count), elements.count + 1)
            guard from < to else { throw VireoError(.dataException, "vector must have at least 1 dimension") }
            return .vector(Array(elements[(from - 1)..<(to - 1)]))
        },
    ]

    static let misc: [ScalarFunction] = [
        transactionClock("now", returns: .timestamptz) { .timestamp($0) },
        transactionClock("current_timestamp", returns: .timestamptz) { .timestamp($0) },
        transactionClock("transaction_timestamp", returns: .timestamptz) { .timestamp($0) },
        transactionClock("localtimestamp", returns: .timestamp) { .timestamp(SessionTimeZone.wall(instant: $0)) },
        ScalarFunction("statement_timestamp", 0...0, [], volatile: true, returns: .timestamptz) { _ in .timestamp(currentMicros()) },
        ScalarFunction("version", 0...0, [], returns: .text) { _ in .text("PostgreSQL 15.0 (Vireo 0.1)") },
        ScalarFunction("jsonb_typeof", 1...1, [.json], returns: .text) { .text(try jsonType(string($0[0]))) },
        ScalarFunction("json_typeof", 1...1, [.json], returns: .text) { .text(try jsonType(string($0[0]))) },
        ScalarFunction("jsonb_pretty", 1...1, [.json], returns: .text) { .text(try JSONValue.jsonb(string($0[0])).pretty(indent: 4)) },
        // Variadic "any": arguments of every type, counted (not NULL-strict).
        ScalarFunction("num_nulls", 1...100, [.text], strict: false, returns: .integer) { .int(Int64($0.filter(\.isNull).count)) },
        ScalarFunction("num_nonnulls", 1...100, [.text], strict: false, returns: .integer) { .int(Int64($0.filter { !$0.isNull }.count)) },
    ]

    static func currentMicros() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// A function of the transaction's start time (now(), current_date, localtime …): one
    /// answer throughout a transaction, as PostgreSQL's; the clock itself where no session
    /// runs the expression.
    static func transactionClock(_ name: String, returns type: SQLType, _ answer: @escaping @Sendable (Int64) -> Value) -> ScalarFunction {
        var function = ScalarFunction(name, 0...0, [], volatile: true, returns: type) { _ in answer(currentMicros()) }
        function.contextBody = { _, context in answer(context.session?.transactionTimestamp() ?? currentMicros()) }
        return function
    }

    static func jsonType(_ text: String) throws -> String { try JSONValue.jsonb(text).typeName }
}
