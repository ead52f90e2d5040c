extension BTree {
    /// Calls `body(i, value)` for each `keys[i]` present in the tree, in key order. `keys`
    /// must be sorted (memcmp order). The keys that fall under one child are looked up
    /// together, so each node on the way is read once per batch rather than once per key:
    /// re-ranking an int8 index's candidates reads a few tens of rows at once.
    /// `located(i, locator)` learns, before `body(i, …)`, where `keys[i]` was found.
    public func withValues(forSortedKeys keys: [[UInt8]], in source: some PageSource,
                           located: ((Int, RowLocator) -> Void)? = nil,
                           _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        guard !keys.isEmpty else { return }
        try visit(root, keys, 0..<keys.count, depth: 0, in: source, located, body)
    }

    private func visit(_ pageNumber: PageNumber, _ keys: [[UInt8]], _ range: Range<Int>, depth: Int,
                       in source: some PageSource, _ located: ((Int, RowLocator) -> Void)?,
                       _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws {
        guard depth <= Self.depthMax else {
            throw VireoError.corrupt(source.path, page: root, "tree deeper than \(Self.depthMax) levels (a cycle?)")
        }
        try node(source, pageNumber) { page in
            if BTreeNode.isLeaf(page) {
                let lsn: UInt64 = page.loadLE(at: PageLayout.lsnOffset)
                for i in range {
                    let (index, found) = try keys[i].withUnsafeBytes { try BTreeNode.search(page, $0) }
                    guard found else { continue }
                    located?(i, RowLocator(page: pageNumber, slot: UInt16(index), lsn: lsn))
                    try withLeafValue(page, index, source) { try body(i, $0) }
                }
                return
            }
            // Consecutive sorted keys under the same child form one group.
            let positionOf = { (i: Int) in try keys[i].withUnsafeBytes { try BTreeNode.childPosition(page, $0) } }
            var start = range.lowerBound, position = try positionOf(start)
            while start < range.upperBound {
                var end = start + 1, next = position
                while end < range.upperBound {
                    next = try positionOf(end)
                    if next != position { break }
                    end += 1
                }
                try visit(try BTreeNode.child(page, position), keys, start..<end, depth: depth + 1, in: source, located, body)
                (start, position) = (end, next)
            }
        }
    }
}

extension RowSource {
    /// Calls `body(i, record)` for each of `rowIDs` that has a row, descending the table's
    /// tree once for all of them (`BTree.withValues`); `rowIDs` may come in any order.
    public func withRows(_ table: TableDefinition, rowIDs: [Int64], _ body: (Int, RecordView) throws -> Void) throws {
        let order = rowIDs.indices.sorted { rowIDs[$0] < rowIDs[$1] }
        let keys = order.map { KeyCodec.encodeRowID(rowIDs[$0], form: table.rowKeyForm) }
        try table.tree.withValues(forSortedKeys: keys, in: pages) { sortedIndex, value in
            try body(order[sortedIndex], try RecordView(value, rowID: rowIDs[order[sortedIndex]]))
        }
    }
}
