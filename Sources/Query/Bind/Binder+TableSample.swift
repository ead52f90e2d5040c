import VireoStorage

extension Binder {
    /// `table TABLESAMPLE method (percentage) [REPEATABLE (seed)]`: the table's scan with the
    /// method's test of each row as its filter (Runtime/TableSampling.swift), which a WHERE
    /// clause then joins. The percentage and seed are read before any row, as PostgreSQL
    /// checks them, when they are constants.
    func bindTableSample(_ sample: TableSample) throws -> (PlanNode, Scope) {
        guard let method = TableSampling.Method(rawValue: sample.method) else {
            throw VireoError(.undefinedObject, "tablesample method \(sample.method) does not exist")
        }
        guard sample.arguments.count == 1 else {
            throw VireoError(.invalidTablesampleArgument,
                             "tablesample method \(method.rawValue) requires 1 argument, not \(sample.arguments.count)")
        }
        if catalog.view(sample.table) != nil {
            throw VireoError(.featureNotSupported, "TABLESAMPLE clause can only be applied to tables and materialized views")
        }
        let table = try catalog.table(sample.table)
        relationsRead.names.insert(table.name)
        var scope = Scope()
        scope.addTable(table, alias: sample.alias)
        let percentage = try convert(bind(sample.arguments[0], Scope()), to: .double)
        if let value = try Self.constantDouble(percentage) { _ = try TableSampling.percentage(value) }
        var seed = BoundExpression.function(try ScalarFunction.lookup("random", argumentCount: 0), [])
        if let written = sample.seed {
            seed = try convert(bind(written, Scope()), to: .double)
            if let value = try Self.constantDouble(seed) { _ = try TableSampling.seed(value) }
        }
        let keep = BoundExpression.function(TableSampling.function(method), [.column(table.columns.count), percentage, seed])
        return (.seqScan(TableScan(table: table, filter: keep, reason: "TABLESAMPLE " + method.rawValue.uppercased())), scope)
    }

    /// The value of a constant, or of a constant cast to double precision; nil for anything else.
    private static func constantDouble(_ expression: BoundExpression) throws -> Value? {
        switch expression {
        case .constant(let value): value
        case .cast(.constant(let value), .double): try Cast.convert(value, to: .double)
        default: nil
        }
    }
}
