import VireoStorage

/// A FROM entry's name used as a value, the whole row, which Vireo takes only as the argument
/// of `row_to_json(t)`, `to_json(t)` and `to_jsonb(t)`: one JSON object with a member per
/// column of `t`, named as the column. row_to_json and to_json keep the columns' order and
/// print without spaces, as PostgreSQL's json output of a record does (`{"id":1,"name":"a"}`);
/// to_jsonb orders the keys as jsonb does.
extension Binder {
    /// The call bound over `t`'s columns, or nil when it is not such a call (`t` also naming a
    /// column, which PostgreSQL prefers too).
    func wholeRowJSON(_ call: FunctionCall, _ scope: Scope) throws -> Typed? {
        guard Self.wholeRowJSONFunctions.contains(call.name), call.arguments.count == 1, call.argumentNames.isEmpty,
              case .column(let reference) = call.arguments[0], reference.table == nil,
              scope.hasEntry(reference.column), try scope.resolve(reference) == nil else { return nil }
        let columns = try scope.visibleColumns(of: reference.column)
        let names = columns.map(\.name)
        let jsonb = call.name == "to_jsonb"
        // A base table's row id, after its columns, is NULL only in a row an outer join added
        // for it, whose whole-row value PostgreSQL makes NULL (not an object of NULLs).
        let rowID = scope.entries.first { $0.name == reference.column }.flatMap { entry in
            entry.table.map { BoundExpression.column(entry.offset + $0.columns.count) }
        }
        // The names are part of the function's name so that two calls over differently named
        // columns are never taken for the same expression (StructuralKey compares names).
        let function = ScalarFunction("\(call.name)[\(names.joined(separator: ","))]", 0...columns.count + 1, [], strict: false,
                                      returns: .json) { arguments in
            if rowID != nil, arguments.last?.isNull == true { return .null }
            let values = arguments.prefix(names.count)
            if jsonb { return .json(JSONValue.jsonbObject(try zip(names, values).map { ($0, try JSONValue(sqlValue: $1)) }).text) }
            return .json("{" + (try zip(names, values).map { JSONValue.quote($0) + ":" + (try Self.jsonText($1)) }).joined(separator: ",") + "}")
        }
        return (.function(function, columns.map { .column($0.position) } + (rowID.map { [$0] } ?? [])), .json)
    }

    /// A column's value inside json output: a json or jsonb value as its text, anything else
    /// (arrays included) without spaces, as PostgreSQL's datum_to_json writes it.
    private static func jsonText(_ value: Value) throws -> String {
        if case .json(let text) = value { return text }
        return compactText(try JSONValue(sqlValue: value))
    }

    private static func compactText(_ value: JSONValue) -> String {
        switch value {
        case .array(let elements): "[" + elements.map(compactText).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { JSONValue.quote($0.0) + ":" + compactText($0.1) }.joined(separator: ",") + "}"
        default: value.text
        }
    }

    private static let wholeRowJSONFunctions: Set<String> = ["row_to_json", "to_json", "to_jsonb"]
}
