import ArgumentParser
import Foundation
import VireoIndex
import VireoStorage

/// The base vectors stored as rows of a real Vireo table (`items(id bigint, embedding
/// vector(d))`, the row id being the vector's number), so that an int8 index re-ranks
/// from the table's pages through the buffer pool, as the SQL engine does.
struct PageVectorStore {
    static let tableName = "items"
    /// Rows per write transaction while loading.
    static let rowsPerTransaction = 2_000

    let store: Store
    let table: TableDefinition
    let path: String
    let loadSeconds: Double

    /// Creates `path` afresh and writes every base vector into it, then closes and reopens it
    /// so that the buffer pool starts empty (`bufferPoolBytes` large).
    static func create(path: String, data: BenchData, bufferPoolBytes: Int) throws -> PageVectorStore {
        for suffix in ["", "-wal", ".wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let start = Clock.seconds()
        let writer = try Store.open(path: path, options: StorageOptions(bufferPoolBytes: bufferPoolBytes))
        let definition = TableDefinition(name: tableName, columns: [
            ColumnDefinition(name: "id", type: .int, notNull: true),
            ColumnDefinition(name: "embedding", type: .vector(dimension: data.dimension)),
        ], rowIDColumn: 0)
        try writer.write { try $0.createTable(definition) }
        var row = 0
        while row < data.baseCount {
            let end = min(data.baseCount, row + rowsPerTransaction)
            try writer.write { transaction in
                for i in row..<end {
                    let vector = Array(data.base[i * data.dimension..<(i + 1) * data.dimension])
                    try transaction.insert(into: tableName, row: [.int(Int64(i)), .vector(vector)])
                }
            }
            row = end
        }
        try writer.checkpoint()
        try writer.close()
        let loadSeconds = Clock.seconds() - start
        let store = try Store.open(path: path, options: StorageOptions(bufferPoolBytes: bufferPoolBytes))
        return PageVectorStore(store: store, table: try store.catalog.table(tableName), path: path, loadSeconds: loadSeconds)
    }

    var source: StoreVectorSource {
        StoreVectorSource(store: store, table: table, column: 1,
                          locatorDomain: try? store.read { TableVectorSource(rows: $0, table: table, column: 1).locatorDomain })
    }

    /// Pages now in the buffer pool (the table's pages re-ranking brought in, plus the
    /// catalog's), and the database file's size.
    var residentPages: Int { store.pager.statistics.bufferPoolPages }
    var fileBytes: Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
}

/// A `TableVectorSource` over a fresh snapshot of `store` per call (one per query): the
/// benchmark holds no statement snapshot of its own, as the SQL engine does.
struct StoreVectorSource: VectorSource {
    let store: Store
    let table: TableDefinition
    let column: Int
    /// The store's pager life (every snapshot of it has the same).
    let locatorDomain: UInt64?

    func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        try store.read { snapshot in
            try TableVectorSource(rows: snapshot, table: table, column: column)
                .readVectors(labels, dimension: dimension, into: destination, found: found)
        }
    }

    func readVectors(_ labels: UnsafeBufferPointer<Int64>, locators: UnsafeMutablePointer<RowLocator>, dimension: Int,
                     into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        try store.read { snapshot in
            try TableVectorSource(rows: snapshot, table: table, column: column)
                .readVectors(labels, locators: locators, dimension: dimension, into: destination, found: found)
        }
    }
}
