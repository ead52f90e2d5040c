import VireoStorage

/// A table's `GENERATED ALWAYS AS (…) STORED` columns, bound against the table's own columns:
/// every insert and update computes them from the row's other values, and a value written
/// into one is refused (428C9), as in PostgreSQL.
struct GeneratedColumns {
    private let table: TableDefinition
    private let expressions: [(position: Int, expression: BoundExpression)]
    /// The table's CHECK constraints (CheckConstraints.swift), run after the generated columns.
    private let checks: [(name: String, expression: BoundExpression)]

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
        // PostgreSQL tries a table's check constraints in the order of their names.
        checks = try table.checks.sorted { $0.name < $1.name }.map { ($0.name, try CheckConstraints.bind($0.expression, table: table, catalog: catalog)) }
    }

    private static func columnsRead(_ expression: BoundExpression) -> [Int] {
        if case .column(let position) = expression { return [position] }
        return expression.children.flatMap(columnsRead)
    }

    /// Computes every generated column of `row` (a full row of the table) from its other
    /// values, then checks the row against the table's CHECK constraints.
    /// Whether `fill` has nothing to do (no generated column, no CHECK constraint).
    var isEmpty: Bool { expressions.isEmpty && checks.isEmpty }

    func fill(_ row: inout [Value], context: ExecutionContext) throws {
        guard !isEmpty else { return }
        let rowID = table.rowIDColumn.map { row[$0] } ?? .null
        var input = row + [rowID]
        for (position, expression) in expressions {
            row[position] = try Cast.assign(Evaluator.evaluate(expression, input, context), to: table.columns[position].type)
            input[position] = row[position]
        }
        for (name, expression) in checks {
            try CheckConstraints.enforce(name, expression, table: table.name, input: input, context: context)
        }
    }

    /// PostgreSQL's error for a value given to a generated column, or to a GENERATED ALWAYS
    /// identity column (which an INSERT's OVERRIDING SYSTEM VALUE lets through).
    static func refuseValue(for column: VireoStorage.ColumnDefinition, updating: Bool = false,
                            overriding: Insert.Overriding? = nil) throws {
        let alwaysIdentity = column.identity == .always && !(overriding == .system && !updating)
        guard column.generatedExpression != nil || alwaysIdentity else { return }
        var error = VireoError(.generatedAlways, updating
            ? "column \"\(column.name)\" can only be updated to DEFAULT"
            : "cannot insert a non-DEFAULT value into column \"\(column.name)\"")
        if alwaysIdentity {
            error.detail = "Column \"\(column.name)\" is an identity column defined as GENERATED ALWAYS."
            if !updating { error.hint = "Use OVERRIDING SYSTEM VALUE to override." }
        }
        throw error
    }
}
