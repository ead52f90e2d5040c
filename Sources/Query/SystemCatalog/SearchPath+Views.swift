import VireoStorage

/// A view's query with the tables and views it reads written `public.name`, as
/// pg_get_viewdef gives it to a session whose search path lacks public (pg_dump's): the
/// dump's CREATE VIEW then restores under the same empty search path. Relations read in
/// FROM lists, joins, subqueries in FROM, set operations and WITH entries are qualified
/// (a WITH entry's own name is not); relations read only inside an expression's subquery
/// stay as written.
extension SearchPath {
    static func qualified(_ query: Query, _ catalog: Catalog) -> Query { qualified(query, catalog, []) }

    private static func qualified(_ query: Query, _ catalog: Catalog, _ outer: Set<String>) -> Query {
        var query = query
        let shadowed = outer.union(query.with?.queries.map(\.name) ?? [])
        if var with = query.with {
            with.queries = with.queries.map { entry in
                var entry = entry
                entry.query = qualified(entry.query, catalog, shadowed)
                return entry
            }
            query.with = with
        }
        query.body = qualified(query.body, catalog, shadowed)
        return query
    }

    private static func qualified(_ body: QueryBody, _ catalog: Catalog, _ shadowed: Set<String>) -> QueryBody {
        switch body {
        case .select(var select):
            select.from = select.from.map { qualified($0, catalog, shadowed) }
            return .select(select)
        case .setOperation(var operation):
            operation.operands = operation.operands.map { qualified($0, catalog, shadowed) }
            return .setOperation(operation)
        case .values: return body
        }
    }

    private static func qualified(_ name: TableName, _ catalog: Catalog, _ shadowed: Set<String>) -> TableName {
        var name = name
        if name.schema == nil, !shadowed.contains(name.name), catalog.tables[name.name] != nil || catalog.views[name.name] != nil,
           SystemCatalog.schemaName(of: name.name) == "public" {
            name.schema = "public"
        }
        return name
    }

    private static func qualified(_ reference: TableReference, _ catalog: Catalog, _ shadowed: Set<String>) -> TableReference {
        switch reference {
        case .table(let name, let alias):
            return .table(qualified(name, catalog, shadowed), alias: alias)
        case .sample(var sample):
            sample.table = qualified(sample.table, catalog, shadowed)
            return .sample(sample)
        case .subquery(let query, let alias, let columns): return .subquery(qualified(query, catalog, shadowed), alias: alias, columns: columns)
        case .lateral(let query, let alias, let columns): return .lateral(qualified(query, catalog, shadowed), alias: alias, columns: columns)
        case .join(var join):
            join.left = qualified(join.left, catalog, shadowed)
            join.right = qualified(join.right, catalog, shadowed)
            return .join(join)
        case .values, .function: return reference
        }
    }
}
