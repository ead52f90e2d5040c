import VireoStorage

/// The tables and views one statement names, collected across its nested binders.
final class RelationsRead {
    var names: Set<String> = []
    /// Whether the statement reads a pg_catalog relation or a sequence as a relation: the
    /// plan holds their rows as constants, and some change without a new schema version
    /// (a sequence's last value, pg_sequences, ANALYZE's counts), so such a plan is made
    /// afresh for each execution, never kept.
    var catalogRows = false
}

extension Binder {
    /// A FROM entry naming a view: the view's stored query, parsed and bound afresh, under
    /// the view's column names; nil when no view has the name.
    func viewReference(_ name: TableName, alias: String?) throws -> (PlanNode, Scope)? {
        guard let view = catalog.view(name) else { return nil }
        relationsRead.names.insert(view.name)
        let (plan, columns) = try bindView(view)
        var scope = Scope()
        scope.addDerived(name: alias ?? view.name, columns: columns)
        return (plan, scope)
    }

    /// The plan of a view's query, cut to the view's columns. The query is bound in a binder
    /// of its own: a view sees no WITH names or columns of the statement that names it.
    func bindView(_ view: ViewDefinition) throws -> (PlanNode, [ResultColumn]) {
        guard !expandingViews.contains(view.name) else {
            throw VireoError(.invalidObjectDefinition, "infinite recursion detected in rules for relation \"\(view.name)\"")
        }
        let inner = Binder(catalog: catalog, staleVectorIndexes: staleVectorIndexes)
        inner.expandingViews = expandingViews.union([view.name])
        inner.expandingFunctions = expandingFunctions
        inner.relationsRead = relationsRead
        let (plan, columns) = try Self.asCreated(view) { try inner.bindQuery(try Self.viewQuery(view)) }
        let origins = Scope.origins(of: view.columns, relation: view.name)
        let shown = zip(view.columns, origins).map { ResultColumn(name: $0.name, type: SQLType($0.type), origin: $1) }
        let stillMatches = columns.count >= shown.count
            && zip(columns, shown).allSatisfy { $0.type.storedInView == $1.type || $0.type == .unknown && $1.type == .text }
        guard stillMatches else {
            throw VireoError(.invalidObjectDefinition, "view \"\(view.name)\" no longer matches the relations it reads; recreate it")
        }
        guard columns.count > shown.count else { return (plan, shown) }
        return (.project(plan, shown.indices.map { BoundExpression.column($0) }), shown)
    }

    /// Runs `body`, which binds `view`'s query, with its names meaning the relations they
    /// meant at CREATE VIEW: PostgreSQL binds a view's relations then (by OID), so a view
    /// that read only permanent relations reads them still when a temporary table of the
    /// same name later hides one for the session. (A view over a temporary table, which
    /// PostgreSQL makes a temporary view, finds its names as the session does.)
    static func asCreated<R>(_ view: ViewDefinition, _ body: () throws -> R) rethrows -> R {
        guard TemporarySchema.current != nil, !view.readsTemporaryTables else { return try body() }
        return try TemporarySchema.$current.withValue(nil, operation: body)
    }

    /// A view's stored SQL as a query.
    static func viewQuery(_ view: ViewDefinition) throws -> Query {
        guard case .select(let query) = try Parser.parseStatement(view.query).body else {
            throw VireoError(.invalidObjectDefinition, "view \"\(view.name)\" is stored with a statement that is not a query")
        }
        return query
    }
}

extension ViewDefinition {
    /// Whether the view reads a temporary table, itself or through the views it reads.
    var readsTemporaryTables: Bool { dependsOn.contains { TemporarySchema.split($0) != nil } }
}

extension SQLType {
    /// The type a view column of this type shows: an unknown literal becomes text, as in
    /// PostgreSQL since version 10.
    var storedInView: SQLType { self == .unknown ? .text : self }

    /// The column type that stores a view column of this type (a vector of no fixed
    /// dimension in a column of any dimension); nil for an array of what no column holds.
    var columnType: ColumnType? {
        switch self {
        case .bool: .bool
        case .int: .int
        case .smallint: .smallint
        case .integer: .integer
        case .double: .double
        case .real: .real
        case .text, .unknown: .text
        case .bytes: .bytes
        case .json: .json
        case .jsonText: .jsonText
        case .timestamp: .timestamp
        case .date: .date
        case .timestamptz: .timestamptz
        case .uuid: .uuid
        case .interval: .interval
        case .time: .time
        case .vector(let dimension): .vector(dimension: dimension ?? 0)
        case .halfvec(let dimension): .halfvec(dimension: dimension ?? 0)
        case .sparsevec(let dimension): .sparsevec(dimension: dimension ?? 0)
        case .tsvector: .tsvector
        case .tsquery: .tsquery
        case .array(let element): element.columnType.map { .array(element: $0) }
        case .numeric: .numeric(precision: nil, scale: 0)
        case .oid: .int
        case .int2vector: .array(element: .smallint)
        case .name, .internalChar: .text
        case .bit(let length, let varying): .bit(length: length, varying: varying)
        case .enumeration(let type): .enumeration(type)
        case .record: nil
        }
    }
}
