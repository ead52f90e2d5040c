extension StoreTransaction {
    /// Inserts `row` (one value per column) and returns its row id. A nullable row-id
    /// column that is NULL gets the next row id. Unique and NOT NULL constraints are checked.
    @discardableResult
    public func insert(into tableName: String, row: [Value]) throws -> Int64 {
        try insert(into: tableName, row: row, rowID: nil)
    }

    /// `insert(into:row:)` into `table` as this transaction's catalog defines it now (the
    /// caller read it at the catalog's current schema version, as a prepared INSERT's plan
    /// does): no look-up and copy of the definition by name for each row.
    @discardableResult
    public func insert(into table: TableDefinition, row: [Value]) throws -> Int64 {
        assert(catalog.tables[table.name] == table, "inserting through a stale definition of \(table.name)")
        return try step { try insertRow(row, into: table, rowID: nil) }
    }

    /// Inserts with row id `presetRowID` when given (a replay), else as `insert(into:row:)`.
    func insert(into tableName: String, row: [Value], rowID presetRowID: Int64?) throws -> Int64 {
        try step { try insertRow(row, into: catalog.table(tableName), rowID: presetRowID) }
    }

    private func insertRow(_ row: [Value], into table: TableDefinition, rowID presetRowID: Int64?) throws -> Int64 {
        var row = row
        let rowID = try presetRowID ?? assignRowID(table, &row)
        try validate(row, for: table)
        if try insertRecord(row, rowID: rowID, into: table) {
            throw duplicateKey(table, rowIDColumn: table.rowIDColumn, rowID: rowID)
        }
        noteRowID(rowID, in: table)
        for index in table.indexes where index.hasEntryTree {
            try insertIndexEntries(index, table: table, row: row, rowID: rowID)
        }
        try log(.insert(table: table.name, rowID: rowID, row: row))
        return rowID
    }

    /// The largest record buffer kept between inserts: a huge value's buffer is let go.
    static let recordBufferBytesMax = 64 << 10

    /// Adds `row` under `rowID` unless the key is present; true when it was (nothing
    /// changed). The key lives on the stack. A compact record past the tree's last key is
    /// written straight into the rightmost leaf (`BTree.appendToRightmostLeaf`); any other
    /// goes through `recordBuffer` and the tree's insert.
    private func insertRecord(_ row: [Value], rowID: Int64, into table: TableDefinition) throws -> Bool {
        if try appendCompactRecord(row, rowID: rowID, into: table) { return false }
        var record = recordBuffer
        recordBuffer = []
        defer { if record.capacity <= Self.recordBufferBytesMax { recordBuffer = record } }
        record.removeAll(keepingCapacity: true)
        RecordCodec.encode(row, into: &record, rowIDColumn: table.rowIDColumn, rowID: rowID)
        return try KeyCodec.withRowIDKey(rowID, form: table.rowKeyForm) { key in
            try record.withUnsafeBytes { try table.tree.insert(key: key, value: $0, ifPresent: .keep, in: pages) }
        }
    }

    /// Writes `row`'s compact record straight into the rightmost leaf of `table`'s tree
    /// when its key goes past the last one there; false, changing nothing, otherwise.
    /// The bytes are those `RecordCodec.encode(_:into:rowIDColumn:rowID:)` gives.
    private func appendCompactRecord(_ row: [Value], rowID: Int64, into table: TableDefinition) throws -> Bool {
        guard RecordCodec.fitsCompactLayout(row) else { return false }
        let column = RecordCodec.compactRowIDColumn(row, table.rowIDColumn, rowID: rowID)
        let size = RecordCodec.compactSize(row, rowIDColumn: column)
        return try KeyCodec.withRowIDKey(rowID, form: table.rowKeyForm) { key in
            try table.tree.appendToRightmostLeaf(key: key, valueSizeBytes: size.totalBytes, in: pages) { bytes in
                RecordCodec.writeCompact(row, size, rowIDColumn: column, into: bytes.bindMemory(to: UInt8.self))
            }
        }
    }

    /// The record of `row` stored under `rowID`, its row-id column kept in the key: the same
    /// bytes an insert writes, so an update of the same size overwrites the cell in place.
    static func record(_ row: [Value], of table: TableDefinition, rowID: Int64) -> [UInt8] {
        var record: [UInt8] = []
        RecordCodec.encode(row, into: &record, rowIDColumn: table.rowIDColumn, rowID: rowID)
        return record
    }

    /// Replaces row `rowID` with `row`; returns the row's id afterwards (it changes
    /// when the row-id column does). Returns nil when there is no such row.
    @discardableResult
    public func update(_ tableName: String, rowID: Int64, to row: [Value]) throws -> Int64? {
        try step {
            let table = try catalog.table(tableName)
            if let updated = try updateWithoutIndexes(table, rowID: rowID, to: row) { return updated }
            guard let old = try self.row(table, rowID: rowID) else { return nil }
            var row = row
            if let column = table.rowIDColumn, row[column] != old[column] {
                try removeRow(table, rowID: rowID, old: old)
                try log(.delete(table: tableName, rowID: rowID))
                return try insert(into: tableName, row: row)
            }
            try validate(row, for: table)
            if let column = table.rowIDColumn { row[column] = .int(rowID) }
            for index in table.indexes where index.hasEntryTree {
                if index.keepsTextStatistics {
                    try updateInvertedEntries(index, table: table, old: old, new: row, rowID: rowID)
                    continue
                }
                let oldKeys = try indexKeys(index, table: table, row: old, rowID: rowID)
                let newKeys = try indexKeys(index, table: table, row: row, rowID: rowID)
                if oldKeys == newKeys { continue }
                for key in oldKeys { try BTree(root: index.root).remove(key: key, in: pages) }
                try insertIndexEntries(index, table: table, row: row, rowID: rowID)
            }
            try table.tree.insert(key: KeyCodec.encodeRowID(rowID, form: table.rowKeyForm), value: Self.record(row, of: table, rowID: rowID), in: pages)
            try log(.update(table: tableName, rowID: rowID, row: row))
            return rowID
        }
    }

    /// The update of a row that keeps its row id in a table without index entry trees,
    /// which needs no old values: one descent replaces the value in place. Returns
    /// `.some(nil)` when there is no such row, nil when the general path must run.
    private func updateWithoutIndexes(_ table: TableDefinition, rowID: Int64, to row: [Value]) throws -> Int64?? {
        guard !table.indexes.contains(where: \.hasEntryTree) else { return nil }
        if let column = table.rowIDColumn, row[column] != .int(rowID) { return nil }
        try validate(row, for: table)
        let key = KeyCodec.encodeRowID(rowID, form: table.rowKeyForm)
        guard try table.tree.insert(key: key, value: Self.record(row, of: table, rowID: rowID), in: pages) else {
            // There was no such row: take back what the insert added.
            _ = try table.tree.remove(key: key, in: pages)
            return .some(nil)
        }
        try log(.update(table: table.name, rowID: rowID, row: row))
        return rowID
    }

    /// Deletes row `rowID`; returns its values, or nil when there was no such row.
    @discardableResult
    public func delete(from tableName: String, rowID: Int64) throws -> [Value]? {
        try step {
            let table = try catalog.table(tableName)
            guard let old = try row(table, rowID: rowID) else { return nil }
            try removeRow(table, rowID: rowID, old: old)
            try log(.delete(table: tableName, rowID: rowID))
            return old
        }
    }

    private func removeRow(_ table: TableDefinition, rowID: Int64, old: [Value]) throws {
        for index in table.indexes where index.hasEntryTree {
            if index.keepsTextStatistics, let document = try Self.invertedDocument(index, table: table, row: old) {
                try applyInvertedDocument(index, document, rowID: rowID, sign: -1)
                continue
            }
            for key in try indexKeys(index, table: table, row: old, rowID: rowID) { try BTree(root: index.root).remove(key: key, in: pages) }
        }
        try table.tree.remove(key: KeyCodec.encodeRowID(rowID, form: table.rowKeyForm), in: pages)
    }

    private func assignRowID(_ table: TableDefinition, _ row: inout [Value]) throws -> Int64 {
        guard let column = table.rowIDColumn, column < row.count else { return try allocateRowID(table) }
        switch row[column] {
        case .null:
            if table.columns[column].notNull {
                throw VireoError(.notNullViolation, "null value in column \"\(table.columns[column].name)\" of relation \"\(table.name)\" violates not-null constraint")
            }
            let rowID = try allocateRowID(table)
            row[column] = .int(rowID)
            return rowID
        case .int(let rowID):
            return rowID
        case let other:
            throw VireoError(.typeMismatch, "column \"\(table.columns[column].name)\" is of type bigint but the value is of type \(other.typeName)")
        }
    }

    /// Checks arity, types and NOT NULL.
    func validate(_ row: [Value], for table: TableDefinition) throws {
        guard row.count == table.columns.count else {
            throw VireoError(.internalError, "row of \(row.count) values for table \"\(table.name)\" of \(table.columns.count) columns")
        }
        // By position: zipping with the columns copied each ColumnDefinition (name, type,
        // default and generated texts) for every value of every inserted row.
        for position in row.indices {
            if Self.isPlainlyValid(row[position], table.columns[position].type) { continue }
            if row[position].isNull {
                if table.columns[position].notNull {
                    let column = table.columns[position]
                    throw VireoError(.notNullViolation, "null value in column \"\(column.name)\" of relation \"\(table.name)\" violates not-null constraint")
                }
            } else if !row[position].fits(table.columns[position].type) {
                let column = table.columns[position]
                throw VireoError(.typeMismatch, "column \"\(column.name)\" is of type \(column.type.name) but the value is of type \(row[position].typeName)")
            } else {
                try Self.checkDeclaredType(row[position], table.columns[position].type)
                if case .array(let elements) = row[position], elements.first?.isArray == true {
                    try MetaPage.raiseVersion(to: StorageFormat.multidimensionalArraysVersion, in: pages)
                }
            }
        }
    }

    /// Whether `value` is valid in a column of `type` by its kind alone (and an int by its
    /// range), as `fits` and `checkDeclaredType` would find, without their look-ups: what
    /// the query layer hands over for the common column types.
    @inline(__always)
    static func isPlainlyValid(_ value: Value, _ type: ColumnType) -> Bool {
        switch (value, type) {
        case (.int, .int), (.double, .double), (.double, .real), (.text, .text), (.bool, .bool): true
        case (.int(let number), .integer): Int64(Int32.min)...Int64(Int32.max) ~= number
        case (.int(let number), .smallint): Int64(Int16.min)...Int64(Int16.max) ~= number
        default: false
        }
    }

    /// The range of smallint/integer columns and the length of varchar(n)/char(n) ones, for
    /// callers that did not convert values as the query layer does (it reports these first).
    static func checkDeclaredType(_ value: Value, _ type: ColumnType) throws {
        if let range = type.integerRange, case .int(let number) = value, !range.contains(number) {
            throw VireoError(.numericOutOfRange, "\(type.name) out of range")
        }
        if let lengthMax = type.lengthMax, case .text(let text) = value, text.unicodeScalars.count > lengthMax {
            throw VireoError(.stringDataRightTruncation, "value too long for type \(type.name)")
        }
        if case .halfvec = type, case .vector(let elements) = value,
           let inexact = elements.first(where: { Float(Float16($0)) != $0 }) {
            throw VireoError(.numericOutOfRange, "\(inexact) is not a half-precision value, as a halfvec column holds")
        }
        if case .sparsevec(let dimension) = type, case .text(let text) = value, !Self.isSparseVectorText(text, dimension: dimension) {
            throw VireoError(.invalidTextRepresentation, "invalid input syntax for type sparsevec: \"\(text)\"")
        }
    }

    /// Whether `text` has the shape of a canonical sparsevec (`{i:v,…}/n`, n the declared
    /// dimension unless 0): what the query layer stores. Values and order are its to check.
    static func isSparseVectorText(_ text: String, dimension: Int) -> Bool {
        guard text.first == "{", let slash = text.lastIndex(of: "/"), text[text.index(before: slash)] == "}",
              let stored = Int(text[text.index(after: slash)...]), stored >= 1 else { return false }
        return dimension == 0 || stored == dimension
    }

    /// Index key: the encoded values, followed by the row id unless the index is unique
    /// and no value is NULL (SQL lets any number of NULLs through a unique index).
    static func indexKey(_ index: IndexDefinition, values: [Value], rowID: Int64) -> [UInt8] {
        var key = KeyCodec.encode(values, descending: index.descending ?? [])
        if !index.isUnique || values.contains(where: \.isNull) { KeyCodec.appendRowID(rowID, form: .fixed, to: &key) }
        return key
    }

    /// The keys a row puts in an index: one for a B+tree index (none when a partial index's
    /// predicate excludes the row); for an inverted index one per lexeme of the row's
    /// tsvector (the encoded lexeme, then the row id), none for NULL.
    public static func indexKeys(_ index: IndexDefinition, table: TableDefinition, row: [Value], rowID: Int64) throws -> [[UInt8]] {
        guard index.isInverted else {
            guard let values = try IndexKeys.values(index, table: table, row: row) else { return [] }
            return [indexKey(index, values: values, rowID: rowID)]
        }
        return try Self.lexemes(index, table: table, row: row).map { lexeme in
            var key = KeyCodec.encode([.text(lexeme)])
            KeyCodec.appendRowID(rowID, form: .fixed, to: &key)
            return key
        }
    }

    func indexKeys(_ index: IndexDefinition, table: TableDefinition, row: [Value], rowID: Int64) throws -> [[UInt8]] {
        try Self.indexKeys(index, table: table, row: row, rowID: rowID)
    }

    /// The distinct terms `row` is listed under: the lexemes of the indexed tsvector, or the
    /// derived terms of a jsonb key (jsonb_ops, jsonb_path_ops: IndexKeyComputer).
    public static func lexemes(_ index: IndexDefinition, table: TableDefinition, row: [Value]) throws -> [String] {
        guard let key = try IndexKeys.values(index, table: table, row: row)?.first, !key.isNull else { return [] }
        if index.invertedOperatorClass != nil { return try IndexKeys.invertedTerms(index, key: key) }
        guard case .text(let text) = key else { return [] }
        return try TSVector(parsing: text).entries.map(\.lexeme)
    }

    func insertIndexEntries(_ index: IndexDefinition, table: TableDefinition, row: [Value], rowID: Int64) throws {
        if index.keepsTextStatistics {
            guard let document = try Self.invertedDocument(index, table: table, row: row) else { return }
            return try applyInvertedDocument(index, document, rowID: rowID, sign: 1)
        }
        for key in try indexKeys(index, table: table, row: row, rowID: rowID) {
            let present = try BTree(root: index.root).insert(key: key, value: KeyCodec.encodeRowID(rowID, form: .fixed), ifPresent: .keep, in: pages)
            if present {
                let values = try IndexKeys.values(index, table: table, row: row) ?? []
                // A key of an enum column shows its label (E3: a stored value is a label's sort order).
                let shown = zip(values, index.columns).map { value, name in
                    table.columnIndex(name).flatMap { table.columns[$0].type.enumType?.label(of: value) } ?? value.messageText
                }.joined(separator: ", ")
                let keys = index.columns.indices.map { index.expression(at: $0) ?? index.columns[$0] }
                throw VireoError(.uniqueViolation, "duplicate key value violates unique constraint \"\(index.name)\"",
                                 detail: "Key (\(keys.joined(separator: ", ")))=(\(shown)) already exists.")
            }
        }
    }

    /// An update's change to a format 2 inverted index: the old document out, the new one
    /// in, unless they are the same.
    private func updateInvertedEntries(_ index: IndexDefinition, table: TableDefinition, old: [Value], new: [Value], rowID: Int64) throws {
        let before = try Self.invertedDocument(index, table: table, row: old)
        let after = try Self.invertedDocument(index, table: table, row: new)
        if before == after { return }
        if let before { try applyInvertedDocument(index, before, rowID: rowID, sign: -1) }
        if let after { try applyInvertedDocument(index, after, rowID: rowID, sign: 1) }
    }

    private func duplicateKey(_ table: TableDefinition, rowIDColumn: Int?, rowID: Int64) -> VireoError {
        let column = rowIDColumn.map { table.columns[$0].name } ?? "rowid"
        return VireoError(.uniqueViolation, "duplicate key value violates unique constraint \"\(table.name)_pkey\"",
                          detail: "Key (\(column))=(\(rowID)) already exists.")
    }
}
