import VireoStorage

extension Binder {
    /// The FROM list as one plan (entries separated by commas are cross-joined) and the
    /// scope of names it makes visible. No FROM gives one empty row.
    func bindFrom(_ references: [TableReference]) throws -> (PlanNode, Scope) {
        guard let first = references.first else { return (.values([[]]), Scope()) }
        var (plan, scope) = try bindTableReference(first)
        for reference in references.dropFirst() {
            let spec = { (rightScope: Scope) in JoinSpec(kind: .inner, condition: nil, rightWidth: rightScope.width) }
            if let (right, rightScope) = try bindLateralReference(reference, after: scope) {
                plan = .lateralJoin(plan, right, spec(rightScope))
                scope.append(rightScope)
                continue
            }
            let (right, rightScope) = try bindTableReference(reference)
            plan = .nestedLoopJoin(plan, right, spec(rightScope))
            scope.append(rightScope)
        }
        return (plan, scope)
    }

    func bindTableReference(_ reference: TableReference) throws -> (PlanNode, Scope) {
        switch reference {
        case .table(let name, let alias):
            if let common = try commonTableReference(name, alias: alias) { return common }
            if let view = try viewReference(name, alias: alias) { return view }
            if let relation = SystemCatalog.sessionRelation(name, catalog) {
                // Read from the session when the statement runs, as PostgreSQL's views over
                // pg_show_all_settings() and pg_cursor() are.
                return try bindTableFunction(TableFunctionReference(call: FunctionCall(relation.rawValue), alias: alias ?? name.name), after: nil)
            }
            if let relation = SystemCatalog.relation(name, catalog) ?? SystemCatalog.sequenceRelation(name, catalog) {
                relationsRead.catalogRows = true
                var scope = Scope()
                guard let tableOID = SystemCatalog.tableOID(of: name) else {
                    scope.addDerived(name: alias ?? name.name, columns: relation.columns)
                    return (.values(relation.rows.map { $0.map(BoundExpression.constant) }), scope)
                }
                scope.addCatalogTable(name: alias ?? name.name, columns: relation.columns, tableOID: tableOID)
                return (.values(relation.rows.map { $0.map(BoundExpression.constant) + [.constant(.int(tableOID))] }), scope)
            }
            let table = try catalog.table(name)
            try table.checkPopulated()
            relationsRead.names.insert(table.name)
            var scope = Scope()
            scope.addTable(table, alias: alias)
            return (.seqScan(TableScan(table: table, filter: nil, reason: "no usable index")), scope)
        case .subquery(let query, let alias, let names), .lateral(let query, let alias, let names):
            let inner = nestedBinder(outerScopes: outerScopes)
            let (plan, columns) = try inner.bindQuery(query)
            absorb(inner)
            var scope = Scope()
            scope.addDerived(name: alias ?? "subquery", columns: try Self.renamed(Self.resolvingUnknown(columns), names, alias: alias ?? "subquery"))
            return (plan, scope)
        case .join(let join):
            return try bindJoin(join)
        case .sample(let sample):
            return try bindTableSample(sample)
        case .function(let function):
            return try bindTableFunction(function, after: nil)
        case .values(let rows, let alias, let columns):
            guard let alias else { throw VireoError(.syntaxError, "VALUES in FROM must have an alias") }
            let (plan, resultColumns) = try bindValues(rows)
            var scope = Scope()
            scope.addDerived(name: alias, columns: try Self.renamed(resultColumns, columns, alias: alias))
            return (plan, scope)
        }
    }

    /// `VALUES (…), (…)`: constant rows named column1, column2 …, each column of one type
    /// (the first known one; integers and doubles together are doubles; unknown is text).
    func bindValues(_ rows: [[SQLExpression]]) throws -> (PlanNode, [ResultColumn]) {
        let typed = try rows.map { row in try row.map { try bind($0, Scope()) } }
        let width = typed.first?.count ?? 0
        let types = (0..<width).map { column -> SQLType in
            let common = SQLType.common(typed.map { $0[column].type })
            return common == .unknown ? .text : common
        }
        let bound = try typed.map { row in
            try row.enumerated().map { column, value -> BoundExpression in
                let target = types[column]
                if value.type == .unknown || value.type == target { return try coerce(value, to: target) }
                return .cast(value.expression, target)
            }
        }
        return (.values(bound), types.enumerated().map { ResultColumn(name: "column\($0.offset + 1)", type: $0.element) })
    }

    private func bindJoin(_ join: Join) throws -> (PlanNode, Scope) {
        let (left, leftScope) = try bindTableReference(join.left)
        if let (right, rightScope) = try bindLateralReference(join.right, after: leftScope) {
            return try bindLateralJoin(join, left, leftScope, right, rightScope)
        }
        let (right, rightScope) = try bindTableReference(join.right)
        var scope = leftScope
        scope.append(rightScope)
        let kind: JoinSpec.Kind
        switch join.kind {
        case .inner, .cross: kind = .inner
        case .left: kind = .left
        case .right: kind = .right
        case .full: kind = .full
        }
        // PostgreSQL: the working table may not be on a side an outer join fills with NULLs.
        if (kind == .left || kind == .full) && right.readsWorkingTable || (kind == .right || kind == .full) && left.readsWorkingTable {
            throw VireoError(.invalidRecursion, "recursive reference to query must not appear within an outer join")
        }
        let written = try naturalColumns(join.condition, leftScope, rightScope)
        let condition = try joinCondition(written, leftScope, rightScope, scope)
        let spec = JoinSpec(kind: kind, condition: condition, rightWidth: rightScope.width, leftWidth: leftScope.width)
        let plan = PredicatePushdown.join(left, right, spec, leftWidth: leftScope.width)
        guard case .using(let names) = written else { return (plan, scope) }
        return try mergingUsingColumns(names, plan, kind, leftScope, rightScope)
    }

    /// NATURAL as the USING list of the column names both sides show (none: a cross join).
    private func naturalColumns(_ condition: Join.Condition, _ leftScope: Scope, _ rightScope: Scope) throws -> Join.Condition {
        guard condition == .natural else { return condition }
        let rightNames = Set(try rightScope.visibleColumns().map(\.name))
        var common: [String] = []
        for column in try leftScope.visibleColumns() where rightNames.contains(column.name) && !common.contains(column.name) {
            common.append(column.name)
        }
        return common.isEmpty ? .none : .using(common)
    }

    /// A USING join's rows as PostgreSQL shows them: each USING column once, first (the left
    /// value; the right one for RIGHT JOIN; the one not NULL for FULL JOIN), then both sides'
    /// columns, whose USING columns remain reachable only qualified (`a.id`).
    private func mergingUsingColumns(_ names: [String], _ plan: PlanNode, _ kind: JoinSpec.Kind, _ leftScope: Scope,
                                     _ rightScope: Scope) throws -> (PlanNode, Scope) {
        var merged: [BoundExpression] = [], columns: [ResultColumn] = []
        var leftSide = leftScope, rightSide = rightScope
        for name in names {
            guard let (left, leftType) = try leftScope.resolve(ColumnReference(name)),
                  let (right, rightType) = try rightScope.resolve(ColumnReference(name)) else { continue }
            let shiftedRight = BoundExpression.column(right + leftScope.width)
            switch kind {
            case .inner, .left: merged.append(.column(left))
            case .right: merged.append(shiftedRight)
            case .full: merged.append(.caseWhen([(.isNull(.column(left), negated: true), .column(left))], otherwise: shiftedRight))
            }
            columns.append(ResultColumn(name: name, type: leftType == .unknown ? rightType : leftType))
            leftSide.mergeAway(name, at: left)
            rightSide.mergeAway(name, at: right)
        }
        let width = leftScope.width + rightScope.width
        var scope = Scope()
        scope.addDerived(name: "", columns: columns)
        scope.append(leftSide)
        scope.append(rightSide)
        return (.project(plan, merged + (0..<width).map { .column($0) }), scope)
    }

    /// `left [LEFT] JOIN LATERAL (…) ON …`: the subquery runs once per left row.
    private func bindLateralJoin(_ join: Join, _ left: PlanNode, _ leftScope: Scope, _ right: PlanNode,
                                 _ rightScope: Scope) throws -> (PlanNode, Scope) {
        guard join.kind != .right && join.kind != .full else {
            throw VireoError(.invalidColumnReference, "the combining JOIN type must be INNER or LEFT for a LATERAL reference")
        }
        var scope = leftScope
        scope.append(rightScope)
        let condition = try joinCondition(join.condition, leftScope, rightScope, scope)
        let spec = JoinSpec(kind: join.kind == .left ? .left : .inner, condition: condition, rightWidth: rightScope.width)
        return (.lateralJoin(left, right, spec), scope)
    }

    /// A FROM entry that may read the entries before it (a LATERAL subquery, a function),
    /// bound with them as its nearest enclosing row; nil for other entries.
    private func bindLateralReference(_ reference: TableReference, after left: Scope) throws -> (PlanNode, Scope)? {
        switch reference {
        case .lateral(let query, let alias, let columns): try bindLateral(query, alias: alias, columns: columns, after: left)
        case .function(let function): try bindTableFunction(function, after: left)
        default: nil
        }
    }

    /// A LATERAL subquery: bound with the FROM entries before it as its nearest enclosing row.
    func bindLateral(_ query: Query, alias: String?, columns names: [String] = [], after left: Scope) throws -> (PlanNode, Scope) {
        let inner = nestedBinder(outerScopes: outerScopes + [left])
        let (plan, columns) = try inner.bindQuery(query)
        absorb(inner)
        if inner.usedOuterScope && !outerScopes.isEmpty { usedOuterScope = true }
        var scope = Scope()
        scope.addDerived(name: alias ?? "subquery", columns: try Self.renamed(Self.resolvingUnknown(columns), names, alias: alias ?? "subquery"))
        return (plan, scope)
    }

    /// `alias(a, b)` after a FROM entry: its first columns take these names, as in PostgreSQL.
    static func renamed(_ columns: [ResultColumn], _ names: [String], alias: String) throws -> [ResultColumn] {
        guard names.count <= columns.count else {
            throw VireoError(.invalidColumnReference, "table \"\(alias)\" has \(columns.count) columns available but \(names.count) columns specified")
        }
        var named = columns
        for (position, name) in names.enumerated() { named[position].name = name }
        return named
    }

    private func joinCondition(_ condition: Join.Condition, _ leftScope: Scope, _ rightScope: Scope,
                               _ scope: Scope) throws -> BoundExpression? {
        switch condition {
        case .none, .natural: return nil
        case .on(let expression): return try coerce(bind(expression, scope), to: .bool)
        case .using(let columns):
            let parts = try columns.map { name -> BoundExpression in
                guard let (a, _) = try leftScope.resolve(ColumnReference(name)),
                      let (b, _) = try rightScope.resolve(ColumnReference(name)) else {
                    throw VireoError(.undefinedColumn, "column \"\(name)\" specified in USING clause does not exist in both tables")
                }
                return .binary(.equal, .column(a), .column(b + leftScope.width))
            }
            return BoundExpression.conjunction(parts)
        }
    }

    /// Splits a join condition into equalities of a left-side and a right-side expression
    /// (hash keys; right keys shifted to the right row) and the rest.
    static func equalityKeys(_ condition: BoundExpression, leftWidth: Int) -> ([BoundExpression], [BoundExpression], BoundExpression?) {
        var leftKeys: [BoundExpression] = [], rightKeys: [BoundExpression] = [], rest: [BoundExpression] = []
        let leftColumns = 0..<leftWidth, rightColumns = leftWidth..<Int.max
        for part in condition.conjuncts {
            if case .binary(.equal, let a, let b) = part, a.isRowLocal, b.isRowLocal {
                if a.readsOnly(leftColumns) && b.readsOnly(rightColumns) {
                    leftKeys.append(a); rightKeys.append(b.shifted(by: -leftWidth)); continue
                }
                if b.readsOnly(leftColumns) && a.readsOnly(rightColumns) {
                    leftKeys.append(b); rightKeys.append(a.shifted(by: -leftWidth)); continue
                }
            }
            rest.append(part)
        }
        return (leftKeys, rightKeys, BoundExpression.conjunction(rest))
    }
}

extension BoundExpression {
    /// Whether every current-row column read lies in `positions` (and at least one is read).
    func readsOnly(_ positions: Range<Int>) -> Bool {
        var readsAny = false, readsOther = false
        visitColumns { index in
            if positions.contains(index) { readsAny = true } else { readsOther = true }
        }
        return readsAny && !readsOther
    }

    /// Whether the expression depends only on the current row (no subqueries, no outer rows).
    var isRowLocal: Bool {
        switch self {
        case .outerColumn, .exists, .scalarSubquery, .inSubquery, .rowSubquery: false
        case .function(let function, let arguments): !function.isVolatile && arguments.allSatisfy(\.isRowLocal)
        default: children.allSatisfy(\.isRowLocal)
        }
    }

    /// Whether the expression reads no row of the current query (constants, parameters).
    var isRowIndependent: Bool {
        var readsRow = false
        visitColumns { _ in readsRow = true }
        return !readsRow && isRowLocal
    }

    func visitColumns(_ visit: (Int) -> Void) {
        if case .column(let index) = self { visit(index) }
        for child in children { child.visitColumns(visit) }
    }
}
