import VireoStorage

/// Field selection, `(expression).name`, as PostgreSQL 15's ParseFuncOrColumn reads it:
///
/// - `(t).column`, t a FROM entry's name that is no column: t's column (a table, a view, a
///   sub-select's alias), `column t.z does not exist` when it has none so named;
/// - `(ROW(a, b)).f2`: an anonymous row's fields are f1, f2, …;
/// - `(NULL::t).column`, t a table: a NULL of that column's type;
/// - a record value (a multi-column set-returning function's row in a select list, such as
///   `(information_schema._pg_expandarray(i.indkey)).n`, or a column holding such a row):
///   the field of that name. A set-returning call in a select list was already moved into
///   FROM by liftingSetReturningItem, so only its record column reaches here;
/// - anything else is 42809, a value that is not a composite.
extension Binder {
    @inline(never)
    func fieldSelection(_ base: SQLExpression, _ name: String, _ scope: Scope) throws -> Typed {
        if case .column(let reference) = base, reference.table == nil, scope.hasEntry(reference.column),
           try scope.resolve(reference) == nil {
            return try bind(.column(ColumnReference(table: reference.column, name)), scope)
        }
        if case .row(let elements) = base {
            guard name.hasPrefix("f"), let number = Int(name.dropFirst()), elements.indices.contains(number - 1),
                  name == "f\(number)" else { throw Self.noField(name) }
            return try bind(elements[number - 1], scope)
        }
        if let typed = try tableRowField(base, name) { return typed }
        let record = try bind(base, scope)
        guard case .record(let fields) = record.type else {
            throw VireoError(.wrongObjectType, "column notation .\(name) applied to type \(record.type), which is not a composite type")
        }
        guard let index = fields.firstIndex(where: { $0.name == name }) else { throw Self.noField(name) }
        return (.function(Self.fieldReader(index, of: fields), [record.expression]), fields[index].type)
    }

    /// `(NULL::t).column` for a table t: the column's type, NULL (Vireo has no other values of
    /// a table's row type); nil when the base is not such a cast.
    private func tableRowField(_ base: SQLExpression, _ name: String) throws -> Typed? {
        guard case .cast(.literal(.null), .other(let typeName, [])) = base, let table = try? catalog.table(typeName) else { return nil }
        guard let column = table.columns.first(where: { $0.name == name }) else {
            throw VireoError(.undefinedColumn, "column \"\(name)\" not found in data type \(typeName)")
        }
        let type = SQLType(column.type)
        return (.constant(.null), type)
    }

    /// The function reading field `index` of a record value (NULL for a NULL record). Its name
    /// holds the record's field names, so that StructuralKey tells apart reads of different
    /// fields and records.
    private static func fieldReader(_ index: Int, of fields: [RecordField]) -> ScalarFunction {
        let name = "field \(fields[index].name) of (\(fields.map(\.name).joined(separator: ",")))"
        return ScalarFunction(name, 1...1, [], returns: fields[index].type) { arguments in
            guard case .array(let values) = arguments[0], values.indices.contains(index) else { return .null }
            return values[index]
        }
    }

    private static func noField(_ name: String) -> VireoError {
        VireoError(.undefinedColumn, "could not identify column \"\(name)\" in record data type")
    }
}
