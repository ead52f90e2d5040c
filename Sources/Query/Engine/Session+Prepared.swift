import VireoStorage

/// A statement a session keeps under a name: SQL's PREPARE, or a client's Parse message
/// (pgwire keeps its own description of those and notes them here). PostgreSQL has one
/// namespace for both: EXECUTE runs either, DEALLOCATE drops either, a name is taken once,
/// and pg_prepared_statements lists them all.
public final class PreparedSQLStatement: @unchecked Sendable {
    let name: String
    let statement: Statement
    /// What pg_prepared_statements shows: `PREPARE …` as written, or a Parse message's query.
    let text: String
    /// The types PREPARE declared for `$1`, `$2` …: EXECUTE casts its arguments to them.
    let declaredTypes: [TypeName]
    /// The parameters' type names as pg_prepared_statements shows them (nil: inferred).
    let parameterTypes: [String?]
    let fromSQL: Bool
    let preparedMicros = Functions.currentMicros()
    /// The plan of a prepared query, kept while the schema holds.
    let planCache = PlanCache()

    init(name: String, statement: Statement, text: String, declaredTypes: [TypeName] = [], parameterTypes: [String?], fromSQL: Bool) {
        self.name = name
        self.declaredTypes = declaredTypes
        self.statement = statement
        self.text = text
        self.parameterTypes = parameterTypes
        self.fromSQL = fromSQL
    }

    /// How many arguments EXECUTE must give: every parameter declared or used.
    var parameterCount: Int { max(parameterTypes.count, statement.parameterCount) }
}

extension Session {
    /// Notes a client's named statement (a Parse message): 42P05 when the name is taken.
    public func notePreparedStatement(name: String, statement: Statement?, text: String, parameterTypes: [String?]) throws {
        try withRequest {
            guard preparedStatements[name] == nil else { throw Self.duplicatePrepared(name) }
            guard let statement else { return }  // an empty query: nothing EXECUTE could run
            preparedStatements[name] = PreparedSQLStatement(name: name, statement: statement, text: text,
                                                            parameterTypes: parameterTypes, fromSQL: false)
        }
    }

    /// The statement SQL's `PREPARE name` made, with the types it declared for its
    /// parameters (nil where not declared or not a type Vireo has): PostgreSQL lets a client
    /// bind and describe such a statement by name over the extended protocol. Nil when SQL
    /// did not prepare `name`.
    public func statementPreparedInSQL(_ name: String) -> (statement: Statement, parameterTypes: [SQLType?])? {
        (try? withRequest { () -> (Statement, [SQLType?])? in
            guard let prepared = preparedStatements[name], prepared.fromSQL else { return nil }
            return (prepared.statement, prepared.declaredTypes.map { try? Binder.sqlType($0, in: database.store.catalog) })
        }) ?? nil
    }

    /// Forgets the prepared statement `name` (nil: all of them); whether there was one.
    @discardableResult
    public func forgetPreparedStatement(_ name: String?) -> Bool {
        (try? withRequest {
            guard let name else {
                preparedStatements = [:]
                return true
            }
            return preparedStatements.removeValue(forKey: name) != nil
        }) ?? false
    }

    func prepare(_ statement: PrepareStatement, text: String) throws -> QueryResult {
        guard preparedStatements[statement.name] == nil else { throw Self.duplicatePrepared(statement.name) }
        if case .select(let query) = statement.statement.body {
            // PostgreSQL analyses the statement at PREPARE: an unknown table is reported now.
            do {
                _ = try read { data in try makeBinder(data.catalog).bindQuery(query) }
            } catch let error as VireoError where error.code == .indeterminateDatatype || error.code == .undefinedParameter {
                // Its parameters' types are settled by EXECUTE's arguments.
            }
        }
        preparedStatements[statement.name] = PreparedSQLStatement(
            name: statement.name, statement: statement.statement, text: text, declaredTypes: statement.parameterTypes,
            parameterTypes: statement.parameterTypes.map(\.sql), fromSQL: true)
        return QueryResult(commandTag: "PREPARE")
    }

    func executePrepared(_ statement: ExecuteStatement, _ parameters: [Value]) throws -> QueryResult {
        guard let prepared = preparedStatements[statement.name] else {
            throw VireoError(.invalidStatementName, "prepared statement \"\(statement.name)\" does not exist")
        }
        guard statement.arguments.count == prepared.parameterCount else {
            throw VireoError(.syntaxError, "wrong number of parameters for prepared statement \"\(statement.name)\"",
                             detail: "Expected \(prepared.parameterCount) parameters but got \(statement.arguments.count).")
        }
        let values = try argumentValues(statement.arguments, types: prepared.declaredTypes, parameters)
        try waitForTableLocks(prepared.statement.body)
        if case .select(let query) = prepared.statement.body {
            return try runQueryInRequest(query, values, cache: prepared.planCache)
        }
        return try run(prepared.statement.body, values)
    }

    /// EXECUTE's arguments, each cast to its parameter's declared type, evaluated as one
    /// `SELECT` (so a bad value fails as the cast would, 22P02).
    private func argumentValues(_ arguments: [SQLExpression], types: [TypeName], _ parameters: [Value]) throws -> [Value] {
        guard !arguments.isEmpty else { return [] }
        let items = arguments.enumerated().map { position, argument -> SelectItem in
            .expression(position < types.count ? .cast(argument, types[position]) : argument, alias: nil)
        }
        let result = try read { data in try runQuery(Query(Select(items: items)), data, parameters) }
        return result.rows.first ?? []
    }

    /// The columns `EXECUTE` of a prepared query gives (nil for other statements), planned
    /// with its arguments' values, as `resultColumns` plans a query.
    func resultColumns(of statement: ExecuteStatement, _ parameters: [Value]) throws -> [ResultColumn]? {
        let query = try withRequest { () -> (Query, PreparedSQLStatement, [Value])? in
            guard let prepared = preparedStatements[statement.name], case .select(let query) = prepared.statement.body,
                  statement.arguments.count == prepared.parameterCount else { return nil }
            return (query, prepared, try argumentValues(statement.arguments, types: prepared.declaredTypes, parameters))
        }
        guard let (query, prepared, values) = query else { return nil }
        return try resultColumns(query, values, cache: prepared.planCache)
    }

    func deallocate(_ name: String?) throws -> QueryResult {
        guard let name else {
            preparedStatements = [:]
            return QueryResult(commandTag: "DEALLOCATE ALL")
        }
        guard preparedStatements.removeValue(forKey: name) != nil else {
            throw VireoError(.invalidStatementName, "prepared statement \"\(name)\" does not exist")
        }
        return QueryResult(commandTag: "DEALLOCATE")
    }

    /// pg_prepared_statements: the session's prepared statements, by name.
    func preparedStatementRows() -> [[Value]] {
        preparedStatements.sorted { $0.key < $1.key }.map { name, prepared in
            let types = (0..<prepared.parameterCount).map { position -> Value in
                .text(position < prepared.parameterTypes.count ? prepared.parameterTypes[position] ?? "unknown" : "unknown")
            }
            return [.text(name), .text(prepared.text), .timestamp(prepared.preparedMicros), .array(types), .bool(prepared.fromSQL)]
        }
    }

    private static func duplicatePrepared(_ name: String) -> VireoError {
        VireoError(.duplicatePreparedStatement, "prepared statement \"\(name)\" already exists")
    }
}
