import VireoStorage

/// A connection's state: an open transaction, if any, and its settings. Not for use by
/// two threads at once (like a PostgreSQL connection); open one per thread or client.
public final class Session: @unchecked Sendable {
    public let database: Database
    /// The write transaction of an explicit BEGIN, opened at its first write.
    var transaction: StoreTransaction?
    var inTransactionBlock = false
    var abortedBy: VireoError?
    /// Vector-index changes of the open transaction, applied to memory at commit.
    var pendingVectorChanges: [String: Set<Int64>] = [:]
    var settings = Settings()

    init(database: Database) { self.database = database }

    /// Runs every statement of `sql`; returns the last one's result.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [Value] = []) throws -> QueryResult {
        let statements = try Parser.parseScript(sql)
        var last = QueryResult(commandTag: "EMPTY")
        for statement in statements { last = try execute(statement, parameters) }
        return last
    }

    /// Runs one parsed statement.
    public func execute(_ statement: Statement, _ parameters: [Value] = []) throws -> QueryResult {
        if let abortedBy, !statement.body.endsTransaction {
            throw VireoError.inFailedTransaction(after: abortedBy)
        }
        do {
            return try run(statement.body, parameters)
        } catch let error as VireoError {
            fail(error)
            throw error
        }
    }

    /// An error inside BEGIN … COMMIT aborts the block; outside, the statement's own
    /// transaction was already rolled back.
    func fail(_ error: VireoError) {
        if inTransactionBlock { abortedBy = error }
    }

    /// Runs `statement`, reusing the plan in `planCache` while the schema it was made for
    /// holds: a client's prepared statement, run many times, is planned once.
    public func execute(_ statement: Statement, _ parameters: [Value], planCache: PlanCache) throws -> QueryResult {
        guard case .select(let query) = statement.body else { return try execute(statement, parameters) }
        do {
            return try runQuery(query, parameters, cache: planCache)
        } catch let error as VireoError {
            fail(error)
            throw error
        }
    }

    /// Whether a transaction block is open.
    public var isInTransaction: Bool { inTransactionBlock }
}

extension StatementBody {
    var endsTransaction: Bool {
        if case .transaction(let command) = self { return command != .begin }
        return false
    }
}
