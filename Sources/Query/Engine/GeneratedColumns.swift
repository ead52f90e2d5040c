import VireoStorage

/// A table's `GENERATED ALWAYS AS (…) STORED` columns, bound against the table's own columns:
/// every insert and update computes them from the row's other values, and a value written
/// into one is refused (428C9), as in PostgreSQL.
struct GeneratedColumns {
    private let table: TableDefinition
    private let expressions: [(position: Int, expression: BoundExpression)]

    /// Binds the table's generation expressions; 42P17 when one reads another generated column.
    init(_ table: TableDefinition, catalog: Catalog) throws {
        self.table = table
        var scope = Scope()
        scope.addTable(table, alias: nil)
        let binder = Binder(catalog: catalog)
        expressions = try table.columns.enumerated().compactMap { position, column in
            guard let text = column.generatedExpression else { return nil }
            let typed = try binder.bind(Parser.parseExpression(text), scope)
            if let other = Self.columnsRead(typed.expression).first(where: { $0 < table.columns.count && table.columns[$0].generatedExpression != nil }) {
                throw VireoError(.invalidObjectDefinition, "cannot use generated column \"\(table.columns[other].name)\" in column generation expression")
            }
            return (position, try binder.coerce(typed, to: SQLType(column.type)))
        }
    }

    private static func columnsRead(_ expression: BoundExpression) -> [Int] {
        if case .column(let position) = expression { return [position] }
        return expression.children.flatMap(columnsRead)
    }

    /// Computes every generated column of `row` (a full row of the table) from its other values.
    func fill(_ row: inout [Value], context: ExecutionContext) throws {
        guard !expressions.isEmpty else { return }
        let rowID = table.rowIDColumn.map { row[$0] } ?? .null
        let input = row + [rowID]
        for (position, expression) in expressions {
            row[position] = try Cast.assign(Evaluator.evaluate(expression, input, context), to: table.columns[position].type)
        }
    }

    /// PostgreSQL's error for a value given to a generated column.
    static func refuseValue(for column: VireoStorage.ColumnDefinition, updating: Bool = false) throws {
        guard column.generatedExpression != nil else { return }
        throw VireoError(.generatedAlways, updating
            ? "column \"\(column.name)\" can only be updated to DEFAULT"
            : "cannot insert a non-DEFAULT value into column \"\(column.name)\"")
    }
}
