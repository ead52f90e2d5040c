import VireoStorage

/// The query layer's half of indexes over expressions and partial indexes: binds their SQL
/// text against the table's columns (once per definition, then cached) and evaluates it
/// for the storage layer, which keeps the entries (IndexKeyComputer). Also the checks a
/// CREATE INDEX makes of its expressions and predicate.
final class IndexExpressions: IndexKeyComputer, @unchecked Sendable {
    static let shared = IndexExpressions()
    /// Bound definitions kept at most; past it the cache starts over (definitions are few).
    static let cachedMax = 1024

    /// An index's key expressions (nil: a plain column) and predicate, bound over a row of
    /// its table followed by the row id.
    struct Bound {
        var keys: [BoundExpression]
        var predicate: BoundExpression?
        /// Whether a key is jsonb, whose stored key bytes (its text) do not follow jsonb's
        /// order (JSONOrder: `1.0` = `1`, objects by size …), so the planner does not use the
        /// index for equality, ranges or order.
        var hasJSONKey = false
    }

    private let lock = Lock()
    private var cache: [String: Bound] = [:]

    /// Installs the shared instance as the process's computer of index keys.
    static func install() { IndexKeys.install(shared) }

    func keyValues(_ index: IndexDefinition, table: TableDefinition, row: [Value]) throws -> [Value]? {
        let bound = try self.bound(index, table: table)
        var input = row
        input.append(table.rowIDColumn.map { row[$0] } ?? .null)
        let context = ExecutionContext.constantFolding
        if let predicate = bound.predicate, !(try Evaluator.holds(predicate, input, context)) { return nil }
        return try bound.keys.map { try Evaluator.evaluate($0, input, context) }
    }

    func invertedTerms(_ index: IndexDefinition, key: Value) throws -> [String] {
        if index.invertedOperatorClass == Trigrams.operatorClass { return Trigrams.set(Cast.textForm(key)).map(Trigrams.term) }
        guard let operatorClass = index.invertedOperatorClass, JSONIndexTerms.operatorClasses.contains(operatorClass) else {
            throw VireoError(.corruption, "index \"\(index.name)\" has an unknown gin operator class")
        }
        return JSONIndexTerms.terms(try JSONValue.jsonb(Cast.textForm(key)), operatorClass: operatorClass)
    }

    /// The bound keys and predicate of `index` on `table`.
    func bound(_ index: IndexDefinition, table: TableDefinition) throws -> Bound {
        let signature = Self.signature(index, table: table)
        if let bound = lock.withLock({ cache[signature] }) { return bound }
        let bound = try Self.bind(index, table: table)
        lock.withLock {
            if cache.count >= Self.cachedMax { cache.removeAll() }
            cache[signature] = bound
        }
        return bound
    }

    private static func signature(_ index: IndexDefinition, table: TableDefinition) -> String {
        let columns = table.columns.map { "\($0.name) \($0.type.name)" }.joined(separator: ",")
        let keys = index.columns.indices.map { index.expression(at: $0) ?? "\"\(index.columns[$0])\"" }.joined(separator: "\u{1}")
        return [table.name, index.name, columns, keys, index.predicate ?? ""].joined(separator: "\u{0}")
    }

    private static func bind(_ index: IndexDefinition, table: TableDefinition) throws -> Bound {
        var keys: [BoundExpression] = []
        var hasJSONKey = false
        for (position, name) in index.columns.enumerated() {
            if let text = index.expression(at: position) {
                let typed = try bindExpression(Parser.parseExpression(text), table: table)
                keys.append(typed.expression)
                hasJSONKey = hasJSONKey || typed.type == .json
            } else {
                guard let column = table.columnIndex(name) else {
                    throw VireoError(.undefinedColumn, "column \"\(name)\" does not exist")
                }
                keys.append(.column(column))
                hasJSONKey = hasJSONKey || SQLType(table.columns[column].type) == .json
            }
        }
        let predicate = try index.predicate.map { try bindPredicate(Parser.parseExpression($0), table: table) }
        return Bound(keys: keys, predicate: predicate, hasJSONKey: hasJSONKey)
    }

    /// An index expression bound over `table`'s row: immutable functions only (42P17), no
    /// subquery, aggregate or parameter.
    static func bindExpression(_ expression: SQLExpression, table: TableDefinition) throws -> Binder.Typed {
        var scope = Scope()
        scope.addTable(table, alias: nil)
        let typed = try Binder(catalog: Catalog()).bind(expression, scope)
        try requireImmutable(typed.expression, what: "index expression")
        return typed
    }

    /// A partial index's predicate bound over `table`'s row, as a boolean.
    static func bindPredicate(_ expression: SQLExpression, table: TableDefinition) throws -> BoundExpression {
        var scope = Scope()
        scope.addTable(table, alias: nil)
        let binder = Binder(catalog: Catalog())
        let typed = try binder.bind(expression, scope)
        guard typed.type == .bool || typed.type == .unknown else {
            throw VireoError(.typeMismatch, "argument of WHERE must be type boolean, not type \(typed.type)")
        }
        let bound = try binder.coerce(typed, to: .bool)
        try requireImmutable(bound, what: "index predicate")
        return bound
    }

    private static func requireImmutable(_ expression: BoundExpression, what: String) throws {
        switch expression {
        case .inSubquery, .rowSubquery, .exists, .scalarSubquery, .arraySubquery:
            throw VireoError(.featureNotSupported, "cannot use subquery in \(what)")
        case .parameter:
            throw VireoError(.featureNotSupported, "cannot use parameters in \(what)")
        case .function(let function, _) where function.isVolatile || function.contextBody != nil:
            throw VireoError(.invalidObjectDefinition, "functions in \(what) must be marked IMMUTABLE")
        default:
            for child in expression.children { try requireImmutable(child, what: what) }
        }
    }

    /// PostgreSQL's name for an expression key (pg_attribute of the index): the function's
    /// name for a function call, else "expr".
    static func keyName(_ expression: SQLExpression) -> String {
        if case .function(let call) = expression { return call.name }
        return "expr"
    }
}

/// The keys and predicate a CREATE INDEX writes, checked against the table: each key a
/// column or an immutable expression (named as PostgreSQL names it), the predicate an
/// immutable boolean; both kept as canonical SQL text.
struct IndexKeySpecification {
    var columns: [String] = []
    var expressions: [String?] = []
    /// The type of each expression key (nil for a column).
    var expressionTypes: [SQLType?] = []
    /// Whether each key is DESC.
    var descending: [Bool] = []
    /// Whether each key's NULLs come first, as written or by its direction's default.
    var nullsFirst: [Bool] = []
    var predicate: String?

    init(_ statement: CreateIndex, table: TableDefinition) throws {
        for column in statement.columns {
            descending.append(column.descending)
            nullsFirst.append(column.nullsFirst ?? column.descending)
            if let expression = column.expression {
                if case .column(let reference) = expression, reference.table == nil {
                    // `((email))` is the column itself, as in PostgreSQL.
                    append(column: reference.column)
                    continue
                }
                let typed = try IndexExpressions.bindExpression(expression, table: table)
                let base = IndexExpressions.keyName(expression)
                let name = TableBuilder.unusedName(base) { taken in columns.contains(taken) || table.columnIndex(taken) != nil }
                columns.append(name)
                expressions.append(expression.sql)
                expressionTypes.append(typed.type)
            } else {
                append(column: column.name)
            }
        }
        if let written = statement.predicate {
            _ = try IndexExpressions.bindPredicate(written, table: table)
            predicate = written.sql
        }
    }

    private mutating func append(column: String) {
        columns.append(column)
        expressions.append(nil)
        expressionTypes.append(nil)
    }

    var isComputed: Bool { predicate != nil || expressions.contains { $0 != nil } }

    func apply(to definition: inout IndexDefinition) {
        definition.expressions = expressions.contains { $0 != nil } ? expressions : nil
        definition.predicate = predicate
        definition.descending = descending.contains(true) ? descending : nil
        definition.nullsFirst = nullsFirst == descending ? nil : nullsFirst
    }
}

extension IndexDefinition {
    /// The keys as PostgreSQL prints them (pg_get_indexdef, psql's `\d`): a column by
    /// name, a function call as written, any other expression in parentheses.
    public var keyDefinitions: [String] {
        columns.indices.map { position in
            guard let text = expression(at: position) else { return quoteIdentifier(columns[position]) }
            if case .function? = try? Parser.parseExpression(text) { return text }
            return "(" + text + ")"
        }
    }

    /// The keys with their order, as CREATE INDEX and pg_get_indexdef write them (`b DESC`,
    /// `c NULLS FIRST`: the NULLS clause only where it is not the direction's default), and a
    /// gin key's operator class unless it is the default (`doc jsonb_path_ops`).
    public var directedKeyDefinitions: [String] {
        if let operatorClass = invertedOperatorClass, operatorClass != JSONIndexTerms.defaultOperatorClass {
            return keyDefinitions.map { $0 + " " + operatorClass }
        }
        return zip(keyDefinitions, columns.indices).map { key, position in
            let descending = isDescending(at: position), nullsFirst = isNullsFirst(at: position)
            let nulls = nullsFirst == descending ? "" : nullsFirst ? " NULLS FIRST" : " NULLS LAST"
            return key + (descending ? " DESC" : "") + nulls
        }
    }

    /// ` WHERE predicate` of a partial index (parenthesized unless `pretty`), empty otherwise.
    public func predicateClause(pretty: Bool) -> String {
        guard let predicate else { return "" }
        return pretty ? " WHERE " + predicate : " WHERE (" + predicate + ")"
    }
}
