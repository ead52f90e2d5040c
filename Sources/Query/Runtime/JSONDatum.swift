import Foundation
import VireoStorage

/// PostgreSQL's datum_to_json: a SQL value as json text, chosen by its SQL type, which the
/// value alone does not tell (a date and a timestamp are both `Value.timestamp`; only the
/// type makes the first `"2024-01-02"` and the second `"2024-01-02T00:00:00"`). The json
/// constructors and aggregates print with it; the jsonb ones read its text as jsonb.
enum JSONDatum {
    /// The value's json text: numbers as their output text (NaN and infinities quoted),
    /// booleans as `true`/`false`, dates and times in ISO 8601 with a `T`, a timestamptz with
    /// its offset as `+HH:MM`, arrays element by element without spaces, json and jsonb as
    /// their text, everything else as a string of its output text. NULL is `null`.
    static func text(_ value: Value, _ type: SQLType) -> String {
        switch (type, value) {
        case (_, .null): return "null"
        case (_, .bool(let flag)): return flag ? "true" : "false"
        // json keeps its text as written, jsonb's value is its normalised text already.
        case (_, .json(let text)): return text
        case (_, .array(let elements)):
            // A sub-array of a multidimensional array keeps the array's type.
            return "[" + elements.map { element in
                if case .array = element { return text(element, type) }
                return text(element, type.elementType ?? .text)
            }.joined(separator: ",") + "]"
        case (.timestamp, .timestamp), (.timestamptz, .timestamp):
            return JSONValue.quote(isoText(value.text(as: type) ?? "", withOffset: type == .timestamptz))
        default:
            let output = value.text(as: type) ?? ""
            return type.isNumeric && isNumber(output) ? output : JSONValue.quote(output)
        }
    }

    /// The value as a jsonb document: its json text read as jsonb (exact numbers, keys in
    /// jsonb's order), as PostgreSQL's datum_to_jsonb converts by the same categories.
    static func jsonb(_ value: Value, _ type: SQLType) throws -> JSONValue {
        try JSONValue.jsonb(text(value, type))
    }

    /// An object key: the value's text as a string (`1` is `"1"`), as json_build_object and
    /// json_object_agg make one; NULL and array or json keys are 22023.
    static func key(_ value: Value, _ type: SQLType, nullMessage: String) throws -> String {
        if value.isNull { throw VireoError(.invalidParameter, nullMessage) }
        if isStructured(type) || type == .json || type == .jsonText {
            throw VireoError(.invalidParameter, "key value must be scalar, not array, composite, or json")
        }
        let json = text(value, type)
        if json.hasPrefix("\""), case .string(let string)? = try? JSONValue.parse(json) { return string }
        return json
    }

    /// Whether values of `type` are arrays or records, which json_agg and the pretty forms
    /// set on lines of their own.
    static func isStructured(_ type: SQLType) -> Bool { type.elementType != nil }

    /// `2024-01-02 03:04:05.5+00` as ISO 8601: `2024-01-02T03:04:05.5+00:00`.
    private static func isoText(_ output: String, withOffset: Bool) -> String {
        guard let space = output.firstIndex(of: " ") else { return output }  // infinity
        var text = output.replacingCharacters(in: space...space, with: "T")
        let offsetSign = text.index(text.endIndex, offsetBy: -3, limitedBy: text.startIndex).map { text[$0] }
        if withOffset, offsetSign == "+" || offsetSign == "-" { text += ":00" }
        return text
    }

    /// Whether a number's output text is a JSON number (not NaN, Infinity or -Infinity).
    private static func isNumber(_ output: String) -> Bool {
        let digits = output.hasPrefix("-") ? output.dropFirst() : Substring(output)
        return digits.first?.isASCII == true && digits.first?.isNumber == true
    }
}
