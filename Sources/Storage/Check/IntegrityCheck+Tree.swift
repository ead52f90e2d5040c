extension IntegrityChecker {
    /// Checks a whole tree; returns its number of keys, or nil when it is damaged.
    mutating func checkTree(_ tree: BTree, name: String) -> Int? {
        let problemsBefore = report.problems.count
        var keys = 0
        do {
            try checkNode(tree.root, tree: tree, name: name, lower: nil, upper: nil, depth: 0,
                          keys: &keys)
        } catch {
            problem("\(name): \(error)")
        }
        return report.problems.count == problemsBefore ? keys : nil
    }

    /// Checks one node and its subtree: node invariants N1–N3 with the key bounds its
    /// parent implies, depth (T2), no empty non-root node (T3), overflow chains.
    private mutating func checkNode(_ page: PageNumber, tree: BTree, name: String, lower: [UInt8]?, upper: [UInt8]?,
                                    depth: Int, keys: inout Int) throws {
        guard depth <= BTree.depthMax else { return problem("\(name): deeper than \(BTree.depthMax) levels at page \(page)") }
        guard claim(page, by: name) else { return }
        let node = try tree.node(pages, page) { try NodeSummary(page: $0, pageNumber: page, tree: tree, source: pages) }
        for text in node.problems { problem("\(name), page \(page): \(text)") }
        if page != tree.root && node.keys.isEmpty && node.isLeaf { problem("\(name), page \(page): empty non-root leaf") }
        if let first = node.keys.first, let lower, compare(first, lower) < 0 { problem("\(name), page \(page): key below its parent's bound") }
        if let last = node.keys.last, let upper, compare(last, upper) >= 0 { problem("\(name), page \(page): key above its parent's bound") }
        if node.isLeaf {
            keys += node.keys.count
            for (first, length) in node.overflows { checkOverflow(first, length: length, name: name) }
            return
        }
        for (position, child) in node.children.enumerated() {
            let childLower = position == 0 ? lower : node.keys[position - 1]
            let childUpper = position < node.keys.count ? node.keys[position] : upper
            try checkNode(child, tree: tree, name: name, lower: childLower, upper: childUpper, depth: depth + 1,
                          keys: &keys)
        }
    }

    private mutating func checkOverflow(_ first: PageNumber, length: Int, name: String) {
        do {
            try Overflow.walk(first: first, lengthBytes: length, in: pages) { page, _ in _ = claim(page, by: "\(name) (overflow)") }
        } catch {
            problem("\(name): \(error)")
        }
    }

    private func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in compareKeys(a, b) } }
    }
}

/// The facts of one node that the checker needs, gathered while the page is pinned.
struct NodeSummary {
    var isLeaf: Bool
    var keys: [[UInt8]] = []
    var children: [PageNumber] = []
    var overflows: [(PageNumber, Int)] = []
    var problems: [String] = []

    init(page: UnsafeRawBufferPointer, pageNumber: PageNumber, tree: BTree, source: some PageSource) throws {
        isLeaf = BTreeNode.isLeaf(page)
        let flags = page[BTreeNode.nodeFlagsOffset]
        if flags & ~BTreeNode.compactLeafFlag != 0 || (!isLeaf && flags != 0) {
            problems.append("unknown node flags \(flags)")  // N5
            return
        }
        let count = BTreeNode.cellCount(page)
        let contentStart = BTreeNode.contentStart(page)
        guard BTreeNode.slotArrayOffset + 2 * count <= contentStart, contentStart <= page.count else {
            problems.append("slot array (\(count) cells) overlaps the cell area at \(contentStart)")
            return
        }
        for index in 0..<count {
            let offset = try BTreeNode.cellOffset(page, index)
            let size = try BTreeNode.cellSize(page, index)
            if offset < contentStart || offset + size > page.count { problems.append("cell \(index) lies outside the cell area") }
            let key = Array(try BTreeNode.key(page, index))
            if let previous = keys.last, compareKeys(previous.withUnsafeBytes { $0 }, key.withUnsafeBytes { $0 }) >= 0 {
                problems.append("keys out of order at cell \(index)")
            }
            keys.append(key)
            if isLeaf, case let cell = try BTreeNode.leafCell(page, index), cell.isOverflow {
                overflows.append((page.loadLE(at: cell.valueStart), cell.valueLength))
            }
        }
        if !isLeaf { children = try (0...count).map { try BTreeNode.child(page, $0) } }
    }
}
