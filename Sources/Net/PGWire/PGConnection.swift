import Logging
import NIOCore
import VireoQuery
import VireoStorage

/// One client connection: startup and authentication, then simple and extended queries
/// until Terminate. Messages are handled one at a time, in order, so a pipelined batch
/// (many Bind/Execute before one Sync) is answered in order; every engine call runs on
/// the server's engine threads, never on the event loop.
final class PGConnection: PGImmediateHandler, @unchecked Sendable {

    /// Output is sent at ReadyForQuery and Flush, or once this much has gathered.
    static let outputFlushBytes = 256 << 10

    let server: PGServerContext
    let port: PGChannelPort
    let session: Session
    var output = ByteBuffer()
    /// How many of `output`'s bytes answer whole batches that `handleImmediately` answered
    /// and the end of the channel's read writes (`writeAnswered`).
    var answeredBytes = 0
    var statements = PGStatements()
    var portals = PGPortals()
    /// A portal whose Describe is answered with the next message (`describePortal`).
    var pendingDescription: String?
    /// After an error in the extended protocol, messages up to Sync are skipped.
    var discardingUntilSync = false
    /// Set while a COPY FROM STDIN receives its rows.
    var copyIn: PGCopyIn?
    /// Set after an error that ends the connection (25P03, the idle-in-transaction timeout).
    var terminating = false
    /// What pg_stat_activity shows of the connection (set at startup).
    var activity: SessionActivity?
    var logger: Logger

    init(server: PGServerContext, port: PGChannelPort) {
        self.server = server
        self.port = port
        self.session = server.database.session()
        self.logger = server.logger
    }

    /// Serves the connection until the client leaves or breaks the protocol; then rolls
    /// back a transaction left open, so it holds nothing.
    func serve() async {
        var processID: Int32?
        do {
            processID = try await startUp()
            if processID != nil {
                let port = self.port
                port.handleImmediately(with: self)
                port.whenIdle { try self.deliverNotificationsWhileIdle() }
                // The port held strongly (the defer below lets go of it): a weak reference would
                // move its reference counts to a side table, slower on every retain and release.
                session.notificationInbox.onArrival { port.wakeWhenIdle() }
                defer {
                    port.handleImmediately(with: nil)
                    port.whenIdle(nil)
                    session.notificationInbox.onArrival(nil)
                }
                while let message = try await port.next() {
                    guard try await handle(message), !terminating else { break }
                    if output.readableBytes >= Self.outputFlushBytes { try await flush() }
                    if case .flush = message { try await flush() }
                    if output.readableBytes > 0, message.endsBatch { try await flush() }
                }
                try await flush()
            }
        } catch let error as PGProtocolError {
            output.writeError(severity: "FATAL", sqlState: error.sqlState, message: error.message)
            try? await flush()
        } catch is CancellationError {
            // The server is shutting down and the client is between statements: PostgreSQL's
            // fast shutdown says so, and the connection ends.
            output.writeError(severity: "FATAL", sqlState: "57P01", message: "terminating connection due to administrator command")
            try? await flush()
        } catch {
            logger.debug("pgwire connection ended", metadata: ["error": "\(error)"])
        }
        await port.close()
        await finish(processID)
    }

    private func finish(_ processID: Int32?) async {
        if let processID {
            server.connections.remove(processID)
            server.metrics.pgConnectionClosed()
        }
        guard session.transactionStatus != .idle || session.hasTemporaryTables else { return }
        let session = self.session, executor = server.executor
        // In a task of its own: at shutdown this connection's task is cancelled, and the pool
        // refuses work from a cancelled task, yet the rollback (and the drop of the session's
        // temporary tables) must run before the database closes.
        await Task { _ = try? await executor.run { session.close() } }.value
    }

    /// ReadyForQuery, after the notifications that arrived if no transaction block is open
    /// (PostgreSQL sends them when a command completes outside a transaction); the
    /// connection's activity becomes idle.
    /// The session's NOTICEs and WARNINGs as NoticeResponses, written before what ends the
    /// statement that raised them (its completion, its error, or ReadyForQuery).
    func writeNotices() {
        guard session.hasNotices else { return }
        for notice in session.takeNotices() {
            output.writeError(severity: notice.severity.rawValue, sqlState: notice.sqlState, message: notice.message,
                              detail: notice.detail, notice: true)
        }
    }

    func writeReadyForQuery() {
        writeNotices()
        let status = session.transactionStatus
        if status == .idle, session.notificationInbox.hasArrived {
            for notification in session.notificationInbox.take() { output.writeNotification(notification) }
        }
        activity?.statementsEnded(status)
        output.writeReadyForQuery(status)
    }

    /// Writes the notifications that arrived while the connection waits for its client
    /// between batches (PGChannelPort.whenIdle, on the event loop while the task waits):
    /// psycopg's `notifies()` and asyncpg's listeners wait for them without sending
    /// anything. In a transaction block or in the middle of a batch they wait for the next
    /// ReadyForQuery instead.
    func deliverNotificationsWhileIdle() throws {
        guard output.readableBytes == 0, copyIn == nil, !terminating, pendingDescription == nil,
              session.transactionStatus == .idle, session.notificationInbox.hasArrived else { return }
        var buffer = ByteBuffer()
        for notification in session.notificationInbox.take() { buffer.writeNotification(notification) }
        try port.writeImmediately(buffer)
    }

    func flush() async throws {
        guard output.readableBytes > 0 else { return }
        try await port.write(output)
        clearOutput()
    }

    /// Empties `output` once its bytes were handed to the channel. The channel has usually
    /// written them already, so the buffer's storage is reused; a large one is let go.
    func clearOutput() {
        answeredBytes = 0
        if output.capacity > Self.outputFlushBytes * 2 { output = ByteBuffer() } else { output.clear() }
    }
}

extension PGFrontendMessage {
    /// Messages after which the client waits for an answer.
    var endsBatch: Bool {
        switch self {
        case .query, .sync, .copyDone, .copyFail: true
        case .invalidStatementText(let isQuery, _): isQuery
        default: false
        }
    }
}

// MARK: - Startup and authentication

extension PGConnection {
    /// Negotiates SSL (refused), reads the StartupMessage, authenticates and sends the
    /// session's parameters; returns the connection's process id, nil when it ended.
    func startUp() async throws -> Int32? {
        var parameters: [String: String] = [:]
        startup: while true {
            switch try await port.next() {
            case .sslRequest?, .gssEncryptionRequest?:
                output.writeInteger(UInt8(ascii: "N"))
                try await flush()
            case .cancel(let processID, let secretKey)?:
                // Session.cancel never blocks, so the event loop may call it; a wrong key is ignored, as in PostgreSQL.
                server.connections.session(processID: processID, secretKey: secretKey)?.cancel()
                return nil
            case .startup(let received)?:
                parameters = received
                break startup
            case nil: return nil
            default: throw PGProtocolError("expected a startup message")
            }
        }
        let user = parameters["user"] ?? ""
        if let (sqlState, message) = try await authenticate(user: user) {
            output.writeError(severity: "FATAL", sqlState: sqlState, message: message)
            try await flush()
            return nil
        }
        if let zone = Self.startupTimeZone(parameters) {
            do {
                try session.applyStartupParameter("timezone", zone)
            } catch let error as VireoError {
                output.writeError(severity: "FATAL", sqlState: error.sqlState, message: error.message)
                try await flush()
                return nil
            }
        }
        let client = SessionActivity.Client(user: parameters["user"], database: parameters["database"] ?? parameters["user"],
                                            applicationName: parameters["application_name"],
                                            address: port.remoteAddress?.ipAddress, port: port.remoteAddress?.port)
        guard let (processID, secretKey, activity) = server.connections.register(session, port, client) else {
            output.writeError(severity: "FATAL", sqlState: "53300", message: "sorry, too many clients already (the server allows \(server.connections.connectionsMax) connections)")
            try await flush()
            return nil
        }
        session.backendProcessID = processID
        session.activity = activity
        self.activity = activity
        logger[metadataKey: "pgwire.pid"] = "\(processID)"
        server.metrics.pgConnectionOpened()
        output.writeAuthentication(0)
        for (name, value) in Self.parameterStatus(parameters) { output.writeParameterStatus(name, value) }
        output.writeBackendKeyData(processID: processID, secretKey: secretKey)
        output.writeReadyForQuery(.idle)
        try await flush()
        return processID
    }

    /// The time zone a client asks for at startup: the `timezone` parameter (libpq sends
    /// $PGTZ so) or `-c timezone=…` in `options`.
    static func startupTimeZone(_ startup: [String: String]) -> String? {
        if let zone = startup.first(where: { $0.key.lowercased() == "timezone" })?.value { return zone }
        let words = (startup["options"] ?? "").split(separator: " ").map(String.init)
        for (index, word) in words.enumerated() {
            let setting = word == "-c" && index + 1 < words.count ? words[index + 1] : word.hasPrefix("--") ? String(word.dropFirst(2)) : word
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0].lowercased() == "timezone" { return parts[1] }
        }
        return nil
    }

    /// What the server reports at startup; drivers read server_version and the encodings.
    static func parameterStatus(_ startup: [String: String]) -> [(String, String)] {
        [("server_version", "15.0 (Vireo)"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
         ("DateStyle", "ISO, MDY"), ("IntervalStyle", "postgres"), ("integer_datetimes", "on"),
         ("standard_conforming_strings", "on"), ("TimeZone", startupTimeZone(startup) ?? "UTC"), ("is_superuser", "off"),
         ("application_name", startup["application_name"] ?? ""), ("session_authorization", startup["user"] ?? "")]
    }

    /// Nil when the client may in; else the SQLSTATE and message of the refusal.
    private func authenticate(user: String) async throws -> (String, String)? {
        let failed = ("28P01", "password authentication failed for user \"\(user)\" (the password is one of the server's API keys"
                      + (server.configuration.pgAuth == .cleartext && server.tokens != nil ? " or an administrator's access token)" : ")"))
        switch server.configuration.pgAuth {
        case .trust:
            return nil
        case .cleartext:
            output.writeAuthentication(3)
            try await flush()
            guard case .authentication(var body)? = try await port.next() else { return failed }
            let password = try body.readCString() ?? ""
            if server.keys.accepts(password) { return nil }
            guard let tokens = server.tokens, let principal = await tokens(password) else { return failed }
            // A session reaches every table (the users' too), as /api/v1/query does: administrators only.
            guard principal.role == .admin else {
                return ("28000", "an access token of role \(principal.role.rawValue) may not open a SQL session; only an administrator's may")
            }
            return nil
        case .scram:
            return try await authenticateSCRAM() ? nil : failed
        }
    }

    /// SASL with SCRAM-SHA-256: AuthenticationSASL, then SASLContinue, then SASLFinal.
    private func authenticateSCRAM() async throws -> Bool {
        output.writeAuthentication(10, Array((SCRAMVerifier.mechanism + "\0\0").utf8))
        try await flush()
        guard case .authentication(var initial)? = try await port.next(),
              try initial.readCString() == SCRAMVerifier.mechanism,
              let length: Int32 = initial.readInteger(), length >= 0,
              let clientFirst = initial.readString(length: Int(length)) else {
            throw PGProtocolError(sqlState: "28000", "expected a SASL initial response for \(SCRAMVerifier.mechanism)")
        }
        var exchange = SCRAMExchange(verifier: server.scram)
        output.writeAuthentication(11, Array(try exchange.serverFirstMessage(clientFirst: clientFirst).utf8))
        try await flush()
        guard case .authentication(var final)? = try await port.next(),
              let clientFinal = final.readString(length: final.readableBytes) else {
            throw PGProtocolError(sqlState: "28000", "expected a SASL response")
        }
        guard let serverFinal = try exchange.serverFinalMessage(clientFinal: clientFinal) else { return false }
        output.writeAuthentication(12, Array(serverFinal.utf8))
        return true
    }
}
