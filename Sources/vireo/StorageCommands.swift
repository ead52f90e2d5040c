import ArgumentParser
import Foundation
import VireoStorage

/// `vireo info PATH`: opens (creating if needed) a database and prints its state.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open a database (creating it if absent) and show its tables, size and I/O backend.")

    @Argument(help: "Path of the database file.")
    var path: String

    func run() throws {
        let store = try Store.open(path: path)
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

/// `vireo check PATH`: the integrity check; exits non-zero when it finds problems.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a database: every tree, overflow chain and the free list.")

    @Argument(help: "Path of the database file.")
    var path: String

    func run() throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no database at '\(path)'")
        }
        let store = try Store.open(path: path)
        defer { try? store.close() }
        let report = try store.checkIntegrity()
        print(report)
        if !report.isSound { throw ExitCode(1) }
    }
}
