import VireoStorage

/// CHECK constraints: named as PostgreSQL names them, bound against the table's columns, and
/// enforced on every row written (GeneratedColumns.fill runs them after computing generated
/// columns). A row for which an expression is false is refused with 23514; NULL passes.
enum CheckConstraints {
    /// The CHECK constraints of a CREATE TABLE, column constraints first, then the table's.
    static func definitions(_ statement: CreateTable, table: TableDefinition, catalog: Catalog) throws -> [CheckConstraintDefinition] {
        var written: [(name: String?, expression: SQLExpression)] = []
        for column in statement.columns {
            for constraint in column.constraints {
                if case .check(let expression) = constraint.kind { written.append((constraint.name, expression)) }
            }
        }
        for constraint in statement.constraints {
            if case .check(let expression) = constraint.kind { written.append((constraint.name, expression)) }
        }
        var result: [CheckConstraintDefinition] = []
        var current = table
        for (name, expression) in written {
            let check = try definition(name: name, expression: expression, table: current, catalog: catalog)
            result.append(check)
            current.checks.append(check)
        }
        return result
    }

    /// One new constraint of `table`, with PostgreSQL's default name when none is written:
    /// table_column_check for an expression over one column, table_check otherwise, with a
    /// number appended while the name is taken.
    static func definition(name: String?, expression: SQLExpression, table: TableDefinition, catalog: Catalog) throws -> CheckConstraintDefinition {
        let bound = try bind(expression.sql, table: table, catalog: catalog)
        let taken = Set(table.checks.map(\.name) + SystemCatalog.indexEntries(table).map(\.name))
        if let name {
            guard !taken.contains(name) else {
                throw VireoError(.duplicateObject, "constraint \"\(name)\" for relation \"\(table.name)\" already exists")
            }
            return CheckConstraintDefinition(name: name, expression: expression.sql)
        }
        let columns = Set(columnsRead(bound).filter { $0 < table.columns.count })
        let base = columns.count == 1 ? "\(table.name)_\(table.columns[columns.first!].name)_check" : "\(table.name)_check"
        return CheckConstraintDefinition(name: TableBuilder.unusedName(base, taken: taken.contains), expression: expression.sql)
    }

    /// A constraint's expression bound over a row of `table` (the row id after its columns).
    static func bind(_ text: String, table: TableDefinition, catalog: Catalog) throws -> BoundExpression {
        let (typed, binder) = try bindTyped(text, table: table, catalog: catalog)
        guard typed.type == .bool || typed.type == .unknown else {
            throw VireoError(.typeMismatch, "argument of CHECK must be type boolean, not type \(typed.type)")
        }
        return try binder.coerce(typed, to: .bool)
    }

    /// An expression over one row of `table` (ALTER COLUMN … USING, a generated column's),
    /// of whatever type it has; evaluated over the row's values followed by its row id.
    static func bindValue(_ text: String, table: TableDefinition, catalog: Catalog) throws -> BoundExpression {
        try bindTyped(text, table: table, catalog: catalog).0.expression
    }

    private static func bindTyped(_ text: String, table: TableDefinition, catalog: Catalog) throws -> (Binder.Typed, Binder) {
        var scope = Scope()
        scope.addTable(table, alias: nil)
        let binder = Binder(catalog: catalog)
        return (try binder.bind(Parser.parseExpression(text), scope), binder)
    }

    static func columnsRead(_ expression: BoundExpression) -> [Int] {
        if case .column(let position) = expression { return [position] }
        return expression.children.flatMap(columnsRead)
    }

    /// 23514 unless `expression` is true or NULL for `input` (a row plus its row id).
    static func enforce(_ name: String, _ expression: BoundExpression, table: String, input: [Value], context: ExecutionContext) throws {
        if case .bool(false) = try Evaluator.evaluate(expression, input, context) {
            throw VireoError(.checkViolation, "new row for relation \"\(table)\" violates check constraint \"\(name)\"")
        }
    }

    /// ALTER TABLE … ADD CHECK: every existing row must pass (23514 otherwise).
    static func validateExisting(_ check: CheckConstraintDefinition, table: TableDefinition, transaction: StoreTransaction,
                                 context: ExecutionContext) throws {
        let expression = try bind(check.expression, table: table, catalog: transaction.catalog)
        var violated = false
        try transaction.scanRows(table) { rowID, record in
            try context.checkCancel()
            var row = try record.values()
            row.append(table.rowIDColumn.map { row[$0] } ?? .null)
            if case .bool(false) = try Evaluator.evaluate(expression, row, context) { violated = true }
            return !violated
        }
        if violated {
            throw VireoError(.checkViolation, "check constraint \"\(check.name)\" of relation \"\(table.name)\" is violated by some row")
        }
    }
}
