import VireoStorage

/// An open cursor: its query's rows, collected at DECLARE on that statement's snapshot (so
/// rows written later are never fetched), and where it stands among them.
///
/// Positions are PostgreSQL's: 0 is before the first row, 1…count are on a row, count + 1
/// is after the last. Invariant: `0 <= position <= rows.count + 1`.
struct Cursor {
    let columns: [ResultColumn]
    let rows: [[Value]]
    var position = 0
    let withHold: Bool
    /// Declared in the open transaction block: a ROLLBACK closes it even WITH HOLD.
    var declaredInBlock: Bool
    /// A pgwire portal's rows rather than a DECLARE's (`openPortalCursor`).
    var isPortal = false
    /// The DECLARE statement, as pg_cursors shows it (nil for a portal's rows).
    var statement: String? = nil
    /// When it was opened, in microseconds since 1970 (pg_cursors' creation_time).
    var createdMicros = Functions.currentMicros()

    /// The rows a FETCH in `direction` returns (0-based indexes, in the order returned),
    /// moving the cursor past them: onto the last row returned, or off the end when fewer
    /// rows than asked for were left.
    mutating func take(_ direction: CursorDirection) -> [Int] {
        let afterLast = rows.count + 1
        switch direction {
        case .absolute(let row):
            return moveTo(row >= 0 ? clamped(row) : afterLast + clamped(row))
        case .relative(let offset):
            return moveTo(position + clamped(offset))
        case .forward(let count?) where count < 0:
            return take(.backward(count == .min ? nil : -count))
        case .backward(let count?) where count < 0:
            return take(.forward(-count))
        case .forward(0), .backward(0):
            return moveTo(position)
        case .forward(let count):
            let end = min(position + (count.map(clamped) ?? afterLast), afterLast)
            defer { position = end }
            return Array(stride(from: position, to: min(end, rows.count), by: 1))
        case .backward(let count):
            let end = max(position - (count.map(clamped) ?? afterLast), 0)
            defer { position = end }
            return stride(from: min(position - 1, rows.count), through: max(end, 1), by: -1).map { $0 - 1 }
        }
    }

    /// A count or row number cut to what can matter here (every count past the rows is
    /// the same), so that arithmetic on it cannot overflow.
    private func clamped(_ count: Int64) -> Int {
        Int(max(-Int64(rows.count) - 2, min(count, Int64(rows.count) + 2)))
    }

    /// Moves onto row `target` (clamped to just before the first or just after the last):
    /// its row, or none when that is off either end.
    private mutating func moveTo(_ target: Int) -> [Int] {
        position = max(0, min(target, rows.count + 1))
        return position >= 1 && position <= rows.count ? [position - 1] : []
    }
}

extension Session {
    /// DECLARE: runs the query once, now, and keeps its rows (they count against work_mem,
    /// as a result's do).
    func declareCursor(_ declare: DeclareCursor, _ parameters: [Value]) throws -> QueryResult {
        guard inTransactionBlock || declare.withHold else {
            throw VireoError(.noActiveTransaction, "DECLARE CURSOR can only be used in transaction blocks")
        }
        guard cursors[declare.name] == nil else {
            throw VireoError(.duplicateCursor, "cursor \"\(declare.name)\" already exists")
        }
        // The rows are the cursor's, not the request's: a streaming request must not take them.
        let result = try withoutRowStream { try read { data in try runQuery(declare.query, data, parameters) } }
        cursors[declare.name] = Cursor(columns: result.columns, rows: result.rows, withHold: declare.withHold,
                                       declaredInBlock: inTransactionBlock, statement: declare.sql)
        return QueryResult(commandTag: "DECLARE CURSOR")
    }

    /// FETCH returns the rows in the direction (`FETCH n`); MOVE only moves (`MOVE n`).
    func fetchCursor(_ fetch: FetchCursor) throws -> QueryResult {
        guard var cursor = cursors[fetch.name] else { throw Self.noSuchCursor(fetch.name) }
        let taken = cursor.take(fetch.direction)
        cursors[fetch.name] = cursor
        if fetch.isMove { return QueryResult(commandTag: "MOVE \(taken.count)") }
        return QueryResult(columns: cursor.columns, rows: taken.map { cursor.rows[$0] }, commandTag: "FETCH \(taken.count)")
    }

    /// CLOSE name, or CLOSE ALL (nil).
    func closeCursor(_ name: String?) throws -> QueryResult {
        if let name {
            guard cursors.removeValue(forKey: name) != nil else { throw Self.noSuchCursor(name) }
        } else {
            cursors = [:]
        }
        return QueryResult(commandTag: "CLOSE CURSOR")
    }

    /// The end of a transaction block: COMMIT closes the cursors WITHOUT HOLD and keeps the
    /// others past the block; ROLLBACK also closes those WITH HOLD that the block declared.
    /// (ROLLBACK TO SAVEPOINT leaves cursors alone, unlike PostgreSQL, which closes those
    /// declared after the savepoint.)
    func endCursorsOfBlock(committed: Bool) {
        cursors = cursors.filter { $0.value.withHold && (committed || !$0.value.declaredInBlock) }
        for name in cursors.keys { cursors[name]?.declaredInBlock = false }
    }

    /// The columns FETCH from cursor `name` returns, nil when no such cursor is open. A
    /// server answers pgwire's Describe of a portal by a cursor's name with them, as
    /// PostgreSQL does (psycopg describes its named cursors so).
    public func cursorColumns(_ name: String) -> [ResultColumn]? {
        requestLock.withLock { cursors[name]?.columns }
    }

    /// Keeps a pgwire portal's collected rows as the cursor `name`, positioned on its first
    /// row, since PostgreSQL's portals and cursors are one namespace: SQL's FETCH, MOVE and
    /// CLOSE reach a portal a driver bound (asyncpg's `Cursor.forward` sends `MOVE FORWARD n
    /// portal`), and it lives as long as a cursor declared where it was bound would.
    public func openPortalCursor(_ name: String, _ result: QueryResult) throws {
        try requestLock.withLock {
            guard cursors[name] == nil else { throw VireoError(.duplicateCursor, "cursor \"\(name)\" already exists") }
            cursors[name] = Cursor(columns: result.columns, rows: result.rows, withHold: !inTransactionBlock,
                                   declaredInBlock: inTransactionBlock, isPortal: true)
        }
    }

    /// The next `count` rows of the portal cursor `name` (all that are left when nil), and
    /// whether the count was reached, so that more may follow (pgwire's PortalSuspended: as
    /// in PostgreSQL, an Execute that takes exactly the last rows is suspended and the next
    /// one returns none). Nil when no cursor by that name is open (closed by CLOSE, or by the
    /// end of the transaction that bound it).
    public func fetchPortalCursor(_ name: String, count: Int?) -> (rows: [[Value]], suspended: Bool)? {
        requestLock.withLock {
            guard var cursor = cursors[name] else { return nil }
            let taken = cursor.take(.forward(count.map(Int64.init)))
            cursors[name] = cursor
            return (taken.map { cursor.rows[$0] }, count != nil && taken.count == count)
        }
    }

    /// Closes the portal cursor `name` (pgwire's Close of the portal); a DECLARE's cursor of
    /// that name is left alone.
    public func closePortalCursor(_ name: String) {
        requestLock.withLock {
            if cursors[name]?.isPortal == true { cursors[name] = nil }
        }
    }

    /// DISCARD: ALL gives the session back as a new connection has it (RESET ALL, CLOSE
    /// ALL, pg_advisory_unlock_all(); a server also drops its prepared statements), and may
    /// not run in a transaction block (25001). PLANS, SEQUENCES and TEMP have nothing to drop.
    func discard(_ target: DiscardTarget) throws -> QueryResult {
        if target == .all {
            guard !inTransactionBlock else {
                throw VireoError(.activeTransaction, "DISCARD ALL cannot run inside a transaction block")
            }
            settings.reset(nil)
            cursors = [:]
            unlockAllAdvisoryLocks()
            queueListen(.unlisten(nil))  // as PostgreSQL's DISCARD ALL does UNLISTEN *
        }
        if target == .all || target == .sequences { sequenceUse.currentValues = [:]; sequenceUse.lastName = nil }
        if target == .all || target == .temp { try discardTemporaryTables() }
        if target == .all { preparedStatements = [:] }
        return QueryResult(commandTag: "DISCARD " + target.rawValue.uppercased())
    }

    static func noSuchCursor(_ name: String) -> VireoError {
        VireoError(.invalidCursorName, "cursor \"\(name)\" does not exist")
    }
}
