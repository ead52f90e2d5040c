import VireoStorage

/// A view INSERT, UPDATE and DELETE write through, as PostgreSQL 15's automatically updatable
/// views: a view selecting from exactly one table (or one such view), without DISTINCT,
/// GROUP BY, HAVING, aggregates, window or set-returning functions, LIMIT/OFFSET, WITH or
/// set operations. Its columns that are plain columns of the table can be written; its
/// WHERE limits which rows UPDATE and DELETE see; WITH CHECK OPTION refuses a new or changed
/// row the view would not show (44000). Anything else is refused as PostgreSQL refuses it
/// (55000 with its DETAIL and HINT, or 0A000 for a column that is not a table column).
struct UpdatableView {
    enum Verb {
        case insert, update, delete

        var refusal: String {
            switch self {
            case .insert: "cannot insert into view"
            case .update: "cannot update view"
            case .delete: "cannot delete from view"
            }
        }

        var hint: String {
            switch self {
            case .insert: "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule."
            case .update: "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule."
            case .delete: "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule."
            }
        }
    }

    /// A condition a new or changed row must meet, and the view whose CHECK OPTION asks it.
    struct Check {
        var view: String
        var condition: BoundExpression
    }

    let view: ViewDefinition
    /// The table the rows are in.
    let table: TableDefinition
    /// Each view column's value over the table's row (its columns, then the row id).
    let columns: [BoundExpression]
    /// The rows the view shows (its WHERE, and those of the views it reads); nil: all.
    let condition: BoundExpression?
    /// Set while REFRESH MATERIALIZED VIEW rewrites a materialized view's rows, which no
    /// other statement may change.
    @TaskLocal static var refreshing = false

    /// What WITH CHECK OPTION asks of each row written, innermost view first.
    let checks: [Check]

    /// The view called `name` as a target of `verb`; nil when no view has that name.
    static func resolve(_ name: TableName, _ verb: Verb, catalog: Catalog, binder: Binder) throws -> UpdatableView? {
        if !Self.refreshing, catalog.tables[catalog.storedName(name)]?.isMaterializedView == true {
            throw VireoError(.wrongObjectType, "cannot change materialized view \"\(name.name)\"")
        }
        guard let view = catalog.view(name) else { return nil }
        return try resolve(view, verb, catalog: catalog, binder: binder, cascaded: false)
    }

    /// Whether `query` could be written through: nil, or PostgreSQL's reason why not.
    static func refusal(_ query: Query, catalog: Catalog) -> String? {
        if query.with != nil { return "Views containing WITH are not automatically updatable." }
        guard case .select(let select) = query.body else {
            if case .setOperation = query.body { return "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable." }
            return "Views that do not select from a single table or view are not automatically updatable."
        }
        if select.distinct || !select.distinctOn.isEmpty { return "Views containing DISTINCT are not automatically updatable." }
        if !select.groupBy.isEmpty { return "Views containing GROUP BY are not automatically updatable." }
        if select.having != nil { return "Views containing HAVING are not automatically updatable." }
        if query.limit != nil || query.offset != nil { return "Views containing LIMIT or OFFSET are not automatically updatable." }
        guard select.from.count == 1, case .table(let name, _) = select.from[0], name.schema == nil || name.schema == "public",
              catalog.tables[name.name] != nil || catalog.views[name.name] != nil else {
            return "Views that do not select from a single table or view are not automatically updatable."
        }
        let items = select.items.compactMap { item -> SQLExpression? in
            if case .expression(let expression, _) = item { return expression }
            return nil
        }
        if items.contains(where: { $0.contains { Binder.isAggregateCall($0) } }) {
            return "Views that return aggregate functions are not automatically updatable."
        }
        if items.contains(where: { $0.contains { Binder.isWindowCall($0) } }) {
            return "Views that return window functions are not automatically updatable."
        }
        if items.contains(where: { $0.contains(where: Self.isSetReturningCall) }) {
            return "Views that return set-returning functions are not automatically updatable."
        }
        return nil
    }

    private static func isSetReturningCall(_ expression: SQLExpression) -> Bool {
        if case .function(let call) = expression { return call.over == nil && TableFunction(name: call.name) != nil }
        return false
    }

    /// `cascaded`: a view above asked CASCADED CHECK OPTION, so this one's WHERE is checked too.
    private static func resolve(_ view: ViewDefinition, _ verb: Verb, catalog: Catalog, binder: Binder,
                                cascaded: Bool) throws -> UpdatableView {
        try Binder.asCreated(view) { try resolveAsCreated(view, verb, catalog: catalog, binder: binder, cascaded: cascaded) }
    }

    private static func resolveAsCreated(_ view: ViewDefinition, _ verb: Verb, catalog: Catalog, binder: Binder,
                                         cascaded: Bool) throws -> UpdatableView {
        let query = try Binder.viewQuery(view)
        if let reason = refusal(query, catalog: catalog) {
            throw VireoError(.objectNotInPrerequisiteState, "\(verb.refusal) \"\(view.name)\"", hint: verb.hint, detail: reason)
        }
        guard case .select(let select) = query.body, case .table(let name, let alias) = select.from[0] else {
            throw VireoError(.internalError, "an updatable view selects from one relation")
        }
        let checksHere = cascaded || view.checkOption == "cascaded"
        var scope = Scope()
        let inner = try catalog.view(name).map { innerView in
            try resolve(innerView, verb, catalog: catalog, binder: binder, cascaded: checksHere)
        }
        let table = try inner?.table ?? catalog.table(name)
        let below: [BoundExpression]
        if let inner {
            scope.addDerived(name: alias ?? inner.view.name, columns: inner.view.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) })
            below = inner.columns
        } else {
            scope.addTable(table, alias: alias)
            below = (0...table.columns.count).map { BoundExpression.column($0) }
        }
        let toTable = { (expression: BoundExpression) throws -> BoundExpression in
            guard inner != nil else { return expression }
            guard !expression.hasCorrelatedSubquery else {
                throw VireoError(.featureNotSupported, "a correlated subquery in view \"\(view.name)\" over another view cannot be written through")
            }
            return expression.mapColumns { below[$0] }
        }
        let items = try binder.selectItems(select.items, scope).prefix(view.columns.count)
        let columns = try items.map { try toTable($0.expression) }
        let own = try select.whereClause.map { try toTable(binder.coerce(binder.bind($0, scope), to: .bool)) }
        var checks = inner?.checks ?? []
        if let own, checksHere || view.checkOption == "local" { checks.append(Check(view: view.name, condition: own)) }
        let condition = BoundExpression.conjunction([inner?.condition, own].compactMap { $0 })
        return UpdatableView(view: view, table: table, columns: columns, condition: condition, checks: checks)
    }

    /// The table column view column `position` is, or 0A000 when it is computed.
    func tableColumn(_ position: Int, _ verb: Verb) throws -> Int {
        guard case .column(let column) = columns[position], column < table.columns.count else {
            let action = verb == .insert ? "insert into" : "update"
            throw VireoError(.featureNotSupported, "cannot \(action) column \"\(view.columns[position].name)\" of view \"\(view.name)\"",
                             detail: "View columns that are not columns of their base relation are not updatable.")
        }
        return column
    }

    /// The table column the view column called `name` is (42703 when the view has none).
    func tableColumn(named name: String, _ verb: Verb) throws -> Int {
        guard let position = view.columns.firstIndex(where: { $0.name == name }) else {
            throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(view.name)\" does not exist")
        }
        return try tableColumn(position, verb)
    }

    /// The scope statement expressions see: the view's columns under `alias` or its name.
    func scope(alias: String?) -> Scope {
        var scope = Scope()
        scope.addDerived(name: alias ?? view.name, columns: view.columns.map { ResultColumn(name: $0.name, type: SQLType($0.type)) })
        return scope
    }

    /// An expression bound over `scope(alias:)` (then an UPDATE … FROM's or DELETE … USING's
    /// joined columns) as one over the table's row (then the same joined columns).
    func overTable(_ expression: BoundExpression) throws -> BoundExpression {
        guard !expression.hasCorrelatedSubquery else {
            throw VireoError(.featureNotSupported, "a correlated subquery in a statement changing view \"\(view.name)\" is not supported")
        }
        let width = view.columns.count, tableWidth = table.columns.count + 1
        return expression.mapColumns { $0 < width ? columns[$0] : .column($0 - width + tableWidth) }
    }

    /// Refuses (44000) a row of the table (its columns, then the row id) that a CHECK OPTION
    /// of the view, or of a view below it, would not show.
    func checkRow(_ row: [Value], _ context: ExecutionContext) throws {
        for check in checks where !(try Evaluator.holds(check.condition, row, context)) {
            let shown = row.dropLast().map { $0.text ?? "null" }.joined(separator: ", ")
            throw VireoError(.withCheckOptionViolation, "new row violates check option for view \"\(check.view)\"",
                             detail: "Failing row contains (\(shown)).")
        }
    }
}
