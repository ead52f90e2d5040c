import VireoStorage

/// A WITH query as bound: its result columns and plan. Plans refer to it by identity, so
/// that every reference shares one computation of its rows per statement.
final class CommonTable: @unchecked Sendable {
    let name: String
    var columns: [ResultColumn] = []
    var plan: PlanNode = .values([])
    /// References from the statement outside the WITH query itself; with one, the rows
    /// stream straight from the plan (a LIMIT above stops a recursion early). One from a
    /// subquery that may run many times counts as two, so the rows are computed once.
    var references = 0
    /// How many enclosing query rows the WITH list's own query level has.
    var depth = 0
    /// References to the working table from the recursive term (at most one).
    var recursiveReferences = 0
    /// Reads a row of an enclosing query: its rows are computed again for each use.
    var isCorrelated = false
    /// A data-modifying entry without RETURNING: it has no rows to read.
    var returnsNothing = false

    init(name: String) { self.name = name }

    /// The rows a data-modifying WITH entry returned (it ran before the statement was bound).
    init(changed entry: CommonTableExpression, columns: [ResultColumn], rows: [[Value]]) throws {
        name = entry.name
        self.columns = try Binder.renamed(columns, entry)
        plan = .values(rows.map { $0.map(BoundExpression.constant) })
        returnsNothing = columns.isEmpty
    }
}

/// What a WITH name stands for while binding.
enum CommonTableBinding {
    case ready(CommonTable)
    /// Inside the recursive term: the rows of the previous iteration.
    case workingTable(CommonTable)
    /// Inside the non-recursive term of a recursive query, where the name must not appear.
    case pending
}

extension Binder {
    /// A binder for a query nested in this one's statement: same catalog, parameters and
    /// WITH names, enclosing scopes as given.
    func nestedBinder(outerScopes: [Scope]) -> Binder {
        let inner = Binder(catalog: catalog, staleVectorIndexes: staleVectorIndexes)
        inner.outerScopes = outerScopes
        inner.parameterTypes = parameterTypes
        inner.declaredParameterTypes = declaredParameterTypes
        inner.commonTables = commonTables
        inner.relationsRead = relationsRead
        inner.expandingViews = expandingViews
        inner.functionArguments = functionArguments
        inner.expandingFunctions = expandingFunctions
        return inner
    }

    /// A nested query's result columns as the query around it sees them: PostgreSQL
    /// resolves an output column of unknown type (a string literal, NULL) to text, so that
    /// `1 + x FROM (SELECT '1' AS x) s` is 42883 as `1 + '1'::text` is, and an INSERT of
    /// it into an integer column 42804. Such a column's values are text or NULL already:
    /// only its type changes, and no plan node is added.
    static func resolvingUnknown(_ columns: [ResultColumn]) -> [ResultColumn] {
        guard columns.contains(where: { $0.type == .unknown }) else { return columns }
        return columns.map { ResultColumn(name: $0.name, type: $0.type == .unknown ? .text : $0.type) }
    }

    /// Takes back what a nested binder learned: parameter types, and whether it read an
    /// enclosing query's row.
    func absorb(_ inner: Binder) {
        parameterTypes.merge(inner.parameterTypes) { current, _ in current }
    }

    /// Binds each entry of a WITH list and makes its name visible to the rest of the
    /// statement (callers drop the names again when the statement's scope ends).
    func bindWith(_ with: WithClause?) throws {
        guard let with else { return }
        var names = Set<String>()
        for entry in with.queries {
            guard names.insert(entry.name).inserted else {
                throw VireoError(.duplicateAlias, "WITH query name \"\(entry.name)\" specified more than once")
            }
            if entry.change != nil {
                guard let table = changedRows[entry.name] else {
                    throw VireoError(.featureNotSupported, "WITH clause containing a data-modifying statement must be at the top level")
                }
                commonTables.append((entry.name, .ready(table)))
                continue
            }
            let table = CommonTable(name: entry.name)
            table.depth = outerScopes.count
            if with.recursive, case .setOperation(let operation) = entry.query.body, operation.kind == .union,
               try bindRecursive(entry, operation, into: table) {
                commonTables.append((entry.name, .ready(table)))
                continue
            }
            if with.recursive { commonTables.append((entry.name, .pending)) }
            let inner = nestedBinder(outerScopes: outerScopes)
            let (plan, columns) = try inner.bindQuery(entry.query)
            if with.recursive { commonTables.removeLast() }
            absorb(inner)
            if inner.usedOuterScope { table.isCorrelated = true; usedOuterScope = true }
            table.plan = plan
            table.columns = try Self.renamed(Self.resolvingUnknown(columns), entry)
            commonTables.append((entry.name, .ready(table)))
        }
    }

    /// `anchor UNION [ALL] recursive term`: binds both; false when the second term does not
    /// read the query's own name (it is then an ordinary UNION, bound by the caller).
    private func bindRecursive(_ entry: CommonTableExpression, _ operation: SetOperation, into table: CommonTable) throws -> Bool {
        commonTables.append((entry.name, .pending))
        let anchorBinder = nestedBinder(outerScopes: outerScopes)
        let (anchor, anchorColumns) = try anchorBinder.bindQuery(operation.left)
        commonTables.removeLast()
        absorb(anchorBinder)
        table.columns = try Self.renamed(Self.resolvingUnknown(anchorColumns), entry)
        commonTables.append((entry.name, .workingTable(table)))
        let recursiveBinder = nestedBinder(outerScopes: outerScopes)
        let (recursive, recursiveColumns) = try recursiveBinder.bindQuery(operation.right)
        commonTables.removeLast()
        absorb(recursiveBinder)
        guard table.recursiveReferences > 0 else { return false }
        if case .select(let select) = operation.right.body, hasAggregates(select, operation.right) {
            throw VireoError(.invalidRecursion, "aggregate functions are not allowed in a recursive query's recursive term")
        }
        guard recursiveColumns.count == anchorColumns.count else {
            throw VireoError(.syntaxError, "each UNION query must have the same number of columns")
        }
        if !entry.query.orderBy.isEmpty || entry.query.limit != nil || entry.query.offset != nil {
            throw VireoError(.featureNotSupported, "ORDER BY, LIMIT and OFFSET in a recursive query are not implemented")
        }
        if anchorBinder.usedOuterScope || recursiveBinder.usedOuterScope { table.isCorrelated = true; usedOuterScope = true }
        // As in PostgreSQL, the recursive term must produce the anchor's types (an unknown
        // literal takes the anchor's type).
        let converted = try recursiveColumns.enumerated().map { position, column -> BoundExpression in
            let anchorType = table.columns[position].type
            if column.type == anchorType { return .column(position) }
            guard column.type == .unknown else {
                throw VireoError(.typeMismatch, "recursive query \"\(entry.name)\" column \(position + 1) has type \(anchorType) in non-recursive term but type \(column.type) overall")
            }
            return .cast(.column(position), anchorType)
        }
        table.plan = .recursiveUnion(table, anchor: anchor, recursive: .project(recursive, converted), all: operation.all)
        return true
    }

    /// The query's columns under the names written after the WITH name (fewer names rename
    /// only the first columns).
    static func renamed(_ columns: [ResultColumn], _ entry: CommonTableExpression) throws -> [ResultColumn] {
        guard entry.columns.count <= columns.count else {
            throw VireoError(.invalidColumnReference, "WITH query \"\(entry.name)\" has \(columns.count) columns available but \(entry.columns.count) columns specified")
        }
        var renamed = columns
        for (position, name) in entry.columns.enumerated() { renamed[position].name = name }
        return renamed
    }

    /// A FROM entry naming a WITH query: its plan and scope; nil when no WITH query has the name.
    func commonTableReference(_ name: TableName, alias: String?) throws -> (PlanNode, Scope)? {
        guard name.schema == nil, let binding = commonTables.last(where: { $0.0 == name.name })?.1 else { return nil }
        var scope = Scope()
        switch binding {
        case .ready(let table):
            if table.returnsNothing {
                throw VireoError(.featureNotSupported, "WITH query \"\(name.name)\" does not have a RETURNING clause")
            }
            table.references += outerScopes.count > table.depth ? 2 : 1
            scope.addDerived(name: alias ?? name.name, columns: table.columns)
            return (.commonTableScan(table), scope)
        case .workingTable(let table):
            guard outerScopes.count <= table.depth else {
                throw VireoError(.invalidRecursion, "recursive reference to query \"\(name.name)\" must not appear within a subquery")
            }
            table.recursiveReferences += 1
            guard table.recursiveReferences == 1 else {
                throw VireoError(.invalidRecursion, "recursive reference to query \"\(name.name)\" must not appear more than once")
            }
            scope.addDerived(name: alias ?? name.name, columns: table.columns)
            return (.workingTableScan(table), scope)
        case .pending:
            throw VireoError(.invalidRecursion, "recursive reference to query \"\(name.name)\" must not appear within its non-recursive term")
        }
    }
}

extension PlanNode {
    /// Whether the plan reads a recursive query's working table (outside nested WITH queries).
    var readsWorkingTable: Bool {
        if case .workingTableScan = self { return true }
        if case .commonTableScan = self { return false }
        return children.contains { $0.readsWorkingTable }
    }
}
