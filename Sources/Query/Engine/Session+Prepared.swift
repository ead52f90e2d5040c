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
    /// The plan of a prepared query, kept while the schema holds, and the declared types
    /// resolved when the statement was prepared (PREPARE's, or a Parse message's OIDs):
    /// the statement is bound with `$n` of these types.
    let planCache: PlanCache

    init(name: String, statement: Statement, text: String, declaredTypes: [TypeName] = [], declaredSQLTypes: [SQLType] = [],
         parameterTypes: [String?], fromSQL: Bool) {
        self.name = name
        self.declaredTypes = declaredTypes
        self.planCache = PlanCache(parameterTypes: declaredSQLTypes)
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
    /// `declaredTypes`: the types its Parse message declared (`parameterTypes(oids:)`).
    public func notePreparedStatement(name: String, statement: Statement?, text: String, parameterTypes: [String?],
                                      declaredTypes: [SQLType] = []) throws {
        try withRequest {
            guard preparedStatements[name] == nil else { throw Self.duplicatePrepared(name) }
            guard let statement else { return }  // an empty query: nothing EXECUTE could run
            preparedStatements[name] = PreparedSQLStatement(name: name, statement: statement, text: text, declaredSQLTypes: declaredTypes,
                                                            parameterTypes: parameterTypes, fromSQL: false)
        }
    }

    /// The statement SQL's `PREPARE name` made, with the types it declared for its
    /// parameters (nil where not declared or not a type Vireo has): PostgreSQL lets a client
    /// bind and describe such a statement by name over the extended protocol. Nil when SQL
    /// did not prepare `name`.
    public func statementPreparedInSQL(_ name: String) -> (statement: Statement, planCache: PlanCache)? {
        (try? withRequest { () -> (Statement, PlanCache)? in
            guard let prepared = preparedStatements[name], prepared.fromSQL else { return nil }
            return (prepared.statement, prepared.planCache)
        }) ?? nil
    }

    /// The types a client's Parse message declares for `$1`, `$2` … by OID (0: the use
    /// decides, `unknown`), resolved as PREPARE resolves its type names: empty when none is
    /// declared. 42704 for an OID that names no type Vireo has.
    public func parameterTypes(oids: [Int32]) throws -> [SQLType] {
        guard oids.contains(where: { $0 != 0 }) else { return [] }
        // Built-in OIDs need no catalog: psycopg declares them in the Parse of every query
        // it sends with parameters, and a request and snapshot there were work per query.
        if let types = try? oids.map({ try Self.builtinParameterType(oid: Int64($0)) }) { return types }
        return try withRequest { try read { data in try oids.map { try Self.parameterType(oid: Int64($0), data.catalog) } } }
    }

    private static func parameterType(oid: Int64, _ catalog: Catalog) throws -> SQLType {
        if let type = catalog.enumTypes.values.first(where: { $0.oid == oid }) { return .enumeration(type) }
        return try builtinParameterType(oid: oid)
    }

    /// A built-in type's (or its array type's) parameter type; 42704 for another OID.
    private static func builtinParameterType(oid: Int64) throws -> SQLType {
        if oid == 0 || oid == BuiltinType.unknownOID { return .unknown }
        guard let type = builtinParameterTypes[oid] else { throw VireoError(.undefinedObject, "type with OID \(oid) does not exist") }
        return type
    }

    /// Every built-in type and array type by OID, resolved once as PREPARE resolves their names.
    private static let builtinParameterTypes: [Int64: SQLType] = {
        var types: [Int64: SQLType] = [:]
        for builtin in BuiltinType.all {
            guard let type = try? sqlType(of: builtin) else { continue }
            types[builtin.oid] = type
            if builtin.arrayOID != 0 { types[builtin.arrayOID] = .array(type) }
        }
        return types
    }()

    private static func sqlType(of builtin: BuiltinType) throws -> SQLType {
        // A type OID carries no length: bit is any bit string here, not the bit(1) the name means in SQL.
        if builtin.name == "bit" || builtin.name == "varbit" { return .bit(nil, varying: builtin.name == "varbit") }
        // pg_type's `char` is the one-byte catalog type, which SQL spells quoted.
        return try Binder.sqlType(Parser.parseTypeName(builtin.name == "char" ? "\"char\"" : builtin.name))
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
        // An unknown type name is 42704 here, as PostgreSQL reports it at PREPARE.
        let types = try read { data in try statement.parameterTypes.map { try Binder.sqlType($0, in: data.catalog) } }
        // PostgreSQL analyses the statement at PREPARE, `$n` of its declared type: an unknown
        // table, `$1 + 1` with $1 text (42883), an integer $1 into a boolean column (42804)
        // is reported now. The statement is bound as Describe binds it, not run.
        do {
            _ = try withDeclaredParameterTypes(types) {
                try read { data in try describedColumns(statement.statement.body, makeBinder(data.catalog), data.catalog) }
            }
        } catch let error as VireoError where error.code == .indeterminateDatatype || error.code == .undefinedParameter {
            // Its parameters' types are settled by EXECUTE's arguments.
        }
        preparedStatements[statement.name] = PreparedSQLStatement(
            name: statement.name, statement: statement.statement, text: text, declaredTypes: statement.parameterTypes,
            declaredSQLTypes: types, parameterTypes: statement.parameterTypes.map(\.sql), fromSQL: true)
        return QueryResult(commandTag: "PREPARE")
    }

    func executePrepared(_ statement: ExecuteStatement, _ parameters: [Value]) throws -> QueryResult {
        guard let prepared = preparedStatements[statement.name] else {
            throw VireoError(.invalidStatementName, "prepared statement \"\(statement.name)\" does not exist")
        }
        let values = try argumentValues(of: statement, prepared, parameters)
        try waitForTableLocks(prepared.statement.body)
        return try withDeclaredParameterTypes(prepared.planCache.parameterTypes) {
            if case .select(let query) = prepared.statement.body {
                return try runQueryInRequest(query, values, cache: prepared.planCache)
            }
            return try run(prepared.statement.body, values)
        }
    }

    /// Runs `body` with `declaredParameterTypes` set to `types` (PREPARE's declared types).
    func withDeclaredParameterTypes<R>(_ types: [SQLType], _ body: () throws -> R) rethrows -> R {
        guard !types.isEmpty else { return try body() }
        let saved = declaredParameterTypes
        declaredParameterTypes = types
        defer { declaredParameterTypes = saved }
        return try body()
    }

    /// EXECUTE's arguments as the values of the prepared statement's parameters: 42601 for
    /// a wrong number of them. As in PostgreSQL, a statement without parameters ignores
    /// the arguments it is given (`EXECUTE p(1)` of `PREPARE p AS SELECT 1`).
    private func argumentValues(of statement: ExecuteStatement, _ prepared: PreparedSQLStatement, _ parameters: [Value]) throws -> [Value] {
        guard prepared.parameterCount > 0 else { return [] }
        guard statement.arguments.count == prepared.parameterCount else {
            throw VireoError(.syntaxError, "wrong number of parameters for prepared statement \"\(statement.name)\"",
                             detail: "Expected \(prepared.parameterCount) parameters but got \(statement.arguments.count).")
        }
        return try argumentValues(statement.arguments, types: prepared.declaredTypes, parameters)
    }

    /// EXECUTE's arguments, each cast to its parameter's declared type, evaluated as one
    /// `SELECT` (so a bad value fails as the cast would, 22P02).
    private func argumentValues(_ arguments: [SQLExpression], types: [TypeName], _ parameters: [Value]) throws -> [Value] {
        guard !arguments.isEmpty else { return [] }
        let items = arguments.enumerated().map { position, argument -> SelectItem in
            .expression(position < types.count ? .cast(argument, types[position]) : argument, alias: nil)
        }
        // Their row is EXECUTE's to read: a streaming request's consumer is for the rows of
        // the query EXECUTE runs next, and taking it here left EXECUTE with no arguments.
        let result = try withoutRowStream { try read { data in try runQuery(Query(Select(items: items)), data, parameters) } }
        return result.rows.first ?? []
    }

    /// The columns `EXECUTE` of a prepared query gives (nil for other statements), planned
    /// with its arguments' values, as `resultColumns` plans a query.
    func resultColumns(of statement: ExecuteStatement, _ parameters: [Value]) throws -> [ResultColumn]? {
        let query = try withRequest { () -> (Query, PreparedSQLStatement, [Value])? in
            guard let prepared = preparedStatements[statement.name], case .select(let query) = prepared.statement.body,
                  prepared.parameterCount == 0 || statement.arguments.count == prepared.parameterCount else { return nil }
            return (query, prepared, try argumentValues(of: statement, prepared, parameters))
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
