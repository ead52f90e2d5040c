import VireoStorage

/// json(b)_to_record(set) with a column definition list (`AS x(a int, b text)`) and
/// json(b)_populate_record(set) over a table's row type (`null::t`), in FROM. Their rows are
/// JSONRecordShape's; the columns take the declared (or the table's) types.
extension Binder {
    /// Binds the call; `reference` carries the column definition list.
    func bindJSONRecord(_ call: FunctionCall, _ reference: TableFunctionReference) throws -> (PlanNode, [ResultColumn]) {
        var arguments = call.arguments
        let columns: [JSONRecordShape.Column]
        if JSONRecordShape.populates(call.name) {
            guard reference.recordColumns.isEmpty else {
                throw VireoError(.syntaxError, "a column definition list is redundant for a function returning a named composite type")
            }
            guard !arguments.isEmpty else { throw try noSuchRecordFunction(call) }
            columns = try rowType(of: arguments.removeFirst(), call.name)
            // json_populate_record's third argument (use_json_as_text) changes nothing since 9.4.
            if arguments.count == 2, call.name.hasPrefix("json_") { _ = try coerce(bind(arguments.removeLast(), Scope()), to: .bool) }
        } else {
            guard !reference.recordColumns.isEmpty else {
                throw VireoError(.syntaxError, "a column definition list is required for functions returning \"record\"")
            }
            columns = try reference.recordColumns.map { column in
                JSONRecordShape.Column(name: column.name, type: try column.type.columnType(in: catalog), keepsText: column.type == .json)
            }
        }
        var names = Set<String>()
        for column in columns where !names.insert(column.name).inserted {
            throw VireoError(.duplicateColumn, "column name \"\(column.name)\" specified more than once")
        }
        guard arguments.count == 1 else { throw try noSuchRecordFunction(call) }
        let document = try bind(arguments[0], Scope())
        guard [.json, .jsonText, .unknown].contains(document.type) else { throw try noSuchRecordFunction(call) }
        let shape = JSONRecordShape(name: call.name, columns: columns)
        let scan = TableFunctionScan(function: .jsonRecord(shape), name: call.name,
                                     arguments: [try jsonDocument(document, keepingText: shape.readsJSONText)],
                                     withOrdinality: reference.withOrdinality)
        return (.functionScan(scan), columns.map { ResultColumn(name: $0.name, type: SQLType($0.type), origin: ColumnOrigin(castTo: $0.type)) })
    }

    /// The document argument as json; a literal read by a json_ function keeps its text as
    /// written (as `'…'::json` does), so that members are converted from that text.
    private func jsonDocument(_ document: Typed, keepingText: Bool) throws -> BoundExpression {
        if keepingText, case .constant(.text(let text)) = document.expression, document.type == .unknown {
            return .constant(.json(try JSONValue.validated(text)))
        }
        if keepingText, document.type == .jsonText { return document.expression }
        return try coerce(document, to: .json)
    }

    /// `SELECT (jsonb_populate_record(NULL::t, doc)).* FROM src`: each such call moves into FROM
    /// after the other entries (so it runs once per row of theirs, as PostgreSQL evaluates it
    /// per row) and its item becomes that entry's `*`.
    func expandingRowItems(_ select: Select) throws -> Select {
        var rewritten = select
        for (index, item) in select.items.enumerated() {
            guard case .expandedRow(let call) = item else { continue }
            guard JSONRecordShape.populates(call.name) else {
                throw VireoError(.featureNotSupported, "(\(call.name)(…)).* is supported only for json(b)_populate_record(set)")
            }
            let alias = "\(Self.expandedRowAlias) \(index + 1)"
            rewritten.items[index] = .qualifiedWildcard(table: alias)
            rewritten.from.append(.function(TableFunctionReference(call: call, alias: alias)))
        }
        return rewritten
    }

    /// The FROM alias (numbered) of a call moved there from a `(f(…)).*` item; no SQL name
    /// can be spelled so unquoted.
    static let expandedRowAlias = "expanded row"

    /// The columns of the row type a populate function's base record names: `NULL::t` for a
    /// table t (a non-NULL base record, whose fields fill missing keys, is not supported).
    private func rowType(of base: SQLExpression, _ name: String) throws -> [JSONRecordShape.Column] {
        guard case .cast(let operand, let typeName) = base else {
            throw VireoError(.featureNotSupported, "the first argument of \(name) must be NULL cast to a table's row type (NULL::table)")
        }
        guard case .other(let typeText, []) = typeName, let table = try? catalog.table(typeText) else {
            // A type that exists but has no fields, or no such type at all.
            _ = try Self.sqlType(typeName, in: catalog)
            throw VireoError(.typeMismatch, "first argument of \(name) must be a row type")
        }
        guard case .literal(.null) = operand else {
            throw VireoError(.featureNotSupported, "the first argument of \(name) must be NULL cast to a table's row type (NULL::table)")
        }
        return table.columns.map { JSONRecordShape.Column(name: $0.name, type: $0.type) }
    }

    private func noSuchRecordFunction(_ call: FunctionCall) throws -> VireoError {
        let types = try call.arguments.map { argument -> String in
            if case .cast(_, let typeName) = argument, case .other(let name, []) = typeName { return name }
            let type = try bind(argument, Scope()).type
            return type == .unknown ? "unknown" : type.description
        }
        return VireoError.undefinedFunction(call.name, types)
    }
}
