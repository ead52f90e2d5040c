extension BTree {
    /// What to do when the key is already present.
    public enum ExistingKey: Sendable {
        /// Leave the tree unchanged and report the duplicate.
        case keep
        /// Replace the value.
        case replace
    }

    /// Inserts `value` under `key`. Returns true if the key was already present (and,
    /// with `.replace`, its value replaced; with `.keep`, nothing changed).
    @discardableResult
    public func insert(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                       ifPresent: ExistingKey = .replace, in sink: some PageSink) throws -> Bool {
        guard key.count <= BTreeNode.keyBytesMax else {
            throw VireoError(.limitExceeded, "index key of \(key.count) bytes exceeds the limit of \(BTreeNode.keyBytesMax) bytes")
        }
        if try appendToRightmostLeaf(key: key, value: value, in: sink) { return false }
        var path: [(page: PageNumber, position: Int)] = []
        let leaf = try descend(to: key, in: sink, path: &path)
        let (index, found, isCompact) = try node(sink, leaf) { page in
            let (index, found) = try BTreeNode.search(page, key)
            return (index, found, BTreeNode.isCompactLeaf(page))
        }
        if found && ifPresent == .keep { return true }
        if !isCompact { try convertLeafToCompact(leaf, in: sink) }
        let cell = try leafCell(key: key, value: value, in: sink)
        if try node(sink, leaf, { BTreeNode.cellCount($0) == index }) { rememberRightmostPath(path, leaf: leaf, in: sink) }
        // A value of the same size is overwritten where it is: the page keeps its layout,
        // so the WAL logs only the changed bytes and no fragmented space builds up.
        if found, try mutableNode(sink, leaf, { page in try cell.withUnsafeBytes { try BTreeNode.overwriteCell(page, at: index, $0) } }) {
            return true
        }
        try mutableNode(sink, leaf) { page in
            if found {
                try freeOverflow(page, index, sink)
                try BTreeNode.removeCell(page, at: index)
            }
        }
        let fits = try mutableNode(sink, leaf) { page in
            try cell.withUnsafeBytes { try BTreeNode.insertCell(page, at: index, $0) }
        }
        if !fits {
            forgetRightmostPath(in: sink)
            try splitLeaf(leaf, inserting: cell, at: index, path: path, in: sink)
        }
        return found
    }

    /// Row ids usually grow: a key past the end of the rightmost leaf, remembered from
    /// the last descent of this transaction, goes straight there (as SQLite appends).
    /// Returns false, changing nothing, when the fast path does not apply.
    private func appendToRightmostLeaf(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                                       in sink: some PageSink) throws -> Bool {
        try appendToRightmostLeaf(key: key, valueSizeBytes: value.count, in: sink) { bytes in
            bytes.copyMemory(from: value)
        }
    }

    /// Appends under `key`, past the end of the rightmost leaf as `insert` would, a value of
    /// `valueSizeBytes` that `writeValue` writes straight into the leaf's cell (given exactly
    /// those bytes): a table's record is then encoded once, where it is kept, with no buffer
    /// and no copy. Returns false, changing nothing, when the key does not go there or the
    /// cell would not stay inline or fit in the leaf; the caller then inserts the value
    /// through `insert`, which finds the key's place and splits.
    public func appendToRightmostLeaf(key: UnsafeRawBufferPointer, valueSizeBytes: Int, in sink: some PageSink,
                                      writeValue: (UnsafeMutableRawBufferPointer) -> Void) throws -> Bool {
        guard key.count <= BTreeNode.keyBytesMax, let transaction = sink as? WriteTransaction,
              let leaf = transaction.rightmostLeaves[root],
              BTreeNode.leafCellHeaderBytes + key.count + valueSizeBytes <= BTreeNode.maxCellBytes else { return false }
        let appends = try node(sink, leaf) { page -> Bool in
            let count = BTreeNode.cellCount(page)
            guard BTreeNode.isCompactLeaf(page), count > 0 else { return false }
            return compareKeys(try BTreeNode.key(page, count - 1), key) < 0
        }
        guard appends else { return false }
        let header = BTreeNode.compactHeaderBytes(keyLength: key.count, valueLength: valueSizeBytes)
        let cellBytes = header + key.count + valueSizeBytes
        assert(cellBytes <= BTreeNode.maxCellBytes, "an inline cell fits in maxCellBytes (N4)")
        return try mutableNode(sink, leaf) { page in
            let index = BTreeNode.cellCount(UnsafeRawBufferPointer(page))
            guard let start = try BTreeNode.reserveCell(page, at: index, sizeBytes: cellBytes) else { return false }
            let cell = UnsafeMutableRawBufferPointer(rebasing: page[start..<start + cellBytes])
            var position = 0
            BTreeNode.storeVarint(UInt64(key.count), in: cell, at: &position)
            BTreeNode.storeVarint(UInt64(valueSizeBytes) << 1, in: cell, at: &position)
            UnsafeMutableRawBufferPointer(rebasing: cell[header..<header + key.count]).copyMemory(from: key)
            writeValue(UnsafeMutableRawBufferPointer(rebasing: cell[(header + key.count)...]))
            return true
        }
    }

    /// Caches the leaf when the descent took the last child at every level.
    private func rememberRightmostPath(_ path: [(page: PageNumber, position: Int)], leaf: PageNumber, in sink: some PageSink) {
        guard let transaction = sink as? WriteTransaction else { return }
        let isRightmost = (try? isOnEdge(path, last: true, in: sink)) ?? false
        transaction.rightmostLeaves[root] = isRightmost ? leaf : nil
    }

    /// Whether every interior node on `path` took its last child (`last`) or its first, so
    /// the node below is the last (or first) of its level.
    func isOnEdge(_ path: [(page: PageNumber, position: Int)], last: Bool, in source: some PageSource) throws -> Bool {
        try path.allSatisfy { step in
            try last ? node(source, step.page) { BTreeNode.cellCount($0) == step.position } : step.position == 0
        }
    }

    /// Whether the node below `path` is the first and the last of its level.
    func edges(_ path: [(page: PageNumber, position: Int)], in source: some PageSource) throws -> (first: Bool, last: Bool) {
        (try isOnEdge(path, last: false, in: source), try isOnEdge(path, last: true, in: source))
    }

    /// Any change of the tree's shape invalidates the cached rightmost leaf.
    func forgetRightmostPath(in sink: some PageSink) {
        (sink as? WriteTransaction)?.rightmostLeaves[root] = nil
    }

    /// Convenience over byte arrays.
    @discardableResult
    public func insert(key: [UInt8], value: [UInt8], ifPresent: ExistingKey = .replace, in sink: some PageSink) throws -> Bool {
        try key.withUnsafeBytes { key in
            try value.withUnsafeBytes { value in try insert(key: key, value: value, ifPresent: ifPresent, in: sink) }
        }
    }

    /// Builds a leaf cell, moving a large value to an overflow chain (invariant N4).
    func leafCell(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, in sink: some PageSink) throws -> [UInt8] {
        guard value.count <= UInt32.max else {
            throw VireoError(.limitExceeded, "value of \(value.count) bytes exceeds the limit of 4 GiB")
        }
        let inline = BTreeNode.leafCellHeaderBytes + key.count + value.count <= BTreeNode.maxCellBytes
        var cell = [UInt8]()
        cell.reserveCapacity(BTreeNode.leafCellHeaderBytes + key.count + (inline ? value.count : 4))
        BTreeNode.appendCompactHeader(keyLength: key.count, valueLength: value.count, isOverflow: !inline, to: &cell)
        cell.append(contentsOf: key)
        if inline {
            cell.append(contentsOf: value)
        } else {
            appendLE(try Overflow.write(value, in: sink), to: &cell)
        }
        return cell
    }

    /// Frees the overflow chain of leaf cell `index`, if it has one.
    func freeOverflow(_ page: UnsafeMutableRawBufferPointer, _ index: Int, _ sink: some PageSink) throws {
        let view = UnsafeRawBufferPointer(page)
        let cell = try BTreeNode.leafCell(view, index)
        guard cell.isOverflow else { return }
        try Overflow.free(first: view.loadLE(at: cell.valueStart), lengthBytes: cell.valueLength, in: sink)
    }

    /// Where to split `cells` (the node's cells with the new one at `insertedAt`): the
    /// first index of the right half. Appending at the end of the last node of its level
    /// (or before the start of the first) splits off just the new cell, so sequential
    /// inserts leave full pages behind them. Anywhere else a node splits in the middle: a
    /// cell split off alone at the end of an inner node could stay alone for good when no
    /// key falls between it and the next node (ids inserted in random order).
    static func splitIndex(_ cells: [[UInt8]], insertedAt: Int, minimumRight: Int, edges: (first: Bool, last: Bool)) -> Int {
        let lowest = 1
        let highest = cells.count - minimumRight
        if insertedAt == cells.count - 1 && edges.last { return highest }
        if insertedAt == 0 && edges.first { return lowest }
        let halfBytes = BTreeNode.bytesNeeded(cells) / 2
        var leftBytes = 0
        for (index, cell) in cells.enumerated() {
            leftBytes += cell.count + 2
            if leftBytes >= halfBytes { return min(max(index + 1, lowest), highest) }
        }
        return highest
    }

    private func splitLeaf(_ leaf: PageNumber, inserting cell: [UInt8], at index: Int,
                           path: [(page: PageNumber, position: Int)], in sink: some PageSink) throws {
        // A cell past the last one of the level's last leaf goes alone to a new right sibling
        // (what `splitIndex` picks for it), and the full leaf keeps its cells where they are:
        // copying them all out and writing them back made a split cost as much as a hundred
        // appends.
        if leaf != root, try node(sink, leaf, { BTreeNode.cellCount($0) == index && index > 0 }),
           try isOnEdge(path, last: true, in: sink) {
            let rightPage = try sink.allocatePage(type: .btreeLeaf)
            try fill(rightPage, type: .btreeLeaf, cells: [cell][...], rightChild: 0, in: sink)
            try insertIntoParent(separator: BTreeNode.key(ofCell: cell, leaf: true), left: leaf, right: rightPage, path: path, in: sink)
            return
        }
        var cells = try node(sink, leaf) { try BTreeNode.copyCells($0) }
        cells.insert(cell, at: index)
        let split = Self.splitIndex(cells, insertedAt: index, minimumRight: 1, edges: try edges(path, in: sink))
        let separator = try BTreeNode.key(ofCell: cells[split], leaf: true)
        try splitNode(leaf, left: cells[..<split], right: cells[split...], leftRightChild: 0,
                      rightRightChild: 0, separator: separator, type: .btreeLeaf, path: path, in: sink)
    }

    private func splitInterior(_ interior: PageNumber, inserting cell: [UInt8], at index: Int,
                               path: [(page: PageNumber, position: Int)], in sink: some PageSink) throws {
        var cells = try node(sink, interior) { try BTreeNode.copyCells($0) }
        let rightChild = try node(sink, interior) { BTreeNode.rightChild($0) }
        cells.insert(cell, at: index)
        // The middle cell moves up: its key separates, its child ends the left half.
        let middle = Self.splitIndex(cells, insertedAt: index, minimumRight: 2, edges: try edges(path, in: sink))
        let separator = try BTreeNode.key(ofCell: cells[middle], leaf: false)
        try splitNode(interior, left: cells[..<middle], right: cells[(middle + 1)...],
                      leftRightChild: BTreeNode.child(ofCell: cells[middle]), rightRightChild: rightChild,
                      separator: separator, type: .btreeInterior, path: path, in: sink)
    }

    /// Distributes `left` and `right` over the node and a new sibling (or, for the root,
    /// over two new children: invariant T1) and links them into the parent.
    private func splitNode(_ pageNumber: PageNumber, left: ArraySlice<[UInt8]>, right: ArraySlice<[UInt8]>,
                           leftRightChild: PageNumber, rightRightChild: PageNumber, separator: ArraySlice<UInt8>,
                           type: PageType, path: [(page: PageNumber, position: Int)], in sink: some PageSink) throws {
        let rightPage = try sink.allocatePage(type: type)
        try fill(rightPage, type: type, cells: right, rightChild: rightRightChild, in: sink)
        if pageNumber == root {
            let leftPage = try sink.allocatePage(type: type)
            try fill(leftPage, type: type, cells: left, rightChild: leftRightChild, in: sink)
            let rootCell = BTreeNode.interiorCell(key: separator, child: leftPage)
            try fill(root, type: .btreeInterior, cells: [rootCell][...], rightChild: rightPage, in: sink)
            return
        }
        try fill(pageNumber, type: type, cells: left, rightChild: leftRightChild, in: sink)
        try insertIntoParent(separator: separator, left: pageNumber, right: rightPage, path: path, in: sink)
    }

    private func fill(_ pageNumber: PageNumber, type: PageType, cells: ArraySlice<[UInt8]>,
                      rightChild: PageNumber, in sink: some PageSink) throws {
        try mutableNode(sink, pageNumber) { page in
            BTreeNode.initialize(page, type: type)
            try BTreeNode.rewrite(page, cells: cells, rightChild: rightChild)
        }
    }

    /// After `left` split into `left` and `right` at `separator`: the parent's pointer to
    /// `left` now points to `right`, and a new cell (separator → left) goes before it.
    private func insertIntoParent(separator: ArraySlice<UInt8>, left: PageNumber, right: PageNumber,
                                  path: [(page: PageNumber, position: Int)], in sink: some PageSink) throws {
        var path = path
        guard let (parent, position) = path.popLast() else {
            throw VireoError(.internalError, "split of a non-root page with no parent")
        }
        let cell = BTreeNode.interiorCell(key: separator, child: left)
        let fits = try mutableNode(sink, parent) { page in
            try BTreeNode.setChild(page, at: position, to: right)
            return try cell.withUnsafeBytes { try BTreeNode.insertCell(page, at: position, $0) }
        }
        if !fits { try splitInterior(parent, inserting: cell, at: position, path: path, in: sink) }
    }
}
