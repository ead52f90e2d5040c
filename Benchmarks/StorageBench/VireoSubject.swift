import VireoStorage

/// Vireo's storage engine through its embedded API, as an application would use it.
final class VireoSubject: StorageSubject {
    private let store: Store
    static let tableName = "t"

    /// Creates the database at `path` on the I/O backend called `backend` (uring or posix)
    /// with a buffer pool of `cacheBytes`, a checkpoint once the WAL holds `walCheckpointBytes`,
    /// and the table `t(id bigint row id, a bigint, b text, c double)`.
    init(path: String, backend: String, cacheBytes: Int, walCheckpointBytes: Int) throws {
        let io = try IOBackends.makeDefault(override: backend)
        let options = StorageOptions(backend: io, bufferPoolBytes: cacheBytes, walCheckpointBytes: walCheckpointBytes)
        store = try Store.open(path: path, options: options)
        let columns = [
            ColumnDefinition(name: "id", type: .int, notNull: true),
            ColumnDefinition(name: "a", type: .int),
            ColumnDefinition(name: "b", type: .text),
            ColumnDefinition(name: "c", type: .double),
        ]
        try store.write { transaction in
            try transaction.createTable(TableDefinition(name: Self.tableName, columns: columns, rowIDColumn: 0))
        }
    }

    func insert(_ rows: ArraySlice<BenchRow>) throws {
        try store.write { transaction in
            for row in rows {
                try transaction.insert(into: Self.tableName, row: [.int(row.id), .int(row.a), .text(row.b), .double(row.c)])
            }
        }
    }

    /// Each read finds the table in its snapshot's catalog, as a client must (the schema
    /// may have changed between reads).
    func lookupEach(_ ids: [Int64]) throws -> Int64 {
        var sum: Int64 = 0
        for id in ids {
            sum &+= try store.read { snapshot in
                try Self.columnA(of: id, in: snapshot.table(Self.tableName), snapshot)
            }
        }
        return sum
    }

    func lookupAllInOneRead(_ ids: [Int64]) throws -> Int64 {
        try store.read { snapshot in
            let table = try snapshot.table(Self.tableName)
            var sum: Int64 = 0
            for id in ids { sum &+= try Self.columnA(of: id, in: table, snapshot) }
            return sum
        }
    }

    func scan() throws -> (rowCount: Int, sum: Int64) {
        try store.read { snapshot in
            var result = (rowCount: 0, sum: Int64(0))
            try snapshot.scanRows(snapshot.table(Self.tableName)) { _, record in
                result.rowCount += 1
                result.sum &+= try Self.integer(record.value(at: 1))
                return true
            }
            return result
        }
    }

    func close() throws { try store.close() }

    private static func columnA(of id: Int64, in table: TableDefinition, _ snapshot: StoreSnapshot) throws -> Int64 {
        guard let value = try snapshot.withRow(table, rowID: id, { try $0.value(at: 1) }) else {
            throw BenchError("Vireo: row \(id) not found")
        }
        return try integer(value)
    }

    private static func integer(_ value: Value) throws -> Int64 {
        guard case .int(let integer) = value else { throw BenchError("Vireo: column a holds \(value)") }
        return integer
    }
}
