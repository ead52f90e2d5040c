// B+tree over pages: keys are byte strings in memcmp order (see BTreeNode for the page
// format). Row tables key by row id (KeyCodec+RowID.swift); secondary indexes by encoded values.
// Values larger than a cell may hold live in overflow chains (BTree+Overflow).
//
// Invariants:
//   T1. The root page number never changes: a root split moves the root's contents
//       into two new children, and a root left with one child takes that child's
//       contents, so the catalog can name a tree by its root forever.
//   T2. Depth never exceeds `depthMax`. Leaves may sit at different depths: an interior
//       node left with one child is replaced by that child, and search does not need
//       equal depths.
//   T3. No page other than the root is empty: an emptied page is removed from its
//       parent and returned to the free list.

/// A B+tree identified by its root page.
public struct BTree: Sendable, Hashable {
    /// The root page (invariant T1).
    public let root: PageNumber
    static let depthMax = 32

    public init(root: PageNumber) { self.root = root }

    /// Creates an empty tree (a single leaf) inside `transaction`.
    public static func create(in transaction: some PageSink) throws -> BTree {
        try allowCompactLeaves(in: transaction)
        let root = try transaction.allocatePage(type: .btreeLeaf)
        try transaction.withMutablePage(root) { BTreeNode.initialize($0, type: .btreeLeaf) }
        return BTree(root: root)
    }

    /// Raises the file's format version to the one with compact leaf cells (2) when it is
    /// lower, in the transaction about to write a compact leaf: older builds then refuse
    /// the file (MetaPage.validate) instead of misreading its leaves. One read of the
    /// meta page when the version is already 2.
    static func allowCompactLeaves(in sink: some PageSink) throws {
        try MetaPage.raiseVersion(to: StorageFormat.compactLeavesVersion, in: sink)
    }

    /// Converts `leaf` to compact cells if it still has legacy ones, raising the format
    /// version first; the cells keep their order, so indexes into the leaf stay valid.
    func convertLeafToCompact(_ leaf: PageNumber, in sink: some PageSink) throws {
        try Self.allowCompactLeaves(in: sink)
        try mutableNode(sink, leaf) { try BTreeNode.convertToCompact($0) }
    }

    /// Runs `body` on a node, turning node-level inconsistencies into corruption errors.
    func node<R>(_ source: some PageSource, _ pageNumber: PageNumber,
                 _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try source.withPage(pageNumber) { page in
            let type = PageLayout.type(page)
            guard type == .btreeLeaf || type == .btreeInterior else {
                throw VireoError.corrupt(source.path, page: pageNumber, "expected a B+tree page, found type \(page[PageLayout.typeOffset])")
            }
            do { return try body(page) } catch let corrupt as CorruptNode {
                throw VireoError.corrupt(source.path, page: pageNumber, corrupt.detail)
            }
        }
    }

    /// Mutable access to a node, with the same error mapping.
    func mutableNode<R>(_ sink: some PageSink, _ pageNumber: PageNumber,
                        _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        try sink.withMutablePage(pageNumber) { page in
            do { return try body(page) } catch let corrupt as CorruptNode {
                throw VireoError.corrupt(sink.path, page: pageNumber, corrupt.detail)
            }
        }
    }

    /// Walks from the root to the leaf where `key` belongs, recording for every interior
    /// node the child position taken.
    func descend(to key: UnsafeRawBufferPointer, in source: some PageSource,
                 path: inout [(page: PageNumber, position: Int)]) throws -> PageNumber {
        try descend(to: key, in: source) { page, position in path.append((page, position)) }
    }

    /// The leaf where `key` belongs; `step` sees each interior page passed and the child
    /// position taken. A lookup that needs no path passes a no-op and allocates nothing.
    func descend(to key: UnsafeRawBufferPointer, in source: some PageSource,
                 step: (PageNumber, Int) -> Void) throws -> PageNumber {
        var pageNumber = root
        var depth = 0
        while true {
            let next: (Int, PageNumber)? = try node(source, pageNumber) { page in
                if BTreeNode.isLeaf(page) { return nil }
                let position = try BTreeNode.childPosition(page, key)
                return (position, try BTreeNode.child(page, position))
            }
            guard let (position, child) = next else { return pageNumber }
            step(pageNumber, position)
            depth += 1
            guard depth <= Self.depthMax else {
                throw VireoError.corrupt(source.path, page: root, "tree deeper than \(Self.depthMax) levels (a cycle?)")
            }
            pageNumber = child
        }
    }

    /// Calls `body` with the value stored under `key`; returns nil when absent. Each page
    /// on the way down is pinned once: the leaf is searched in the visit that finds it is a
    /// leaf (descending first and then visiting the leaf again pinned it twice, and a pin
    /// and unpin each take the buffer pool's lock).
    public func withValue<R>(forKey key: UnsafeRawBufferPointer, in source: some PageSource,
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var pageNumber = root
        var depth = 0
        while true {
            let step: LookupStep<R> = try node(source, pageNumber) { page in
                guard BTreeNode.isLeaf(page) else {
                    return .child(try BTreeNode.child(page, try BTreeNode.childPosition(page, key)))
                }
                let (index, found) = try BTreeNode.search(page, key)
                return .leaf(found ? try withLeafValue(page, index, source, body) : nil)
            }
            switch step {
            case .leaf(let result): return result
            case .child(let child): pageNumber = child
            }
            depth += 1
            guard depth <= Self.depthMax else {
                throw VireoError.corrupt(source.path, page: root, "tree deeper than \(Self.depthMax) levels (a cycle?)")
            }
        }
    }

    /// What one page of a lookup gave: the child to visit next, or the leaf's answer.
    private enum LookupStep<R> {
        case child(PageNumber)
        case leaf(R?)
    }

    /// The value stored under `key`, copied; nil when absent.
    public func value(forKey key: [UInt8], in source: some PageSource) throws -> [UInt8]? {
        try key.withUnsafeBytes { key in try withValue(forKey: key, in: source) { Array($0) } }
    }

    /// Calls `body` with the value of leaf cell `index`, reading overflow pages if needed.
    func withLeafValue<R>(_ page: UnsafeRawBufferPointer, _ index: Int, _ source: some PageSource,
                          _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withLeafValue(page, try BTreeNode.leafCell(page, index), source, body)
    }

    /// Calls `body` with the value of a leaf cell whose header the caller has read.
    @inline(__always)
    func withLeafValue<R>(_ page: UnsafeRawBufferPointer, _ cell: BTreeNode.LeafCell, _ source: some PageSource,
                          _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        // leafCell checked that the value (or the overflow page number) lies in the page.
        let start = cell.valueStart
        if !cell.isOverflow {
            return try body(UnsafeRawBufferPointer(rebasing: page[start..<(start + cell.valueLength)]))
        }
        let bytes = try Overflow.read(first: page.loadLE(at: start), lengthBytes: cell.valueLength, in: source)
        return try bytes.withUnsafeBytes(body)
    }
}
