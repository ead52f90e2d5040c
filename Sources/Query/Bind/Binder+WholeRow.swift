import VireoStorage

/// A FROM entry's name used as a value, the whole row: a record of its columns, named as they
/// are (`SELECT t FROM t` prints `(1,abc)`; `(t).column` reads one), NULL in a row an outer join
/// added for it. As the argument of `row_to_json(t)`, `to_json(t)` and `to_jsonb(t)`: one JSON
/// object with a member per column of `t`, named as the column. row_to_json and to_json keep the columns' order and
/// print without spaces, as PostgreSQL's json output of a record does (`{"id":1,"name":"a"}`),
/// each value as its column's type makes it (JSONDatum); to_jsonb orders the keys as jsonb does.
extension Binder {
    /// The call bound over `t`'s columns, or nil when it is not such a call (`t` also naming a
    /// column, which PostgreSQL prefers too).
    func wholeRowJSON(_ call: FunctionCall, _ scope: Scope) throws -> Typed? {
        guard Self.wholeRowJSONFunctions.contains(call.name), (1...2).contains(call.arguments.count), call.argumentNames.isEmpty,
              call.arguments.count == 1 || call.name == "row_to_json",
              case .column(let reference) = call.arguments[0], reference.table == nil,
              scope.hasEntry(reference.column), try scope.resolve(reference) == nil else { return nil }
        let columns = try scope.visibleColumns(of: reference.column)
        let names = columns.map(\.name), types = columns.map(\.type)
        let jsonb = call.name == "to_jsonb"
        let pretty = try call.arguments.count > 1 && prettyFlag(call.arguments[1], scope)
        let rowID = Self.rowID(of: reference.column, scope)
        // The names are part of the function's name so that two calls over differently named
        // columns are never taken for the same expression (StructuralKey compares names).
        let function = ScalarFunction("\(call.name)[\(names.joined(separator: ","))\(pretty ? ",pretty" : "")]", 0...columns.count + 1, [],
                                      strict: false, returns: jsonb ? .json : .jsonText) { arguments in
            if rowID != nil, arguments.last?.isNull == true { return .null }
            let values = Array(arguments.prefix(names.count))
            if jsonb { return .json(JSONValue.jsonbObject(try names.indices.map { (names[$0], try JSONDatum.jsonb(values[$0], types[$0])) }).text) }
            let members = names.indices.map { JSONValue.quote(names[$0]) + ":" + JSONDatum.text(values[$0], types[$0]) }
            return .json("{" + members.joined(separator: pretty ? ",\n " : ",") + "}")
        }
        return (.function(function, columns.map { .column($0.position) } + (rowID.map { [$0] } ?? [])), jsonb ? .json : .jsonText)
    }

    /// `t` as a value, t a FROM entry's name that no column has: its columns as a record;
    /// nil when `reference` is not such a name.
    func wholeRowRecord(_ reference: ColumnReference, _ scope: Scope) throws -> Typed? {
        guard reference.table == nil, scope.hasEntry(reference.column) else { return nil }
        let columns = try scope.visibleColumns(of: reference.column)
        let fields = columns.map { RecordField($0.name, $0.type) }
        let rowID = Self.rowID(of: reference.column, scope)
        let type = SQLType.record(fields)
        // The fields are part of the name, so that StructuralKey tells apart rows of different entries.
        let function = ScalarFunction("row of \(reference.column) (\(RecordField.signature(fields)))", 0...fields.count + 1, [], strict: false, returns: type) { arguments in
            if rowID != nil, arguments.last?.isNull == true { return .null }
            return .array(Array(arguments.prefix(fields.count)))
        }
        return (.function(function, columns.map { .column($0.position) } + (rowID.map { [$0] } ?? [])), type)
    }

    /// A base table's row id, after its columns: NULL only in a row an outer join added for
    /// it, whose whole-row value PostgreSQL makes NULL (not a row of NULLs). nil for an entry
    /// that is not a base table.
    private static func rowID(of entryName: String, _ scope: Scope) -> BoundExpression? {
        scope.entries.first { $0.name == entryName }.flatMap { entry in
            entry.table.map { BoundExpression.column(entry.offset + $0.columns.count) }
        }
    }

    /// row_to_json's pretty flag, which Vireo takes as a constant (`true`, `false`).
    private func prettyFlag(_ argument: SQLExpression, _ scope: Scope) throws -> Bool {
        guard case .constant(let value) = try coerce(bind(argument, scope), to: .bool) else {
            throw VireoError(.featureNotSupported, "row_to_json's pretty flag must be a constant")
        }
        return value == .bool(true)
    }

    private static let wholeRowJSONFunctions: Set<String> = ["row_to_json", "to_json", "to_jsonb"]
}
