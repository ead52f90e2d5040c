extension BTree {
    /// Removes `key` and its value; returns false when the key was absent.
    @discardableResult
    public func remove(key: UnsafeRawBufferPointer, in sink: some PageSink) throws -> Bool {
        var path: [(page: PageNumber, position: Int)] = []
        let leaf = try descend(to: key, in: sink, path: &path)
        let (index, found) = try node(sink, leaf) { try BTreeNode.search($0, key) }
        guard found else { return false }
        forgetRightmostPath(in: sink)
        try mutableNode(sink, leaf) { page in
            try freeOverflow(page, index, sink)
            try BTreeNode.removeCell(page, at: index)
        }
        try rebalanceLeaf(leaf, path: path, in: sink)
        return true
    }

    @discardableResult
    public func remove(key: [UInt8], in sink: some PageSink) throws -> Bool {
        try key.withUnsafeBytes { try remove(key: $0, in: sink) }
    }

    /// After a removal: drops an empty leaf (invariant T3), or merges a leaf under a
    /// quarter full with a sibling when the two fit in one page.
    private func rebalanceLeaf(_ leaf: PageNumber, path: [(page: PageNumber, position: Int)], in sink: some PageSink) throws {
        guard let (parent, position) = path.last else { return }
        let (count, usedBytes) = try node(sink, leaf) { (BTreeNode.cellCount($0), BTreeNode.usedBytes($0)) }
        if count == 0 {
            try removeChild(at: position, of: parent, path: path.dropLast(), in: sink)
            try sink.freePage(leaf)
        } else if usedBytes < BTreeNode.usableBytes / 4 {
            try mergeWithSibling(leaf, at: position, of: parent, path: path.dropLast(), in: sink)
        }
    }

    private func mergeWithSibling(_ leaf: PageNumber, at position: Int, of parent: PageNumber,
                                  path: ArraySlice<(page: PageNumber, position: Int)>, in sink: some PageSink) throws {
        let parentCount = try node(sink, parent) { BTreeNode.cellCount($0) }
        // Merge the right one of the pair into the left one.
        let leftPosition = position < parentCount ? position : position - 1
        guard leftPosition >= 0 else { return }
        let left = try node(sink, parent) { try BTreeNode.child($0, leftPosition) }
        let right = try node(sink, parent) { try BTreeNode.child($0, leftPosition + 1) }
        let cells = try node(sink, left) { try BTreeNode.copyCells($0) } + node(sink, right) { try BTreeNode.copyCells($0) }
        guard BTreeNode.bytesNeeded(cells) <= BTreeNode.usableBytes else { return }
        try Self.allowCompactLeaves(in: sink)  // the merged leaf is written compact
        try mutableNode(sink, left) { try BTreeNode.rewrite($0, cells: cells[...], rightChild: 0) }
        try removeSeparator(leftPosition, of: parent, survivor: left, path: path, in: sink)
        try sink.freePage(right)
    }

    /// Unlinks the (empty) child at `position` of `parent`.
    private func removeChild(at position: Int, of parent: PageNumber,
                             path: ArraySlice<(page: PageNumber, position: Int)>, in sink: some PageSink) throws {
        let count = try node(sink, parent) { BTreeNode.cellCount($0) }
        if position < count {
            let next = try node(sink, parent) { try BTreeNode.child($0, position + 1) }
            try removeSeparator(position, of: parent, survivor: next, path: path, in: sink)
        } else {
            let previous = try node(sink, parent) { try BTreeNode.child($0, position - 1) }
            try removeSeparator(position - 1, of: parent, survivor: previous, path: path, in: sink)
        }
    }

    /// Removes the separator key `index` of `parent`; the children on both sides of it
    /// become one range served by `survivor`.
    private func removeSeparator(_ index: Int, of parent: PageNumber, survivor: PageNumber,
                                 path: ArraySlice<(page: PageNumber, position: Int)>, in sink: some PageSink) throws {
        let remaining = try mutableNode(sink, parent) { page in
            try BTreeNode.setChild(page, at: index + 1, to: survivor)
            try BTreeNode.removeCell(page, at: index)
            return BTreeNode.cellCount(UnsafeRawBufferPointer(page))
        }
        if remaining == 0 { try collapse(parent, path: path, in: sink) }
    }

    /// An interior node left with only its right child is replaced by that child; the
    /// root instead takes the child's contents (invariant T1).
    private func collapse(_ interior: PageNumber, path: ArraySlice<(page: PageNumber, position: Int)>,
                          in sink: some PageSink) throws {
        let only = try node(sink, interior) { BTreeNode.rightChild($0) }
        if let (grandparent, position) = path.last {
            try mutableNode(sink, grandparent) { try BTreeNode.setChild($0, at: position, to: only) }
            try sink.freePage(interior)
            return
        }
        let contents = try node(sink, only) { Array($0) }
        try sink.withMutablePage(interior) { page in
            contents.withUnsafeBytes { page.copyMemory(from: $0) }
        }
        try sink.freePage(only)
    }

    /// Frees every page of the tree, the root included (DROP TABLE / DROP INDEX).
    public func destroy(in sink: some PageSink) throws {
        forgetRightmostPath(in: sink)
        var stack: [(PageNumber, Int)] = [(root, 0)]
        while let (pageNumber, depth) = stack.popLast() {
            guard depth <= Self.depthMax else { throw VireoError.corrupt(sink.path, page: pageNumber, "tree too deep") }
            let children: [PageNumber] = try node(sink, pageNumber) { page in
                if BTreeNode.isLeaf(page) { return [] }
                return try (0...BTreeNode.cellCount(page)).map { try BTreeNode.child(page, $0) }
            }
            try mutableNode(sink, pageNumber) { page in
                guard BTreeNode.isLeaf(UnsafeRawBufferPointer(page)) else { return }
                for index in 0..<BTreeNode.cellCount(UnsafeRawBufferPointer(page)) { try freeOverflow(page, index, sink) }
            }
            stack.append(contentsOf: children.map { ($0, depth + 1) })
            try sink.freePage(pageNumber)
        }
    }
}
