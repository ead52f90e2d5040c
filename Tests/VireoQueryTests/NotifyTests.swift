import Foundation
import Synchronization
import Testing
@testable import VireoQuery
import VireoStorage

/// LISTEN, UNLISTEN, NOTIFY and pg_notify between sessions of one database, read through
/// the embedded API (`Session.takeNotifications`); pg_stat_activity's rows.
@Suite("LISTEN and NOTIFY")
struct NotifyTests {
    private func sqlState(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as VireoError { return error.sqlState } catch { return "not a VireoError" }
        return nil
    }

    private func sessions() throws -> (listener: Session, sender: Session) {
        let database = try Database.inMemory()
        let listener = database.session(), sender = database.session()
        listener.backendProcessID = 101
        sender.backendProcessID = 202
        return (listener, sender)
    }

    @Test("a notification reaches every listener of its channel at the sender's commit, never after a rollback")
    func deliveredAtCommit() throws {
        let (listener, sender) = try sessions()
        try listener.execute("LISTEN jobs")
        try sender.execute("NOTIFY jobs, 'first'")
        #expect(listener.takeNotifications() == [ChannelNotification(processID: 202, channel: "jobs", payload: "first")])
        #expect(listener.takeNotifications().isEmpty, "taken once")
        #expect(sender.takeNotifications().isEmpty, "the sender does not listen")

        try sender.execute("BEGIN")
        try sender.execute("NOTIFY jobs, 'in a block'")
        try sender.execute("SELECT pg_notify('jobs', 'by function')")
        #expect(listener.takeNotifications().isEmpty, "nothing before COMMIT")
        try sender.execute("COMMIT")
        #expect(listener.takeNotifications().map(\.payload) == ["in a block", "by function"])

        try sender.execute("BEGIN")
        try sender.execute("NOTIFY jobs, 'rolled back'")
        try sender.execute("ROLLBACK")
        try sender.execute("BEGIN")
        try sender.execute("NOTIFY jobs, 'aborted'")
        #expect(throws: VireoError.self) { try sender.execute("SELECT 1 / 0") }
        try sender.execute("COMMIT")  // of a failed block: a rollback
        #expect(throws: VireoError.self) {
            try sender.execute("SELECT pg_notify('jobs', 'failed statement'), 1 / (x - 1) FROM (VALUES (1)) AS v (x)")
        }
        #expect(listener.takeNotifications().isEmpty)

        try sender.execute("NOTIFY other")
        #expect(listener.takeNotifications().isEmpty, "another channel")
    }

    @Test("duplicates of one channel and payload in a transaction arrive once, in the order first sent")
    func duplicatesFold() throws {
        let (listener, sender) = try sessions()
        try listener.execute("LISTEN a; LISTEN b")
        try sender.execute("BEGIN")
        for sql in ["NOTIFY a, 'x'", "NOTIFY b, 'x'", "NOTIFY a, 'x'", "SELECT pg_notify('a', 'y')", "SELECT pg_notify('a', 'x')", "NOTIFY a"] {
            try sender.execute(sql)
        }
        try sender.execute("COMMIT")
        #expect(listener.takeNotifications().map { "\($0.channel):\($0.payload)" } == ["a:x", "b:x", "a:y", "a:"])
        try sender.execute("NOTIFY a, 'x'")
        try sender.execute("NOTIFY a, 'x'")
        #expect(listener.takeNotifications().count == 2, "two transactions are not folded")
    }

    @Test("the sender gets its own notification when it listens; LISTEN and UNLISTEN take effect at commit")
    func listenIsTransactional() throws {
        let (listener, sender) = try sessions()
        try sender.execute("LISTEN self")
        try sender.execute("NOTIFY self, 'me'")
        #expect(sender.takeNotifications() == [ChannelNotification(processID: 202, channel: "self", payload: "me")])

        try listener.execute("BEGIN")
        try listener.execute("LISTEN later")
        #expect(try listener.execute("SELECT pg_listening_channels()").rows.isEmpty, "not before COMMIT")
        try listener.execute("ROLLBACK")
        try sender.execute("NOTIFY later")
        #expect(listener.takeNotifications().isEmpty, "a rolled-back LISTEN listens to nothing")

        try listener.execute("BEGIN; LISTEN later; NOTIFY later, 'own'; COMMIT")
        #expect(listener.takeNotifications().map(\.payload) == ["own"], "LISTEN and NOTIFY in one transaction")
        try listener.execute("LISTEN other")
        #expect(try listener.execute("SELECT pg_listening_channels()").rows == [[.text("later")], [.text("other")]])
        #expect(listener.listeningChannels == ["later", "other"])
        try listener.execute("UNLISTEN later")
        try sender.execute("NOTIFY later")
        #expect(listener.takeNotifications().isEmpty)
        try listener.execute("UNLISTEN *")
        #expect(listener.listeningChannels.isEmpty)
        try listener.execute("LISTEN again")
        try listener.execute("DISCARD ALL")
        #expect(listener.listeningChannels.isEmpty, "DISCARD ALL unlistens, as in PostgreSQL")
    }

    @Test("ROLLBACK TO SAVEPOINT drops the notifications sent after the savepoint")
    func savepoints() throws {
        let (listener, sender) = try sessions()
        try listener.execute("LISTEN c")
        try sender.execute("BEGIN; NOTIFY c, 'kept'; SAVEPOINT s; NOTIFY c, 'dropped'; ROLLBACK TO SAVEPOINT s; NOTIFY c, 'after'; COMMIT")
        #expect(listener.takeNotifications().map(\.payload) == ["kept", "after"])
    }

    @Test("channel names are identifiers: folded to lower case unless quoted; pg_notify takes them as written")
    func channelNames() throws {
        let (listener, sender) = try sessions()
        try listener.execute("LISTEN Mixed")
        try listener.execute("LISTEN \"Quoted\"")
        #expect(listener.listeningChannels == ["mixed", "Quoted"])
        try sender.execute("NOTIFY MIXED, '1'")
        try sender.execute("NOTIFY Quoted, 'not reached'")
        try sender.execute("SELECT pg_notify('Quoted', '2')")
        try sender.execute("SELECT pg_notify('Mixed', 'not reached either')")
        #expect(listener.takeNotifications().map { "\($0.channel):\($0.payload)" } == ["mixed:1", "Quoted:2"])
        #expect(try Parser.parseStatement("notify \"A b\", 'it''s'").body.sql == "NOTIFY \"A b\", 'it''s'")
        #expect(try Parser.parseStatement("LISTEN x").body == .listen("x"))
        #expect(throws: VireoError.self) { try Parser.parseStatement("NOTIFY x, 1") }
    }

    @Test("a payload of 8000 bytes or more, an empty or overlong channel are 22023; NOTIFY in a read-only block is 25006")
    func limits() throws {
        let (listener, sender) = try sessions()
        try listener.execute("LISTEN big")
        let longest = String(repeating: "é", count: 3999) + "x"  // 7999 bytes
        try sender.execute("SELECT pg_notify('big', $1)", [.text(longest)])
        #expect(listener.takeNotifications().first?.payload == longest)
        #expect(sqlState { try sender.execute("SELECT pg_notify('big', $1)", [.text(longest + "x")]) } == "22023")
        #expect(sqlState { try sender.execute("NOTIFY big, '\(String(repeating: "p", count: 8000))'") } == "22023")
        #expect(sqlState { try sender.execute("SELECT pg_notify('', 'x')") } == "22023")
        #expect(sqlState { try sender.execute("SELECT pg_notify(NULL, 'x')") } == "22023")
        #expect(sqlState { try sender.execute("SELECT pg_notify($1, 'x')", [.text(String(repeating: "c", count: 64))]) } == "22023")
        try sender.execute("SELECT pg_notify('big', NULL)")
        #expect(listener.takeNotifications().map(\.payload) == [""], "a NULL payload is an empty one")
        try sender.execute("BEGIN READ ONLY")
        #expect(sqlState { try sender.execute("NOTIFY big") } == "25006")
        try sender.execute("ROLLBACK")
    }

    @Test("a session that ends stops listening; the hub wakes a listener once per transaction")
    func sessionEndAndWake() throws {
        let database = try Database.inMemory()
        let sender = database.session()
        do {
            let gone = database.session()
            try gone.execute("LISTEN temp")
            #expect(database.notifications.listenerCount("temp") == 1)
        }
        #expect(database.notifications.listenerCount("temp") == 0, "the session's end unlistened")
        let listener = database.session()
        try listener.execute("LISTEN w")
        let wakes = Mutex(0)
        listener.notificationInbox.onArrival { wakes.withLock { $0 += 1 } }
        try sender.execute("BEGIN; NOTIFY w, '1'; NOTIFY w, '2'; COMMIT")
        #expect(wakes.withLock { $0 } == 1)
        #expect(listener.notificationInbox.hasArrived)
        #expect(listener.takeNotifications().count == 2)
        #expect(!listener.notificationInbox.hasArrived)
    }

    @Test("pg_stat_activity: the reading session's own row, and a server's connections with their states")
    func statActivity() throws {
        let database = try Database.inMemory()
        let session = database.session()
        let own = try session.execute("SELECT pid, state, query, backend_type, usename, datname FROM pg_stat_activity")
        #expect(own.rows.count == 1)
        #expect(own.rows.first?[1] == .text("active"))
        #expect(own.rows.first?[2] == .text("SELECT pid, state, query, backend_type, usename, datname FROM pg_stat_activity"))
        #expect(own.rows.first?[3] == .text("client backend"))
        #expect(own.columns.map(\.name).count == 6)
        let all = try session.execute("SELECT * FROM pg_catalog.pg_stat_activity")
        #expect(all.columns.map(\.name) == ["datid", "datname", "pid", "leader_pid", "usesysid", "usename", "application_name",
                                            "client_addr", "client_hostname", "client_port", "backend_start", "xact_start",
                                            "query_start", "state_change", "wait_event_type", "wait_event", "state", "backend_xid",
                                            "backend_xmin", "query_id", "query", "backend_type"])

        let client = SessionActivity.Client(user: "ana", database: "app", applicationName: "psql", address: "127.0.0.1", port: 50000)
        let busy = SessionActivity(processID: 7, client: client), idle = SessionActivity(processID: 8, client: client)
        let inBlock = SessionActivity(processID: 9, client: client), failed = SessionActivity(processID: 10, client: client)
        database.sessionActivities.install { [busy, idle, inBlock, failed] }
        busy.statementStarted("SELECT pg_sleep(10)")
        idle.statementStarted("SELECT 1")
        idle.statementsEnded(.idle)
        inBlock.statementStarted("BEGIN")
        inBlock.statementsEnded(.inBlock)
        failed.statementStarted("SELECT 1/0")
        failed.statementsEnded(.failed)
        let rows = try session.execute("""
            SELECT pid, state, query, usename, application_name, client_addr, client_port, xact_start IS NOT NULL,
                   wait_event, backend_start <= now()
            FROM pg_stat_activity WHERE pid < 100 ORDER BY pid
            """).rows
        #expect(rows == [
            [.int(7), .text("active"), .text("SELECT pg_sleep(10)"), .text("ana"), .text("psql"), .text("127.0.0.1"), .int(50000), .bool(true), .null, .bool(true)],
            [.int(8), .text("idle"), .text("SELECT 1"), .text("ana"), .text("psql"), .text("127.0.0.1"), .int(50000), .bool(false), .text("ClientRead"), .bool(true)],
            [.int(9), .text("idle in transaction"), .text("BEGIN"), .text("ana"), .text("psql"), .text("127.0.0.1"), .int(50000), .bool(true), .text("ClientRead"), .bool(true)],
            [.int(10), .text("idle in transaction (aborted)"), .text("SELECT 1/0"), .text("ana"), .text("psql"), .text("127.0.0.1"), .int(50000), .bool(true), .text("ClientRead"), .bool(true)],
        ])
        #expect(try session.execute("SELECT count(*) FROM pg_stat_activity").rows == [[.int(5)]], "the four and the reading session")
        #expect(try session.execute("SELECT cardinality(pg_blocking_pids(pid)) FROM pg_stat_activity WHERE pid = 7").rows == [[.int(0)]])
        database.sessionActivities.install(nil)
    }
}
