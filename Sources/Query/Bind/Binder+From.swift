import VireoStorage

extension Binder {
    /// The FROM list as one plan (entries separated by commas are cross-joined) and the
    /// scope of names it makes visible. No FROM gives one empty row.
    func bindFrom(_ references: [TableReference]) throws -> (PlanNode, Scope) {
        guard let first = references.first else { return (.values([[]]), Scope()) }
        var (plan, scope) = try bindTableReference(first)
        for reference in references.dropFirst() {
            let (right, rightScope) = try bindTableReference(reference)
            plan = .nestedLoopJoin(plan, right, JoinSpec(kind: .inner, condition: nil, rightWidth: rightScope.width))
            scope.append(rightScope)
        }
        return (plan, scope)
    }

    func bindTableReference(_ reference: TableReference) throws -> (PlanNode, Scope) {
        switch reference {
        case .table(let name, let alias):
            if let relation = SystemCatalog.relation(name, catalog) {
                var scope = Scope()
                scope.addDerived(name: alias ?? name.name, columns: relation.columns)
                return (.values(relation.rows.map { $0.map(BoundExpression.constant) }), scope)
            }
            let table = try catalog.table(name.name)
            var scope = Scope()
            scope.addTable(table, alias: alias)
            return (.seqScan(TableScan(table: table, filter: nil, reason: "no usable index")), scope)
        case .subquery(let query, let alias):
            let inner = Binder(catalog: catalog, staleVectorIndexes: staleVectorIndexes)
            inner.outerScopes = outerScopes
            inner.parameterTypes = parameterTypes
            let (plan, columns) = try inner.bindQuery(query)
            parameterTypes.merge(inner.parameterTypes) { current, _ in current }
            var scope = Scope()
            scope.addDerived(name: alias ?? "subquery", columns: columns)
            return (plan, scope)
        case .join(let join):
            return try bindJoin(join)
        }
    }

    private func bindJoin(_ join: Join) throws -> (PlanNode, Scope) {
        let (left, leftScope) = try bindTableReference(join.left)
        let (right, rightScope) = try bindTableReference(join.right)
        var scope = leftScope
        scope.append(rightScope)
        let kind: JoinSpec.Kind
        switch join.kind {
        case .inner, .cross: kind = .inner
        case .left: kind = .left
        case .right, .full:
            throw VireoError(.featureNotSupported, "\(join.kind.rawValue) is not supported; write it as a LEFT JOIN")
        }
        let condition = try joinCondition(join.condition, leftScope, rightScope, scope)
        let spec = JoinSpec(kind: kind, condition: condition, rightWidth: rightScope.width)
        guard let condition else { return (.nestedLoopJoin(left, right, spec), scope) }
        let (leftKeys, rightKeys, residual) = Self.equalityKeys(condition, leftWidth: leftScope.width)
        if leftKeys.isEmpty { return (.nestedLoopJoin(left, right, spec), scope) }
        let hashSpec = JoinSpec(kind: kind, condition: residual, rightWidth: rightScope.width)
        return (.hashJoin(left, right, hashSpec, leftKeys: leftKeys, rightKeys: rightKeys), scope)
    }

    private func joinCondition(_ condition: Join.Condition, _ leftScope: Scope, _ rightScope: Scope,
                               _ scope: Scope) throws -> BoundExpression? {
        switch condition {
        case .none: return nil
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
        case .outerColumn, .exists, .scalarSubquery, .inSubquery: false
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
