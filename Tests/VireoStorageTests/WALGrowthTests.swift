import Foundation
import Testing
@testable import VireoStorage

/// The WAL file is written ahead of its frames with zeros (WriteAheadLog.swift, W7), so
/// most commits overwrite blocks the file has and their fsync journals no size change.
@Suite("WAL growth ahead of its frames")
struct WALGrowthTests {
    static func rows(_ store: Store) throws -> [Int64: String] {
        try store.read { snapshot in
            let table = try snapshot.table("log")
            var rows: [Int64: String] = [:]
            try snapshot.scanRows(table) { id, _ in
                if case .text(let text)? = try snapshot.row(table, rowID: id)?[1] { rows[id] = text }
                return true
            }
            return rows
        }
    }

    @Test("a commit past the file's end writes zeros to the next step; commits inside it do not grow the file; recovery stops at the zeros")
    func zeroedAhead() throws {
        let backend = SimulatedBackend()
        // A pool large enough that no checkpoint (which would reset the log) comes due.
        let options = StorageOptions(backend: backend, bufferPoolBytes: 1024 * StorageFormat.pageSizeBytes, walCheckpointBytes: 1 << 40)
        var store = try Store.open(path: DataSafetyTests.path, options: options)
        try store.write { transaction in
            try transaction.createTable(TableDefinition(
                name: "log", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                       ColumnDefinition(name: "payload", type: .text)], rowIDColumn: 0))
        }
        let step = WriteAheadLog.growthBytes
        let walSize = { try #require(backend.durableContents(path: DataSafetyTests.walPath)).count }
        #expect(try walSize() == step, "the first commit grows the file to one step")
        var expected: [Int64: String] = [:]
        var id: Int64 = 0
        // Small commits until the frames pass the first step: the file stays one step long until then.
        while store.pager.wal!.endOffset <= step, id < 1_000 {
            #expect(try walSize() == step, "a commit inside the written bytes grew the file, at \(store.pager.wal!.endOffset)")
            id += 1
            let payload = String(repeating: "p", count: 3_000) + " \(id)"
            try store.write { _ = try $0.insert(into: "log", row: [.int(id), .text(payload)]) }
            expected[id] = payload
        }
        #expect(store.pager.wal!.endOffset > step, "the frames passed the first step")
        #expect(try walSize() == 2 * step, "the commit that passed the step wrote zeros to the next")
        backend.crash(policy: .dropUnsynced)
        store = try Store.open(path: DataSafetyTests.path, options: options)
        defer { try? store.close() }
        #expect(store.pager.walDamage == nil, "zeros after the last frame are not damage")
        #expect(try Self.rows(store) == expected)
    }
}
