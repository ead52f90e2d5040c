import VireoStorage

/// The `json` type's reading of a document, which keeps each part as written (spacing,
/// member order, duplicate keys, a number's digits), as PostgreSQL's json functions do:
/// `'{"a": [1, 2 ]}'::json -> 'a'` is `[1, 2 ]`, where jsonb's is `[1, 2]`.
enum JSONWritten {
    /// A part of a document: its value, and its text as written.
    typealias Part = (value: JSONValue, text: String)
    /// A child of an object (with its key) or of an array (without).
    typealias Child = (key: String?, value: JSONValue, text: String)

    /// The document's children in written order, duplicates kept; nil for a scalar. 22P02
    /// when the text is not JSON.
    static func children(_ text: String) throws -> [Child]? {
        _ = try JSONValue.parse(text)
        var parser = JSONParser(bytes: Array(text.utf8))
        return parser.writtenChildren()
    }

    /// `->`: an object's member by key (the last of duplicate keys, as PostgreSQL's json
    /// finds it) or an array's element by integer index (negative counts from the end).
    static func child(_ text: String, _ key: Value) throws -> Part? {
        let document = try JSONValue.parse(text)
        switch (document, key) {
        case (.object, .int), (.array, .text): return nil
        default: return try step(text, document, Cast.textForm(key))
        }
    }

    /// `#>` and json_extract_path: each step a key, or in an array an integer index; nil
    /// when a step is missing or NULL.
    static func path(_ text: String, _ steps: [Value]) throws -> Part? {
        var current: Part = (try JSONValue.parse(text), text)
        for step in steps {
            guard !step.isNull, let next = try Self.step(current.text, current.value, Cast.textForm(step)) else { return nil }
            current = next
        }
        return current
    }

    private static func step(_ text: String, _ document: JSONValue, _ key: String) throws -> Part? {
        var parser = JSONParser(bytes: Array(text.utf8))
        guard let children = parser.writtenChildren() else { return nil }
        switch document {
        case .object: return children.last { $0.key == key }.map { (value: $0.value, text: $0.text) }
        case .array:
            guard let index = Int(key) else { return nil }
            let position = index < 0 ? children.count + index : index
            return children.indices.contains(position) ? (value: children[position].value, text: children[position].text) : nil
        default: return nil
        }
    }

    /// `->>`'s answer for a part: a string's characters, NULL for JSON null, else the text
    /// as written.
    static func unquoted(_ part: Part?) -> Value {
        switch part?.value {
        case nil, .null?: .null
        case .string(let string)?: .text(string)
        default: .text(part?.text ?? "")
        }
    }

    /// json_array_elements: the elements as written; 22023 for an object or a scalar.
    static func elements(_ text: String, _ name: String) throws -> [Child] {
        let document = try JSONValue.parse(text)
        guard case .array = document else {
            throw VireoError(.invalidParameter, "cannot call \(name) on \(document.isObject ? "a non-array" : "a scalar")")
        }
        return try children(text) ?? []
    }

    /// json_each and json_object_keys: the members in written order, duplicates kept.
    static func members(_ text: String, _ name: String) throws -> [Child] {
        let document = try JSONValue.parse(text)
        guard case .object = document else {
            let kind = if case .array = document { "an array" } else { "a scalar" }
            if name.hasSuffix("object_keys") { throw VireoError(.invalidParameter, "cannot call \(name) on \(kind)") }
            throw VireoError(.invalidParameter, "cannot deconstruct \(kind == "an array" ? "an array as an object" : kind)")
        }
        return try children(text) ?? []
    }

    /// json_strip_nulls: object members whose value is null removed at every depth, the
    /// rest written without spaces, numbers as written and strings escaped again.
    static func strippingNulls(_ text: String) throws -> String {
        let document = try JSONValue.parse(text)
        guard let children = try children(text) else {
            if case .string(let string) = document { return JSONValue.quote(string) }
            return String(text.filter { !" \t\n\r".contains($0) })
        }
        if document.isObject {
            let kept = try children.filter { $0.value != .null }.map { JSONValue.quote($0.key ?? "") + ":" + (try strippingNulls($0.text)) }
            return "{" + kept.joined(separator: ",") + "}"
        }
        return "[" + (try children.map { try strippingNulls($0.text) }).joined(separator: ",") + "]"
    }
}

extension JSONValue {
    var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
