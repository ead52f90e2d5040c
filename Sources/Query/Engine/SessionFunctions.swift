import Foundation
import VireoStorage

/// Functions that read or change the calling session: its settings (`current_setting`,
/// `set_config`), its identity (`pg_backend_pid`), its advisory locks, and `pg_sleep`,
/// which a cancel or statement_timeout ends. Each is volatile (never folded while
/// binding, which has no session) and reaches the session through the statement's context.
/// Those PostgreSQL declares as returning void return a NULL text here (there is no void
/// type), which psql prints as PostgreSQL's empty void.
extension Functions {
    static let session: [ScalarFunction] = [
        sessionFunction("current_setting", 1...2, [.text, .bool], returns: .text) { arguments, session in
            guard !arguments[0].isNull else { return .null }
            let missingOK = arguments.count > 1 && arguments[1] == .bool(true)
            do {
                return .text(try session.settingText(string(arguments[0])))
            } catch let error as VireoError where error.code == .undefinedObject && missingOK {
                return .null
            }
        },
        sessionFunction("set_config", 3...3, [.text, .text, .bool], returns: .text) { arguments, session in
            guard !arguments[0].isNull, !arguments[2].isNull else {
                throw VireoError(.nullValueNotAllowed, "NULL value not allowed for set_config's name and is_local")
            }
            let name = string(arguments[0]).lowercased()
            try session.setSetting(name, arguments[1].isNull ? .default : .string(string(arguments[1])), local: arguments[2] == .bool(true))
            return .text(try session.settingText(name))
        },
        sessionFunction("pg_backend_pid", 0...0, [], returns: .int) { _, session in .int(Int64(session.backendProcessID)) },
        sessionFunction("pg_sleep", 1...1, [.double], returns: .text) { arguments, session in
            guard !arguments[0].isNull else { return .null }
            try session.sleep(seconds: double(arguments[0]))
            return .null
        },
        sessionFunction("pg_notify", 2...2, [.text, .text], returns: .text) { arguments, session in
            // As PostgreSQL: a NULL channel is an empty one (22023), a NULL payload an empty one.
            try session.notify(channel: arguments[0].isNull ? "" : string(arguments[0]),
                               payload: arguments[1].isNull ? "" : string(arguments[1]))
            return .null
        },
        // pgAdmin's dashboard reads it beside pg_stat_activity. Empty, as pg_locks is: lock
        // waits are not recorded by process id.
        sessionFunction("pg_blocking_pids", 1...1, [.integer], returns: .array(.integer)) { arguments, _ in
            arguments[0].isNull ? .null : .array([])
        },
        sessionFunction("pg_advisory_unlock_all", 0...0, [], returns: .text) { _, session in
            session.unlockAllAdvisoryLocks()
            return .null
        },
    ] + advisoryLockFunctions + backendSignalFunctions + sequenceFunctions + trigramFunctions

    /// pg_cancel_backend(pid) and pg_terminate_backend(pid [, timeout]): true when a backend
    /// had that process id (a server's connection: BackendSignals), else false, as
    /// PostgreSQL answers (with a warning there) for a pid that is not a backend.
    private static let backendSignalFunctions: [ScalarFunction] = [
        ("pg_cancel_backend", BackendSignals.Signal.cancel, 1...1), ("pg_terminate_backend", .terminate, 1...2),
    ].map { name, signal, arity in
        sessionFunction(name, arity, [.integer, .int], returns: .bool) { arguments, session in
            guard !arguments[0].isNull else { return .null }
            let processID = try int(arguments[0])
            guard let pid = Int32(exactly: processID) else { return .bool(false) }
            return .bool(session.database.backendSignals.send(signal, to: pid))
        }
    }

    /// pg_advisory_lock and its family: (bigint) or (int, int) keys, exclusive or shared,
    /// session- or transaction-level, waiting or trying.
    private static let advisoryLockFunctions: [ScalarFunction] = {
        var functions: [ScalarFunction] = []
        for shared in [false, true] {
            let suffix = shared ? "_shared" : ""
            for transactionLevel in [false, true] {
                let level = transactionLevel ? "_xact" : ""
                for tries in [false, true] {
                    let name = (tries ? "pg_try_advisory" : "pg_advisory") + level + "_lock" + suffix
                    functions.append(sessionFunction(name, 1...2, [.int], returns: tries ? .bool : .text) { arguments, session in
                        guard let key = try advisoryKey(arguments) else { return .null }
                        let taken = try session.lockAdvisory(key, exclusive: !shared, transactionLevel: transactionLevel, wait: !tries)
                        return tries ? .bool(taken) : .null
                    })
                }
            }
            functions.append(sessionFunction("pg_advisory_unlock" + suffix, 1...2, [.int], returns: .bool) { arguments, session in
                guard let key = try advisoryKey(arguments) else { return .null }
                return .bool(session.unlockAdvisory(key, exclusive: !shared))
            })
        }
        return functions
    }()

    private static func advisoryKey(_ arguments: [Value]) throws -> AdvisoryLocks.Key? {
        guard !arguments.contains(where: \.isNull) else { return nil }
        if arguments.count == 1 { return AdvisoryLocks.Key(high: try int(arguments[0]), low: nil) }
        let values = try arguments.map { try int($0) }
        guard values.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) else {
            throw VireoError(.numericOutOfRange, "integer out of range")
        }
        return AdvisoryLocks.Key(high: values[0], low: values[1])
    }

    static func sessionFunction(_ name: String, _ arity: ClosedRange<Int>, _ parameterTypes: [SQLType], returns: SQLType,
                                        _ body: @escaping @Sendable ([Value], Session) throws -> Value) -> ScalarFunction {
        var function = ScalarFunction(name, arity, parameterTypes, strict: false, volatile: true, returns: returns) { _ in
            throw VireoError(.featureNotSupported, "\(name)() needs a session")
        }
        function.contextBody = { arguments, context in
            guard let session = context.session else { throw VireoError(.featureNotSupported, "\(name)() needs a session") }
            return try body(arguments, session)
        }
        return function
    }
}

extension Session {
    /// A setting's value as SHOW prints it; 42704 for a name no setting has.
    func settingText(_ name: String) throws -> String {
        let name = name.lowercased()
        if name == "transaction_isolation" { return isolationLevel.rawValue }
        guard let value = settings.value(name) else {
            throw VireoError(.undefinedObject, "unrecognized configuration parameter \"\(name)\"")
        }
        return value
    }

    /// set_config: as SET, or SET LOCAL when `local` (which outside a transaction block
    /// lasts for the statement's own transaction, that is, has no lasting effect).
    func setSetting(_ name: String, _ value: SettingValue, local: Bool) throws {
        if local && !inTransactionBlock { return }
        try settings.set(name, value, local: local)
    }

    /// pg_sleep: waits, waking every 10 ms to notice a cancel or statement_timeout (57014).
    func sleep(seconds: Double) throws {
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        while true {
            try statementCancel.check()
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.01))
        }
    }
}

extension Session {
    private func advisoryOwner(transactionLevel: Bool) -> AdvisoryLocks.Owner {
        AdvisoryLocks.Owner(session: advisorySession, transactionLevel: transactionLevel)
    }

    /// Takes an advisory lock (waiting unless `wait` is false); whether it was taken.
    func lockAdvisory(_ key: AdvisoryLocks.Key, exclusive: Bool, transactionLevel: Bool, wait: Bool) throws -> Bool {
        let taken = try database.advisoryLocks.lock(key, owner: advisoryOwner(transactionLevel: transactionLevel), exclusive: exclusive,
                                                    wait: wait, timeoutMs: lockTimeoutMs, checkCancel: statementCancel.check)
        if taken {
            tookAdvisoryLocks = true
            if transactionLevel { holdsTransactionAdvisoryLocks = true }
        }
        return taken
    }

    /// pg_advisory_unlock: gives back one session-level take; false when none was held.
    func unlockAdvisory(_ key: AdvisoryLocks.Key, exclusive: Bool) -> Bool {
        database.advisoryLocks.unlock(key, owner: advisoryOwner(transactionLevel: false), exclusive: exclusive)
    }

    /// pg_advisory_unlock_all: every session-level take (transaction-level ones stay).
    func unlockAllAdvisoryLocks() {
        database.advisoryLocks.unlockAll(advisoryOwner(transactionLevel: false))
    }

    /// The end of a transaction releases its transaction-level advisory locks.
    func unlockTransactionAdvisoryLocks() {
        guard holdsTransactionAdvisoryLocks else { return }
        database.advisoryLocks.unlockAll(advisoryOwner(transactionLevel: true))
        holdsTransactionAdvisoryLocks = false
    }
}
