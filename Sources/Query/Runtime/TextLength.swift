import VireoStorage

/// The length rules of `varchar(n)` and `char(n)`, counted in characters (code points) as
/// PostgreSQL counts them. An assignment (INSERT, UPDATE) refuses a longer value with 22001
/// unless the excess is only spaces, which are dropped; an explicit cast truncates silently.
/// `char(n)` values are blank-padded to `n`.
struct TextLength: Sendable {
    enum Kind: Sendable { case varchar, char }

    let kind: Kind
    let length: Int

    /// The rule of a declared type; nil for types without one (text, unbounded varchar).
    /// Throws PostgreSQL's error for a length below 1.
    init?(_ typeName: TypeName) throws {
        switch typeName {
        case .varchar(let length?): kind = .varchar; self.length = length
        case .char(let length): kind = .char; self.length = length ?? 1
        default: return nil
        }
        guard length >= 1 else {
            throw VireoError(.invalidParameter, "length for type \(kind == .varchar ? "varchar" : "char") must be at least 1")
        }
        guard length <= Self.lengthMax else {
            throw VireoError(.invalidParameter, "length for type \(kind == .varchar ? "varchar" : "char") cannot exceed \(Self.lengthMax)")
        }
    }

    /// The rule of a column's type.
    init?(_ type: ColumnType) {
        switch type {
        case .varchar(let length) where length > 0: kind = .varchar; self.length = length
        case .char(let length): kind = .char; self.length = length
        default: return nil
        }
    }

    /// PostgreSQL's limit on n (10485760 characters).
    static let lengthMax = 10_485_760

    /// The stored column type.
    var columnType: ColumnType { kind == .varchar ? .varchar(length: length) : .char(length: length) }

    /// The value an explicit cast gives: cut to `length` characters (then padded for char).
    func truncated(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > length else { return padded(text) }
        var cut = String.UnicodeScalarView()
        cut.append(contentsOf: scalars.prefix(length))
        return String(cut)
    }

    /// The value an assignment stores, or 22001 when characters other than spaces would be lost.
    func assigned(_ text: String) throws -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > length else { return padded(text) }
        guard scalars.dropFirst(length).allSatisfy({ $0 == " " }) else {
            throw VireoError(.stringDataRightTruncation, "value too long for type \(columnType.name)")
        }
        return truncated(text)
    }

    private func padded(_ text: String) -> String {
        guard kind == .char else { return text }
        let missing = length - text.unicodeScalars.count
        return missing > 0 ? text + String(repeating: " ", count: missing) : text
    }

    /// A char(n) value as text: without its trailing blanks.
    static let unpadded = ScalarFunction(unpaddedName, 1...1, [.text], returns: .text) { arguments in
        guard case .text(let text) = arguments[0] else { return arguments[0] }
        return .text(withoutTrailingBlanks(text))
    }

    /// The name that marks `unpadded` in a bound expression.
    static let unpaddedName = "bpchar_unpadded"

    static func withoutTrailingBlanks(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }

    /// `CAST(x AS varchar(n))` / `char(n)` as a function of text.
    var explicitCast: ScalarFunction {
        let rule = self
        return ScalarFunction(columnType.name, 1...1, [.text], returns: .text) { arguments in
            guard case .text(let text) = arguments[0] else { return arguments[0] }
            return .text(rule.truncated(text))
        }
    }
}

extension BoundExpression {
    /// Whether this is a char(n) column read without its padding.
    var isUnpaddedChar: Bool {
        if case .function(let function, _) = self { return function.name == TextLength.unpaddedName }
        return false
    }

    /// A text constant without its trailing blanks (as a literal compared with char(n) is);
    /// other expressions unchanged.
    var unpaddedConstant: BoundExpression {
        if case .constant(.text(let text)) = self { return .constant(.text(TextLength.withoutTrailingBlanks(text))) }
        return self
    }
}
