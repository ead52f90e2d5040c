import ArgumentParser
import Foundation
import Logging
import VireoQuery
import VireoStorage

/// Options every command that opens a database file shares.
struct OpenOptions: ParsableArguments {
    @Option(help: "Milliseconds to wait while another process has the database open for writing, before failing.")
    var busyTimeout = 5_000

    /// Storage options for this command, with storage logs below warnings kept quiet.
    func storageOptions(readOnly: Bool = false, acceptWALLoss: Bool = false) throws -> StorageOptions {
        guard busyTimeout >= 0 else { throw ValidationError("--busy-timeout must be 0 or more milliseconds") }
        var logger = Logger(label: "vireo.storage")
        logger.logLevel = .warning
        return StorageOptions(readOnly: readOnly, busyTimeoutMs: busyTimeout, acceptWALLoss: acceptWALLoss, logger: logger)
    }
}

/// `vireo info PATH`: the state of a database, read-only.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a database's tables, size and I/O backend, without changing anything.")

    @Argument(help: "Path of the database file.")
    var path: String

    @OptionGroup var open: OpenOptions

    func run() throws {
        Database.installIndexKeyComputation()
        let store = try Store.open(path: path, options: open.storageOptions(readOnly: true))
        defer { try? store.close() }
        let report = try store.checkIntegrity()
        print("database: \(path)")
        print("I/O backend: \(store.pager.backend.name)")
        print("pages: \(report.pageCount) of \(StorageFormat.pageSizeBytes) bytes (\(report.freePageCount) free)")
        let tables = store.catalog.tables.values.sorted { $0.name < $1.name }
        if tables.isEmpty { print("tables: none") }
        for table in tables {
            let columns = table.columns.map { "\($0.name) \($0.type.name)" }.joined(separator: ", ")
            print("table \(table.name) (\(columns)): \(report.rowCounts[table.name] ?? 0) rows, \(table.indexes.count) indexes")
        }
        print(report.isSound ? "integrity: ok" : "integrity: \(report.problems.count) problems (run `vireo check`)")
    }
}

/// `vireo check PATH`: the integrity check, read-only; exits non-zero when it finds
/// problems. It recovers in memory, so it also reports damage in the WAL without
/// replaying or resetting it.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a database: its WAL, every tree, overflow chain, the free list and each vector index against its table. Writes nothing.")

    @Argument(help: "Path of the database file.")
    var path: String

    @OptionGroup var open: OpenOptions

    func run() throws {
        let database = try Database.open(path: path, options: open.storageOptions(readOnly: true, acceptWALLoss: true))
        let store = database.store
        defer { try? store.close() }  // not database.close(), which writes index snapshots
        var report = try store.checkIntegrity()
        if let damage = store.pager.walDamage {
            report.problems.insert("\(damage). \(WALDamage.acceptLossAdvice(path))", at: 0)
        }
        // A vector index is loaded from pages the walk above has checked; over damaged
        // pages its load would only repeat what the report says.
        if report.isSound {
            for index in try database.checkVectorIndexes() {
                print("vector index \(index.name) on \(index.table): \(index.vectorCount) vectors")
                report.problems += index.problems.map { "vector index \(index.name): \($0)" }
            }
        }
        print(report)
        if !report.isSound { throw ExitCode(1) }
    }
}

/// `vireo recover PATH`: recovery on request, with the choices recovery never makes alone.
struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recover a database from its WAL; with --accept-wal-loss, also one whose WAL is damaged.",
        discussion: """
            Opening a database recovers it anyway; this command exists for the case an open \
            refuses: a WAL damaged in the middle. --accept-wal-loss then keeps every transaction \
            before the damage, drops the ones after it, and keeps the damaged WAL as PATH-wal.damaged.
            """)

    @Argument(help: "Path of the database file.")
    var path: String

    @Flag(help: "Open even if the WAL is damaged, losing the transactions from the damage on.")
    var acceptWALLoss = false

    @OptionGroup var open: OpenOptions

    func run() throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at '\(path)'") }
        let store = try Store.open(path: path, options: open.storageOptions(acceptWALLoss: acceptWALLoss))
        let damage = store.pager.walDamage
        try store.close()
        if let damage {
            print("recovered without the transactions after the damage: \(damage)")
        } else {
            print("recovered: \(path)")
        }
    }
}
