import Foundation
import NIOCore
import VireoQuery
import VireoStorage

/// A statement prepared by Parse. `statement` is nil for an empty query string. A class,
/// so that each Bind's portal refers to it instead of copying it; only its connection
/// touches it, on its event loop.
final class PGPreparedStatement: @unchecked Sendable {
    let statement: Statement?
    /// The plan, made at the first execution and kept while the schema holds, and the
    /// engine types of the declared parameters, which every run and Describe binds.
    let planCache: PlanCache
    /// The OIDs the client declared for its parameters (0: let the server decide).
    let declaredTypes: [Int32]
    /// The OIDs Describe reported: declared ones, else those the statement's use decides.
    /// Clients such as asyncpg then send binary parameters of these types.
    var describedTypes: [Int32]?
    /// The wire types of the columns of its last result, and the RowDescription last sent
    /// for them, kept for the next execution: a prepared query's columns rarely change.
    private var resultShape: PGResultShape?

    init(statement: Statement?, declaredTypes: [Int32], planCache: PlanCache = PlanCache()) {
        self.statement = statement
        self.declaredTypes = declaredTypes
        self.planCache = planCache
    }

    /// The wire types of `columns`, from the last execution's while the columns are the same.
    func types(of columns: [ResultColumn]) -> [PGType] { shape(of: columns).types }

    /// Appends the RowDescription of `columns` in `formats` to `output`: the bytes sent last
    /// time while the columns and formats are the same (each Describe of a client's prepared
    /// query asks for the same one), else encoded anew and kept.
    func writeRowDescription(_ columns: [ResultColumn], formats: [Int16], into output: inout ByteBuffer) {
        let shape = shape(of: columns)
        if let described = shape.description, described.formats == formats {
            output.writeImmutableBuffer(described.bytes)
            return
        }
        let start = output.writerIndex
        output.writeRowDescription(columns, formats: formats)
        // A copy: a slice would share `output`'s storage, which then could not be reused in place.
        let bytes = ByteBuffer(bytes: output.readableBytesView.suffix(output.writerIndex - start))
        resultShape?.description = (formats, bytes)
    }

    private func shape(of columns: [ResultColumn]) -> PGResultShape {
        if let resultShape, resultShape.columns == columns { return resultShape }
        let shape = PGResultShape(columns: columns, types: columns.map { PGType($0.type) })
        resultShape = shape
        return shape
    }

    /// The OID parameter `index` is read as.
    func parameterType(_ index: Int) -> Int32 {
        if let describedTypes, index < describedTypes.count { return describedTypes[index] }
        return index < declaredTypes.count ? declaredTypes[index] : 0
    }

    /// The engine type parameter `index` was declared with (nil: none declared).
    func declaredType(_ index: Int) -> SQLType? {
        let types = planCache.parameterTypes
        return index < types.count && types[index] != .unknown ? types[index] : nil
    }
}

/// The connection's prepared statements by name. The one named last (by Parse or Bind) is
/// also kept beside the dictionary: a client binds the same statement query after query,
/// and comparing its short name costs less than hashing it.
struct PGStatements {
    private var byName: [String: PGPreparedStatement] = [:]
    private var last: (name: String, prepared: PGPreparedStatement)?

    subscript(name: String) -> PGPreparedStatement? {
        get {
            if let last, last.name == name { return last.prepared }
            return byName[name]
        }
        set {
            byName[name] = newValue
            if let newValue { last = (name, newValue) } else if last?.name == name { last = nil }
        }
    }

    /// Looks `name` up and keeps what it found as the one named last.
    mutating func named(_ name: String) -> PGPreparedStatement? {
        if let last, last.name == name { return last.prepared }
        guard let prepared = byName[name] else { return nil }
        last = (name, prepared)
        return prepared
    }

    @discardableResult
    mutating func removeValue(forKey name: String) -> PGPreparedStatement? {
        if last?.name == name { last = nil }
        return byName.removeValue(forKey: name)
    }

    mutating func removeAll() {
        byName.removeAll()
        last = nil
    }
}

/// What a prepared statement keeps of its last result's columns (`PGPreparedStatement.shape`).
struct PGResultShape {
    let columns: [ResultColumn]
    let types: [PGType]
    /// The RowDescription last written for these columns, and the result formats it names.
    var description: (formats: [Int16], bytes: ByteBuffer)?
}

/// The connection's portals by name. The unnamed one, which each Bind of a client's usual
/// prepared statement makes and its Sync drops, has a field of its own: no string hashing
/// for each of the batch's messages.
struct PGPortals {
    private var unnamed: PGPortal?
    private var named: [String: PGPortal] = [:]

    subscript(name: String) -> PGPortal? {
        get { name.isEmpty ? unnamed : named[name] }
        set { if name.isEmpty { unnamed = newValue } else { named[name] = newValue } }
    }

    @discardableResult
    mutating func removeValue(forKey name: String) -> PGPortal? {
        guard name.isEmpty else { return named.removeValue(forKey: name) }
        defer { unnamed = nil }
        return unnamed
    }
}

/// A portal made by Bind: a statement with its parameters. It runs at its first
/// Describe or Execute (a query that streams its rows: at Execute); later Executes page
/// through the rows it produced. A class, so that
/// a prepared select's Describe and Execute update it in place instead of copying it out of
/// `portals` and back; only its connection touches it, on its event loop.
final class PGPortal: @unchecked Sendable {
    let prepared: PGPreparedStatement
    let parameters: [Value]
    let resultFormats: [Int16]
    var result: QueryResult?
    var rowsSent = 0
    /// The columns Describe sent before the rows were made (they stream at Execute).
    var describedColumns: [ResultColumn]?
    /// Its rows are the session's cursor by the portal's name (`Session.openPortalCursor`).
    var isCursor = false

    init(prepared: PGPreparedStatement, parameters: [Value], resultFormats: [Int16]) {
        self.prepared = prepared
        self.parameters = parameters
        self.resultFormats = resultFormats
    }
}

extension PGConnection {
    /// Handles one message after startup; false ends the connection.
    func handle(_ message: PGFrontendMessage) async throws -> Bool {
        if copyIn != nil {
            try await handleCopyIn(message)
            return true
        }
        if let name = pendingDescription {
            pendingDescription = nil
            do {
                if !discardingUntilSync, case .execute(name, 0) = message {
                    try await execute(name, rowsMax: 0, describing: true)
                    return true
                }
                try await describeNow(name)
            } catch let error as VireoError {
                writeError(error, query: nil)
                discardingUntilSync = true
            }
        }
        if discardingUntilSync, message.isExtendedProtocol { return true }
        do {
            switch message {
            case .query(let sql): await simpleQuery(sql)
            case .parse(let name, let query, let types): try parse(name, query, types)
            case .invalidStatementText(let isQuery, let message):
                let error = VireoError(.characterNotInRepertoire, message)
                guard isQuery else { throw error }
                writeError(error, query: nil)
                writeReadyForQuery()
            case .bind(let bind): try await self.bind(bind)
            case .describe(let kind, let name): try await describe(kind, name)
            case .execute(let portal, let rowsMax): try await execute(portal, rowsMax: Int(rowsMax))
            case .close(let kind, let name): close(kind, name)
            case .sync: sync()
            case .flush, .copyData, .copyDone, .copyFail: break
            case .terminate: return false
            case .startup, .sslRequest, .gssEncryptionRequest, .cancel, .authentication:
                throw PGProtocolError("unexpected \(message) after startup")
            }
        } catch let error as VireoError {
            writeError(error, query: nil)
            discardingUntilSync = true
        }
        return true
    }

    /// Handles `message` at once on the event loop, without the connection's task, when
    /// nothing in it has to wait (for an engine thread, for COPY data): the extended
    /// protocol's messages whose statement is a bounded read with cached pages. False (with
    /// nothing done) leaves the message to `handle`. See `PGChannelPort.immediate`.
    func handleImmediately(_ message: PGFrontendMessage) throws -> Bool {
        guard copyIn == nil, !terminating, pendingDescription == nil else { return false }
        if discardingUntilSync, message.isExtendedProtocol {
            // Skipped as `handle` skips it.
        } else {
            do {
                switch message {
                case .parse(let name, let query, let types): try parse(name, query, types)
                case .bind(let bind):
                    guard let prepared = statements.named(bind.statement), !Self.needsParameterTypes(bind, prepared) else { return false }
                    try finishBind(bind, prepared)
                case .describe(.portal, let name):
                    if describeCursor(name) { break }
                    guard case .done(let result) = try runPortalImmediately(name) else { return false }
                    writePortalDescription(name, result)
                case .execute(let name, let rowsMax):
                    guard case .done(let result) = try runPortalImmediately(name) else { return false }
                    if let result { try writeExecuted(name, result, rowsMax: Int(rowsMax)) } else { output.writeEmptyQueryResponse() }
                case .close(let kind, let name): close(kind, name)
                case .sync: sync()
                case .flush: break
                default: return false
                }
            } catch let error as VireoError {
                writeError(error, query: nil)
                discardingUntilSync = true
            }
        }
        if output.readableBytes > 0, output.readableBytes >= Self.outputFlushBytes || message.endsBatch || message.isFlush {
            // Written at the end of the channel's read, with the other batches it brought.
            answeredBytes = output.readableBytes
            if answeredBytes >= Self.outputFlushBytes { try writeAnswered() }
        }
        if terminating {
            // The FATAL that ends the connection goes out before it closes.
            answeredBytes = output.readableBytes
            try writeAnswered()
            port.closeImmediately()
        }
        return true
    }

    /// Writes and flushes the answers `handleImmediately` holds (`answeredBytes`); the rest
    /// of `output` (an unfinished batch's) stays.
    func writeAnswered() throws {
        guard answeredBytes > 0 else { return }
        if answeredBytes == output.readableBytes {
            try port.writeImmediately(output)
            clearOutput()
        } else if let answered = output.readSlice(length: answeredBytes) {
            answeredBytes = 0
            try port.writeImmediately(answered)
        }
    }

    /// Sync: ends the batch (and an error's skipping), drops the unnamed portal, reports the status.
    private func sync() {
        discardingUntilSync = false
        portals[""] = nil
        writeReadyForQuery()
    }

    /// An ErrorResponse; the idle-in-transaction timeout is FATAL and ends the connection,
    /// as in PostgreSQL.
    func writeError(_ error: VireoError, query: String?) {
        let position = error.position.flatMap { offset in query.map { Self.characterPosition(byteOffset: offset, in: $0) } }
        let fatal = error.code == .idleInTransactionTimeout
        if fatal { terminating = true }
        writeNotices()
        output.writeError(severity: fatal ? "FATAL" : "ERROR", sqlState: error.sqlState, message: error.message, position: position,
                           hint: error.hint, detail: error.detail)
    }

    /// PostgreSQL reports positions as 1-based character counts.
    static func characterPosition(byteOffset: Int, in query: String) -> Int {
        let utf8 = Array(query.utf8)
        let prefix = utf8.prefix(max(0, min(byteOffset, utf8.count)))
        return String(decoding: prefix, as: UTF8.self).count + 1
    }

    // MARK: Simple query

    /// Runs every statement of `sql` in order, answering each; the first error stops the rest.
    func simpleQuery(_ sql: String) async {
        activity?.statementStarted(sql)
        var copying = false
        defer { if !copying { writeReadyForQuery() } }
        let statements: [Statement]
        do {
            if let copy = try PGCopyCommand.parse(sql) {
                copying = try await startCopy(copy)
                return
            }
            if let deallocate = try PGDeallocate.parse(sql) {
                return output.writeCommandComplete(try self.deallocate(deallocate))
            }
            statements = try Parser.parseScript(sql)
        } catch let error as VireoError {
            return writeError(error, query: sql)
        } catch {
            return output.writeError(sqlState: "XX000", message: "\(error)")
        }
        guard !statements.isEmpty else { return output.writeEmptyQueryResponse() }
        // Several statements run in one implicit transaction, as PostgreSQL runs them: the
        // first error rolls back the ones before it (Session+ImplicitBlock.swift).
        let implicitBlock = statements.count > 1
        var succeeded = true
        for statement in statements {
            do {
                if implicitBlock { try session.beginImplicitBlock() }
                try await simpleQueryStatement(statement)
            } catch {
                writeStatementError(error, query: sql)
                succeeded = false
                break
            }
        }
        guard implicitBlock else { return }
        do {
            let session = self.session, committing = succeeded
            try await server.executor.run { try session.endImplicitBlock(succeeded: committing) }
        } catch {
            writeStatementError(error, query: sql)
        }
    }

    /// One statement of a simple Query message, answered.
    private func simpleQueryStatement(_ statement: Statement) async throws {
        if case .select = statement.body { return try await streamQuery(statement) }
        try await openCursor(ofPortalNamedIn: statement)
        let result = try await run(statement, [], planCache: nil)
        server.metrics.recordStatement(commandTag: result.commandTag)
        writeResult(result, formats: [], rowsFrom: 0, rowsMax: 0, describe: true)
    }

    /// An ErrorResponse for a statement's error: its SQLSTATE, or XX000 for an error that is
    /// not the engine's.
    private func writeStatementError(_ error: any Error, query: String) {
        guard let error = error as? VireoError else { return output.writeError(sqlState: "XX000", message: "\(error)") }
        writeError(error, query: query)
    }

    /// Rows `rowsFrom…` (at most `rowsMax` of them, 0 for all) and, when they are the
    /// last and not `suspended`, the command tag, else PortalSuspended; returns how many rows
    /// were written.
    @discardableResult
    func writeResult(_ result: QueryResult, formats: [Int16], rowsFrom: Int, rowsMax: Int, describe: Bool, suspended: Bool = false,
                     types: [PGType]? = nil) -> Int {
        if describe && result.returnsRows { output.writeRowDescription(result.columns, formats: formats) }
        let types = types ?? result.columns.map { PGType($0.type) }
        let end = rowsMax > 0 ? min(result.rows.count, rowsFrom + rowsMax) : result.rows.count
        let rows = result.rows[min(rowsFrom, end)..<end]
        if let zone = session.timeZone {
            // timestamptz values print in the session's time zone (UTC when none is bound).
            SessionTimeZone.withZone(zone) {
                for row in rows { output.writeDataRow(row, types: types, formats: formats) }
            }
        } else {
            for row in rows { output.writeDataRow(row, types: types, formats: formats) }
        }
        writeNotices()
        if end < result.rows.count || suspended {
            output.writePortalSuspended()
        } else {
            output.writeCommandComplete(result.commandTag)
            // As PostgreSQL reports a change of TimeZone, so drivers read timestamptz in it.
            if result.commandTag == "SET" || result.commandTag == "RESET" {
                output.writeParameterStatus("TimeZone", session.timeZoneSetting)
            }
        }
        return end - rowsFrom
    }

    /// Answers a simple query's SELECT with its rows written as the plan makes them
    /// (`streamRows`). A bounded read with cached pages is answered at once instead, as any
    /// statement is.
    private func streamQuery(_ statement: Statement) async throws {
        let cache = PlanCache()
        if let result = try session.executeImmediately(statement, [], planCache: cache) {
            server.metrics.recordStatement(commandTag: result.commandTag)
            writeResult(result, formats: [], rowsFrom: 0, rowsMax: 0, describe: true)
            return
        }
        let result = try await streamRows(statement, [], planCache: cache, PGDataRowEncoder(resultFormats: [], describe: true))
        writeResult(result, formats: [], rowsFrom: 0, rowsMax: 0, describe: false)
    }

    /// Runs a query on an engine thread, writing its rows as the plan makes them (`encoder`
    /// says how: DataRows, COPY data), in chunks written from the engine thread, which waits
    /// while the client is slow to read. A result of any size then needs neither the
    /// server's memory nor work_mem, and the client sees the first rows before the last are
    /// read, as with PostgreSQL's backend. Returns the result without rows, for the
    /// command's completion.
    func streamRows(_ statement: Statement, _ parameters: [Value], planCache: PlanCache,
                    _ encoder: some PGRowEncoder) async throws -> QueryResult {
        // What is waiting in `output` (BindComplete…) goes out with the first rows: one
        // write for a small result, as before. Nothing else writes to `output` meanwhile.
        let pending = output
        output = ByteBuffer()
        let session = self.session, port = self.port
        var ran: (outcome: Result<QueryResult, any Error>, rest: ByteBuffer)
        do {
            ran = try await server.executor.run { () -> (Result<QueryResult, any Error>, ByteBuffer) in
                var chunk = pending
                var encoder = encoder
                // Rows are encoded inside the request, where the session's time zone is bound.
                let outcome = Result {
                    try session.execute(statement, parameters, planCache: planCache, columns: { columns in
                        try encoder.begin(columns, into: &chunk)
                    }, row: { row in
                        encoder.write(row, into: &chunk)
                        guard chunk.readableBytes >= Self.outputFlushBytes else { return }
                        try port.writeWaiting(chunk)
                        chunk.clear()
                    })
                }
                return (outcome, chunk)
            }
        } catch {
            output = pending  // the pool refused the work: nothing was sent
            throw error
        }
        // Unsent bytes (those before the rows, the last rows) go before an error's answer too.
        output.writeBuffer(&ran.rest)
        let result = try ran.outcome.get()
        server.metrics.recordStatement(commandTag: result.commandTag)
        return result
    }

    // MARK: Extended query

    private func parse(_ name: String, _ query: String, _ types: [Int32]) throws {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
        let statement = trimmed.isEmpty ? nil : try Parser.parseStatement(query)
        // Declared OIDs bind `$n` as PREPARE's declared types do; an OID of no type is 42704 now.
        let declared = try session.parameterTypes(oids: types)
        if !name.isEmpty {
            // One namespace with SQL's PREPARE, as in PostgreSQL: the session keeps the names
            // (EXECUTE runs them, pg_prepared_statements lists them).
            if statements[name] != nil { throw VireoError(.duplicatePreparedStatement, "prepared statement \"\(name)\" already exists") }
            try session.notePreparedStatement(name: name, statement: statement, text: query,
                                              parameterTypes: types.map { oid in BuiltinType.all.first { $0.oid == Int64(oid) }?.name },
                                              declaredTypes: declared)
        }
        statements[name] = PGPreparedStatement(statement: statement, declaredTypes: types, planCache: PlanCache(parameterTypes: declared))
        output.writeParseComplete()
    }

    /// The statement `name` names: the client's (Parse), or one SQL's PREPARE made, which
    /// PostgreSQL lets a client bind and describe as well. The latter is looked up each
    /// time, not kept, so that a DEALLOCATE however it is sent leaves nothing behind.
    private func preparedStatement(_ name: String) -> PGPreparedStatement? {
        if let prepared = statements.named(name) { return prepared }
        guard !name.isEmpty, let (statement, planCache) = session.statementPreparedInSQL(name) else { return nil }
        let oids = planCache.parameterTypes.map { $0 == .unknown ? 0 : PGType($0).oid }
        return PGPreparedStatement(statement: statement, declaredTypes: oids, planCache: planCache)
    }

    private func bind(_ bind: PGBind) async throws {
        guard let prepared = preparedStatement(bind.statement) else {
            throw VireoError(.invalidStatementName, "prepared statement \"\(bind.statement)\" does not exist")
        }
        if Self.needsParameterTypes(bind, prepared), let statement = prepared.statement {
            prepared.describedTypes = try await parameterOIDs(statement, prepared)
        }
        try finishBind(bind, prepared)
    }

    /// Whether the parameters' types must be worked out (on an engine thread) before `bind`'s
    /// binary parameters can be read: some are binary of no declared or described type.
    private static func needsParameterTypes(_ bind: PGBind, _ prepared: PGPreparedStatement) -> Bool {
        guard prepared.describedTypes == nil, prepared.statement != nil else { return false }
        return bind.parameters.indices.contains { bind.parameterFormat($0) == 1 && prepared.parameterType($0) == 0 }
    }

    private func finishBind(_ bind: PGBind, _ prepared: PGPreparedStatement) throws {
        let expected = prepared.statement?.parameterCount ?? 0
        guard bind.parameters.count == expected else {
            throw VireoError(.invalidParameter, "bind message supplies \(bind.parameters.count) parameters, but prepared statement \"\(bind.statement)\" requires \(expected)")
        }
        let values = try bindValues(bind, prepared)
        if let portal = portals[bind.portal], !bind.portal.isEmpty, !portal.isCursor || session.cursorColumns(bind.portal) != nil {
            throw VireoError(.duplicateCursor, "portal \"\(bind.portal)\" already exists")
        }
        // No codes means text for every column.
        let formats = bind.resultFormats.isEmpty ? PGBind.allText : bind.resultFormats
        portals[bind.portal] = PGPortal(prepared: prepared, parameters: values, resultFormats: formats)
        output.writeBindComplete()
    }

    /// Bind's parameters as engine values. A text one of a declared type is read as that type
    /// now, in the session's time zone (22P02 for bad input, at Bind as in PostgreSQL).
    private func bindValues(_ bind: PGBind, _ prepared: PGPreparedStatement) throws -> [Value] {
        func decode() throws -> [Value] {
            var values: [Value] = []
            values.reserveCapacity(bind.parameters.count)
            for (index, bytes) in bind.parameters.enumerated() {
                values.append(try PGParameterDecoder.decode(bytes, oid: prepared.parameterType(index), binary: bind.parameterFormat(index) == 1,
                                                            declared: prepared.declaredType(index)))
            }
            return values
        }
        guard !prepared.planCache.parameterTypes.isEmpty else { return try decode() }
        return try SessionTimeZone.withZone(session.timeZone) { try decode() }
    }

    private func describe(_ kind: PGObjectKind, _ name: String) async throws {
        switch kind {
        case .statement:
            guard let prepared = preparedStatement(name) else {
                throw VireoError(.invalidStatementName, "prepared statement \"\(name)\" does not exist")
            }
            try await describeStatement(name, prepared)
        case .portal:
            if !describeCursor(name) { try describePortal(name) }
        }
    }

    private func describeStatement(_ name: String, _ prepared: PGPreparedStatement) async throws {
        guard let statement = prepared.statement else {
            output.writeParameterDescription([])
            return output.writeNoData()
        }
        let session = self.session
        let types = prepared.planCache.parameterTypes
        let description = try await server.executor.run { try session.describe(statement, parameterTypes: types) }
        let oids = Self.parameterOIDs(description, declared: prepared.declaredTypes)
        statements[name]?.describedTypes = oids
        output.writeParameterDescription(oids)
        if description.columns.isEmpty { return output.writeNoData() }
        output.writeRowDescription(description.columns, formats: [])
    }

    private func parameterOIDs(_ statement: Statement, _ prepared: PGPreparedStatement) async throws -> [Int32] {
        let session = self.session, types = prepared.planCache.parameterTypes
        let description = try await server.executor.run { try session.describe(statement, parameterTypes: types) }
        return Self.parameterOIDs(description, declared: prepared.declaredTypes)
    }

    /// Declared OIDs where the client gave them, else the types the statement's use decides.
    static func parameterOIDs(_ description: StatementDescription, declared: [Int32]) -> [Int32] {
        description.parameterTypes.enumerated().map { index, type in
            index < declared.count && declared[index] != 0 ? declared[index] : PGType(type).oid
        }
    }

    /// Describes the cursor `name` if no portal has the name and DECLARE opened such a cursor:
    /// in PostgreSQL a cursor is a portal too, and psycopg describes its named cursors so.
    private func describeCursor(_ name: String) -> Bool {
        guard portals[name] == nil, let columns = session.cursorColumns(name) else { return false }
        output.writeRowDescription(columns, formats: [])
        return true
    }

    /// Describes a portal. A query that must run on an engine thread is not run here, so
    /// that Execute can stream its rows: its description waits for the next message. When
    /// that is the portal's Execute for every row (a client's usual Describe-Execute pair),
    /// the rows' stream starts with the description, with no engine trip of its own; else
    /// the query is planned, not run, to describe it (`describeNow`).
    private func describePortal(_ name: String) throws {
        switch try runPortalImmediately(name) {
        case .done(let result): writePortalDescription(name, result)
        case .needsEngine: pendingDescription = name
        }
    }

    private func describeNow(_ name: String) async throws {
        guard case .needsEngine(let statement, let portal) = try runPortalImmediately(name) else { return }
        let session = self.session
        let columns = try await server.executor.run {
            try session.resultColumns(statement, portal.parameters, planCache: portal.prepared.planCache)
        }
        guard let columns else {
            return writePortalDescription(name, ranPortal(portal, try await runOnEngine(statement, portal)))
        }
        portal.describedColumns = columns
        output.writeRowDescription(columns, formats: Self.expandedFormats(portal.resultFormats, columns.count))
    }

    /// Executes a portal (after writing its description when `describing`). A query that
    /// must run on an engine thread and whose rows are all wanted streams them
    /// (`streamRows`); with a row limit its rows are collected, so that later Executes page
    /// through them.
    private func execute(_ name: String, rowsMax: Int, describing: Bool = false) async throws {
        switch try runPortalImmediately(name) {
        case .done(nil): output.writeEmptyQueryResponse()
        case .done(let result?):
            if describing { writePortalDescription(name, result) }
            try writeExecuted(name, result, rowsMax: rowsMax)
        case .needsEngine(let statement, let portal):
            guard rowsMax == 0, case .select = statement.body else {
                let result = ranPortal(portal, try await runOnEngine(statement, portal))
                if describing { writePortalDescription(name, result) }
                return try writeExecuted(name, result, rowsMax: rowsMax)
            }
            let encoder = PGDataRowEncoder(resultFormats: portal.resultFormats, describe: describing, described: portal.describedColumns)
            let result = try await streamRows(statement, portal.parameters, planCache: portal.prepared.planCache, encoder)
            portal.result = result
            output.writeCommandComplete(result.commandTag)
        }
    }

    enum PortalRun {
        /// The portal's result (nil for an empty query).
        case done(QueryResult?)
        /// The statement must run on an engine thread.
        case needsEngine(Statement, PGPortal)
    }

    /// Runs the portal's statement on this event loop when it is a bounded read whose pages
    /// are cached (it cannot block: `Session.executeImmediately`); else says the engine must.
    private func runPortalImmediately(_ name: String) throws -> PortalRun {
        guard let portal = portals[name] else { throw Self.noSuchPortal(name) }
        if let result = portal.result { return .done(result) }
        guard let statement = portal.prepared.statement else { return .done(nil) }
        activity?.statementStarted(statement.sourceText)
        guard let result = try session.executeImmediately(statement, portal.parameters, planCache: portal.prepared.planCache) else {
            return .needsEngine(statement, portal)
        }
        return .done(ranPortal(portal, result))
    }

    private func ranPortal(_ portal: PGPortal, _ result: QueryResult) -> QueryResult {
        server.metrics.recordStatement(commandTag: result.commandTag)
        portal.result = result
        return result
    }

    /// Runs a statement: a bounded read (a point lookup, an unfiltered index search) whose
    /// pages are cached at once, on this event loop (it cannot block:
    /// `Session.executeImmediately`), anything else on an engine thread.
    /// A simple query (no `planCache`) is planned at each run, once: the plan the immediate
    /// attempt made is the one the engine thread runs.
    private func run(_ statement: Statement, _ parameters: [Value], planCache: PlanCache?) async throws -> QueryResult {
        let cache = planCache ?? PlanCache()
        if let result = try session.executeImmediately(statement, parameters, planCache: cache) {
            return result
        }
        return try await runOnEngine(statement, parameters, planCache: cache)
    }

    /// Runs a statement on an engine thread (the bounded pool), off the event loop.
    private func runOnEngine(_ statement: Statement, _ parameters: [Value], planCache: PlanCache) async throws -> QueryResult {
        let session = self.session
        let result = try await server.executor.run { try session.execute(statement, parameters, planCache: planCache) }
        // The prepared statements are the connection's, not the session's: DISCARD ALL drops
        // them here, as DEALLOCATE ALL does.
        if case .discard(.all) = statement.body { _ = try deallocate(.all) }
        return result
    }

    private func runOnEngine(_ statement: Statement, _ portal: PGPortal) async throws -> QueryResult {
        try await runOnEngine(statement, portal.parameters, planCache: portal.prepared.planCache)
    }

    /// Writes an Execute's rows. The first Execute with a row limit of a named portal that
    /// returns rows makes them the session's cursor by that name (SQL's MOVE and FETCH then
    /// move it too, as in PostgreSQL); its Executes take their rows from that cursor.
    private func writeExecuted(_ name: String, _ result: QueryResult, rowsMax: Int) throws {
        guard let portal = portals[name] else { return }
        let formats = Self.expandedFormats(portal.resultFormats, result.columns.count)
        if !portal.isCursor, rowsMax > 0, !name.isEmpty, portal.rowsSent == 0, result.returnsRows {
            try keepAsCursor(name, portal, result)
        }
        guard portal.isCursor else {
            portal.rowsSent += writeResult(result, formats: formats, rowsFrom: portal.rowsSent, rowsMax: rowsMax, describe: false,
                                           types: portal.prepared.types(of: result.columns))
            return
        }
        guard let (rows, suspended) = session.fetchPortalCursor(name, count: rowsMax > 0 ? rowsMax : nil) else {
            throw Self.noSuchPortal(name)
        }
        let page = QueryResult(columns: result.columns, rows: rows, commandTag: "SELECT \(rows.count)")
        writeResult(page, formats: formats, rowsFrom: 0, rowsMax: 0, describe: false, suspended: suspended)
    }

    /// Before FETCH, MOVE or CLOSE names a portal bound but not yet executed (asyncpg binds
    /// its cursors, then moves them with `MOVE FORWARD n portal`), runs the portal's query
    /// and makes its rows the cursor the statement reaches.
    func openCursor(ofPortalNamedIn statement: Statement) async throws {
        let name: String
        switch statement.body {
        case .fetch(let fetch): name = fetch.name
        case .closeCursor(let closed?): name = closed
        default: return
        }
        guard let portal = portals[name], !portal.isCursor, portal.rowsSent == 0, let query = portal.prepared.statement else { return }
        let result = ranPortal(portal, try await runOnEngine(query, portal))
        if result.returnsRows { try keepAsCursor(name, portal, result) }
    }

    /// Hands the portal's rows to the session as its cursor; the portal keeps only the columns.
    private func keepAsCursor(_ name: String, _ portal: PGPortal, _ result: QueryResult) throws {
        try session.openPortalCursor(name, result)
        portal.isCursor = true
        portal.result = QueryResult(columns: result.columns, rows: [], commandTag: result.commandTag)
    }

    static func noSuchPortal(_ name: String) -> VireoError {
        VireoError(.invalidCursorName, "portal \"\(name)\" does not exist")
    }

    private func writePortalDescription(_ name: String, _ result: QueryResult?) {
        guard let result, result.returnsRows else { return output.writeNoData() }
        guard let portal = portals[name] else { return output.writeRowDescription(result.columns, formats: []) }
        portal.prepared.writeRowDescription(result.columns, formats: Self.expandedFormats(portal.resultFormats, result.columns.count),
                                            into: &output)
    }

    static func expandedFormats(_ formats: [Int16], _ count: Int) -> [Int16] {
        // One code for one column is already expanded (no array made per query).
        formats.count == 1 && count != 1 ? Array(repeating: formats[0], count: count) : formats
    }

    private func close(_ kind: PGObjectKind, _ name: String) {
        switch kind {
        case .statement:
            statements[name] = nil
            if !name.isEmpty { session.forgetPreparedStatement(name) }
        case .portal:
            if portals.removeValue(forKey: name)?.isCursor == true { session.closePortalCursor(name) }
        }
        output.writeCloseComplete()
    }
}

extension PGFrontendMessage {
    var isFlush: Bool {
        if case .flush = self { return true }
        return false
    }

    /// Messages skipped after an extended-protocol error, until Sync.
    var isExtendedProtocol: Bool {
        switch self {
        case .parse, .bind, .describe, .execute, .close, .flush: true
        case .invalidStatementText(let isQuery, _): !isQuery
        default: false
        }
    }
}
