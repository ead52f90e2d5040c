import VireoStorage

/// The vectors of one column of a table, read row by row from its B+tree (through the
/// buffer pool) as `rows` sees them: a statement's snapshot, or a write transaction with
/// its own changes. This is how an int8 index re-ranks from the rows Vireo already stores
/// instead of a second float copy in RAM. Labels are row ids.
///
/// Safe for concurrent reads when `rows` is a snapshot (page reads go through the
/// thread-safe buffer pool and a snapshot's pages never change); a transaction is read by
/// its own session's thread only, which is the one searching.
public struct TableVectorSource<Rows: RowSource>: VectorSource, @unchecked Sendable {
    public let rows: Rows
    public let table: TableDefinition
    /// Position of the vector column in the table's records.
    public let column: Int

    public init(rows: Rows, table: TableDefinition, column: Int) {
        self.rows = rows
        self.table = table
        self.column = column
    }

    /// A row that is gone, NULL in the column, or of another dimension has no vector. The
    /// rows are looked up together (`withRows`: each B+tree node on the way read once).
    public func readVectors(_ labels: UnsafeBufferPointer<Int64>, dimension: Int,
                            into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        for i in 0..<labels.count { found[i] = false }
        try rows.withRows(table, rowIDs: Array(labels)) { i, record in
            found[i] = try copyVector(record, dimension: dimension, into: destination + i * dimension)
        }
    }

    /// The pages' pager life (nil for pages that take no locators).
    public var locatorDomain: UInt64? {
        let domain = rows.pages.locatorDomain
        return domain == 0 ? nil : domain
    }

    /// `readVectors`, reading through each row's locator where it holds
    /// (`RowSource.withRows(_:rowIDs:locators:_:)`) and descending for the others.
    public func readVectors(_ labels: UnsafeBufferPointer<Int64>, locators: UnsafeMutablePointer<RowLocator>, dimension: Int,
                            into destination: UnsafeMutablePointer<Float>, found: UnsafeMutablePointer<Bool>) throws {
        guard locatorDomain != nil else {
            return try readVectors(labels, dimension: dimension, into: destination, found: found)
        }
        for i in 0..<labels.count { found[i] = false }
        try rows.withRows(table, rowIDs: Array(labels), locators: locators) { i, record in
            found[i] = try copyVector(record, dimension: dimension, into: destination + i * dimension)
        }
    }

    /// Copies the vector column of `record` when it holds `dimension` floats.
    private func copyVector(_ record: RecordView, dimension: Int, into destination: UnsafeMutablePointer<Float>) throws -> Bool {
        guard column < record.columnCount else { return false }
        return try record.withVector(at: column) { vector -> Bool in
            guard vector.count == dimension, let base = vector.baseAddress else { return false }
            destination.update(from: base, count: dimension)
            return true
        } ?? false
    }
}
