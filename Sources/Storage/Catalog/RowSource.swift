/// Reading rows and indexes; shared by snapshots and write transactions.
public protocol RowSource {
    associatedtype Pages: PageSource
    var pages: Pages { get }
    var catalog: Catalog { get }
}

/// One end of a range over index values.
public struct ValueBound: Sendable {
    public var values: [Value]
    public var inclusive: Bool
    public init(_ values: [Value], inclusive: Bool = true) {
        self.values = values
        self.inclusive = inclusive
    }
}

extension RowSource {
    /// The table called `name`.
    public func table(_ name: String) throws -> TableDefinition { try catalog.table(name) }

    /// Calls `body` with the stored record of row `rowID`; nil when there is no such row.
    public func withRow<R>(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> R) throws -> R? {
        try table.tree.withRecord(rowID: rowID, form: table.rowKeyForm, in: pages, body)
    }

    /// Calls `body` with the stored record of row `rowID`; false when there is no such row.
    /// The concrete sources (StoreSnapshot, StoreTransaction) offer it as `visitRow`, which
    /// is not generic: another module calling `withRow` runs its unspecialized form, which
    /// looked up type metadata on every call (7% of a primary-key join's time).
    @inline(__always)
    func visitRecord(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> Void) throws -> Bool {
        try withRow(table, rowID: rowID, body) != nil
    }

    /// The values of row `rowID`, or nil.
    public func row(_ table: TableDefinition, rowID: Int64) throws -> [Value]? {
        try withRow(table, rowID: rowID) { try $0.values() }
    }

    /// Visits rows in row-id order (or reverse) within the optional bounds; `body`
    /// returns false to stop. The record is valid only during the call.
    public func scanRows(_ table: TableDefinition, from lower: Int64? = nil, to upper: Int64? = nil,
                         reverse: Bool = false, _ body: (Int64, RecordView) throws -> Bool) throws {
        let form = table.rowKeyForm
        try table.tree.scan(in: pages, from: lower.map { KeyBound(KeyCodec.encodeRowID($0, form: form)) },
                            to: upper.map { KeyBound(KeyCodec.encodeRowID($0, form: form)) }, reverse: reverse) { key, value in
            let rowID = try KeyCodec.decodeRowID(key, form: form)
            return try body(rowID, try RecordView(value, rowID: rowID))
        }
    }

    /// Number of rows in `table` (a full scan of its keys).
    public func rowCount(_ table: TableDefinition) throws -> Int { try table.tree.count(in: pages) }

    /// Visits the row ids whose `index` values lie between the bounds (each a prefix of
    /// the index's columns), in index order or reverse. The bounds are in index order: for
    /// a DESC key the larger value is the lower bound.
    public func scanIndex(_ index: IndexDefinition, from lower: ValueBound? = nil, to upper: ValueBound? = nil,
                          reverse: Bool = false, _ body: (Int64) throws -> Bool) throws {
        let directions = index.descending ?? []
        try BTree(root: index.root).scan(in: pages, from: lower.map { Self.lowerKey($0, directions) },
                                         to: upper.flatMap { Self.upperKey($0, directions) },
                                         reverse: reverse) { key, value in
            // A format 2 inverted index values its postings by their statistics, a format 3 one
            // holds blocks of them; the (first) row id ends the key (InvertedIndex.swift).
            guard index.keepsTextStatistics else { return try body(try KeyCodec.decodeRowID(value, form: .fixed)) }
            if index.storesPostingBlocks {
                let block = try PostingBlock.decode(value, firstRowID: try InvertedIndex.blockFirstRowID(key))
                for rowID in block.rowIDs where !(try body(rowID)) { return false }
                return true
            }
            guard key.count > KeyCodec.rowIDSizeBytes else { throw VireoError(.corruption, "malformed inverted index posting key") }
            return try body(try KeyCodec.decodeRowID(UnsafeRawBufferPointer(rebasing: key[(key.count - KeyCodec.rowIDSizeBytes)...]), form: .fixed))
        }
    }

    /// Row ids whose index values equal `values` (a prefix of the index's columns).
    public func lookupIndex(_ index: IndexDefinition, equalTo values: [Value]) throws -> [Int64] {
        var rowIDs: [Int64] = []
        try scanIndex(index, from: ValueBound(values), to: ValueBound(values)) { rowIDs.append($0); return true }
        return rowIDs
    }

    // Index keys are encoded values, possibly followed by a row id; an encoded value
    // tuple P is a prefix of exactly the keys of tuples that start with P's values.
    static func lowerKey(_ bound: ValueBound, _ descending: [Bool]) -> KeyBound {
        let prefix = KeyCodec.encode(bound.values, descending: descending)
        if bound.inclusive { return KeyBound(prefix) }
        return KeyBound(KeyCodec.prefixUpperBound(prefix) ?? prefix + [0xFF], inclusive: true)
    }

    static func upperKey(_ bound: ValueBound, _ descending: [Bool]) -> KeyBound? {
        let prefix = KeyCodec.encode(bound.values, descending: descending)
        if !bound.inclusive { return KeyBound(prefix, inclusive: false) }
        return KeyCodec.prefixUpperBound(prefix).map { KeyBound($0, inclusive: false) }
    }
}

extension BTree {
    /// Calls `body` with the stored record of row `rowID` of this table tree, whose keys
    /// are in `form`, read from `pages`; nil when there is no such row.
    @inline(__always)
    func withRecord<R>(rowID: Int64, form: RowKeyForm, in pages: some PageSource, _ body: (RecordView) throws -> R) throws -> R? {
        try KeyCodec.withRowIDKey(rowID, form: form) { key in
            try withValue(forKey: key, in: pages) { try body(try RecordView($0, rowID: rowID)) }
        }
    }
}

extension StoreSnapshot {
    /// `withRow` for one row's record, specialized here (see `visitRecord`).
    public func visitRow(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> Void) throws -> Bool {
        try visitRecord(table, rowID: rowID, body)
    }
}

extension StoreTransaction {
    /// `withRow` for one row's record, specialized here (see `visitRecord`).
    public func visitRow(_ table: TableDefinition, rowID: Int64, _ body: (RecordView) throws -> Void) throws -> Bool {
        try visitRecord(table, rowID: rowID, body)
    }
}
