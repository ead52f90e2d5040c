/// One end of a key range.
public struct KeyBound: Sendable {
    public var key: [UInt8]
    public var inclusive: Bool
    public init(_ key: [UInt8], inclusive: Bool = true) {
        self.key = key
        self.inclusive = inclusive
    }
}

extension BTree {
    /// Visits keys in `[lower, upper]` in ascending order (or descending, with
    /// `reverse`), calling `body` with each key and value, valid only during the call.
    /// `body` returns false to stop.
    public func scan(in source: some PageSource, from lower: KeyBound? = nil, to upper: KeyBound? = nil,
                     reverse: Bool = false,
                     _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var path: [(page: PageNumber, position: Int)] = []
        let start = reverse ? upper : lower
        var leaf = try start.map { bound in try bound.key.withUnsafeBytes { try descend(to: $0, in: source, path: &path) } }
            ?? descendToEdge(from: root, last: reverse, in: source, path: &path)
        var isFirstLeaf = true
        while true {
            let keepGoing = try node(source, leaf) { page in
                try visitLeaf(page, source: source, lower: lower, upper: upper, reverse: reverse,
                              startAtBound: isFirstLeaf, body)
            }
            guard keepGoing, let next = try nextLeaf(&path, reverse: reverse, in: source) else { return }
            leaf = next
            isFirstLeaf = false
        }
    }

    /// Visits the cells of one leaf inside the bounds; false when the scan is over.
    private func visitLeaf(_ page: UnsafeRawBufferPointer, source: some PageSource, lower: KeyBound?, upper: KeyBound?,
                           reverse: Bool, startAtBound: Bool,
                           _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        let count = BTreeNode.cellCount(page)
        var index = reverse ? count - 1 : 0
        if startAtBound, let bound = reverse ? upper : lower {
            index = try startIndex(page, bound, reverse: reverse)
        }
        let end = reverse ? lower : upper
        while index >= 0 && index < count {
            // One parse of the cell's header gives both its key and its value.
            let cell = try BTreeNode.leafCell(page, index)
            let key = UnsafeRawBufferPointer(rebasing: page[cell.keyStart..<cell.valueStart])
            if let end, !Self.isWithin(key, end, reverse: reverse) { return false }
            let keepGoing = try withLeafValue(page, cell, source) { try body(key, $0) }
            if !keepGoing { return false }
            index += reverse ? -1 : 1
        }
        return true
    }

    private func startIndex(_ page: UnsafeRawBufferPointer, _ bound: KeyBound, reverse: Bool) throws -> Int {
        let (index, found) = try bound.key.withUnsafeBytes { try BTreeNode.search(page, $0) }
        if reverse { return found && bound.inclusive ? index : index - 1 }
        return found && !bound.inclusive ? index + 1 : index
    }

    private static func isWithin(_ key: UnsafeRawBufferPointer, _ end: KeyBound, reverse: Bool) -> Bool {
        let order = end.key.withUnsafeBytes { compareKeys(key, $0) }
        if order == 0 { return end.inclusive }
        return reverse ? order > 0 : order < 0
    }

    /// Descends to the first (or last) leaf under `pageNumber`.
    private func descendToEdge(from pageNumber: PageNumber, last: Bool, in source: some PageSource,
                               path: inout [(page: PageNumber, position: Int)]) throws -> PageNumber {
        var current = pageNumber
        while true {
            let step: (Int, PageNumber)? = try node(source, current) { page in
                if BTreeNode.isLeaf(page) { return nil }
                let position = last ? BTreeNode.cellCount(page) : 0
                return (position, try BTreeNode.child(page, position))
            }
            guard let (position, child) = step else { return current }
            try readAhead(from: current, position: position, last: last, in: source)
            path.append((current, position))
            guard path.count <= Self.depthMax else {
                throw VireoError.corrupt(source.path, page: root, "tree deeper than \(Self.depthMax) levels (a cycle?)")
            }
            current = child
        }
    }

    static let readAheadPagesMax = 32

    /// Before a scan walks the children of an interior node, asks for the next ones in
    /// one batch (io_uring submits them together), so a cold scan does not wait page by page.
    private func readAhead(from interior: PageNumber, position: Int, last: Bool, in source: some PageSource) throws {
        let children: [PageNumber] = try node(source, interior) { page in
            let count = BTreeNode.cellCount(page)
            let positions = last ? Array(stride(from: position, through: max(0, position - Self.readAheadPagesMax), by: -1))
                                 : Array(position...min(count, position + Self.readAheadPagesMax))
            return try positions.map { try BTreeNode.child(page, $0) }
        }
        source.prefetch(children)
    }

    /// Moves `path` to the next leaf in scan order; nil after the last one.
    private func nextLeaf(_ path: inout [(page: PageNumber, position: Int)], reverse: Bool,
                          in source: some PageSource) throws -> PageNumber? {
        while let (parent, position) = path.popLast() {
            let count = try node(source, parent) { BTreeNode.cellCount($0) }
            let next = reverse ? position - 1 : position + 1
            guard next >= 0 && next <= count else { continue }
            path.append((parent, next))
            let child = try node(source, parent) { try BTreeNode.child($0, next) }
            return try descendToEdge(from: child, last: reverse, in: source, path: &path)
        }
        return nil
    }

    /// The largest key, or nil for an empty tree.
    public func lastKey(in source: some PageSource) throws -> [UInt8]? {
        var last: [UInt8]?
        try scan(in: source, reverse: true) { key, _ in
            last = Array(key)
            return false
        }
        return last
    }

    /// Number of keys (a full scan).
    public func count(in source: some PageSource) throws -> Int {
        var total = 0
        try scan(in: source) { _, _ in
            total += 1
            return true
        }
        return total
    }
}
