import Foundation
import Testing
@testable import VireoStorage

/// Multi-dimensional arrays in records (Value+Array.swift): nested arrays round-trip through
/// the record codec, and the first row holding one raises the file to format version 5,
/// which a file of one-dimensional arrays never needs (older builds read those still).
@Suite("Nested arrays in records")
struct NestedArrayRecordTests {
    static let grid: Value = .array([.array([.int(1), .null]), .array([.int(3), .int(4)])])

    @Test("a nested array encodes and decodes to itself, its shape and NULLs kept")
    func roundTrip() throws {
        let row: [Value] = [.int(7), Self.grid, .array([.text("a")]), .array([])]
        let bytes = RecordCodec.encode(row)
        let decoded = try bytes.withUnsafeBytes { try RecordView($0).values() }
        #expect(decoded == row)
        #expect(Self.grid.arrayDimensions == [2, 2])
        #expect(Self.grid.arrayLeaves == [.int(1), .null, .int(3), .int(4)])
        #expect(Value.shapedArray([Value.int(1), .null, .int(3), .int(4)], dimensions: [2, 2]) == Self.grid)
    }

    @Test("the first row with a nested array raises the version; a rolled-back one does not")
    func versionRaisedByTheRow() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/nested.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            let table = TableDefinition(name: "m", columns: [
                ColumnDefinition(name: "id", type: .int, notNull: true),
                ColumnDefinition(name: "grid", type: .array(element: .int)),
            ], rowIDColumn: 0, rowKeyForm: .fixed)
            try store.write { transaction in
                try transaction.createTable(table)
                try transaction.insert(into: "m", row: [.int(1), .array([.int(5)])])
            }
            let before = try RowKeyFormTests.version(store)
            #expect(before < StorageFormat.multidimensionalArraysVersion, "one-dimensional arrays need no newer version")
            let transaction = try store.beginWrite()
            try transaction.insert(into: "m", row: [.int(2), Self.grid])
            transaction.rollback()
            #expect(try RowKeyFormTests.version(store) == before)
            try store.write { try $0.insert(into: "m", row: [.int(2), Self.grid]) }
            #expect(try RowKeyFormTests.version(store) == StorageFormat.multidimensionalArraysVersion)
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            defer { try? store.close() }
            let grids = try store.read { snapshot in
                var grids: [Value] = []
                try snapshot.scanRows(try snapshot.table("m"), from: nil, to: nil, reverse: false) { _, record in
                    grids.append(try record.values()[1])
                    return true
                }
                return grids
            }
            #expect(grids == [.array([.int(5)]), Self.grid])
        }
    }
}
