import Foundation

extension BTreeNode {
    /// Inserts `cell` as cell `index`, compacting first if only fragmented space would
    /// make room. Returns false, changing nothing, when the cell does not fit. A leaf
    /// must be compact already (`convertToCompact`): `cell` is a compact leaf cell.
    static func insertCell(_ page: UnsafeMutableRawBufferPointer, at index: Int, _ cell: UnsafeRawBufferPointer) throws -> Bool {
        guard let start = try reserveCell(page, at: index, sizeBytes: cell.count) else { return false }
        (page.baseAddress! + start).copyMemory(from: cell.baseAddress!, byteCount: cell.count)
        return true
    }

    /// Makes room for a cell of `sizeBytes` at `index` (its slot and its bytes, compacting
    /// the page if the gap is short) and returns where its bytes go, for the caller to
    /// write; nil, changing nothing, when it does not fit.
    static func reserveCell(_ page: UnsafeMutableRawBufferPointer, at index: Int, sizeBytes: Int) throws -> Int? {
        let view = UnsafeRawBufferPointer(page)
        precondition(!isLeaf(view) || isCompactLeaf(view), "a compact cell inserted into a legacy leaf")
        let needed = sizeBytes + 2
        if gapBytes(view) < needed {
            guard gapBytes(view) + fragmentedBytes(view) >= needed else { return nil }
            try compact(page)
        }
        let count = cellCount(view)
        let start = contentStart(view) - sizeBytes
        let slot = page.baseAddress! + slotArrayOffset + 2 * index
        memmove(slot + 2, slot, 2 * (count - index))
        page.storeLE(UInt16(start), at: slotArrayOffset + 2 * index)
        page.storeLE(UInt16(count + 1), at: cellCountOffset)
        page.storeLE(UInt16(start), at: contentStartOffset)
        return start
    }

    /// Overwrites leaf cell `index` with `cell` when both are the same size and the old
    /// one keeps no value in overflow pages (which would need freeing). Returns whether
    /// it did. The leaf must be compact, as for `insertCell`.
    static func overwriteCell(_ page: UnsafeMutableRawBufferPointer, at index: Int, _ cell: UnsafeRawBufferPointer) throws -> Bool {
        let view = UnsafeRawBufferPointer(page)
        precondition(isCompactLeaf(view), "a compact cell written into a legacy leaf")
        let offset = try cellOffset(view, index)
        let old = try leafCell(view, index)
        guard old.size(from: offset) == cell.count, !old.isOverflow else { return false }
        (page.baseAddress! + offset).copyMemory(from: cell.baseAddress!, byteCount: cell.count)
        return true
    }

    /// Removes cell `index`; its bytes become fragmented space.
    static func removeCell(_ page: UnsafeMutableRawBufferPointer, at index: Int) throws {
        let view = UnsafeRawBufferPointer(page)
        let count = cellCount(view)
        let size = try cellSize(view, index)
        let slot = page.baseAddress! + slotArrayOffset + 2 * index
        memmove(slot, slot + 2, 2 * (count - index - 1))
        page.storeLE(UInt16(count - 1), at: cellCountOffset)
        page.storeLE(UInt16(fragmentedBytes(view) + size), at: fragmentedOffset)
        if count == 1 { resetContent(page) }
    }

    /// Sets the child pointer at `position` (a cell's child, or the right child at `count`).
    static func setChild(_ page: UnsafeMutableRawBufferPointer, at position: Int, to child: PageNumber) throws {
        let view = UnsafeRawBufferPointer(page)
        if position == cellCount(view) {
            page.storeLE(child, at: rightChildOffset)
        } else {
            page.storeLE(child, at: try cellOffset(view, position) + 2)
        }
    }

    /// Rewrites the cell area without holes (a leaf in compact cells, whatever it had).
    static func compact(_ page: UnsafeMutableRawBufferPointer) throws {
        let cells = try copyCells(UnsafeRawBufferPointer(page))
        let rightChild = self.rightChild(UnsafeRawBufferPointer(page))
        try rewrite(page, cells: cells[...], rightChild: rightChild)
    }

    /// Copies of every cell, in order (for splits, merges and compaction); a legacy
    /// leaf's cells come out converted to compact cells, which are never larger.
    static func copyCells(_ page: UnsafeRawBufferPointer) throws -> [[UInt8]] {
        let isLegacyLeaf = isLeaf(page) && !isCompactLeaf(page)
        return try (0..<cellCount(page)).map { index in
            let offset = try cellOffset(page, index)
            guard isLegacyLeaf else { return Array(page[offset..<(offset + (try cellSize(page, index)))]) }
            let header = try leafCell(page, index)
            var cell = [UInt8]()
            cell.reserveCapacity(header.size(from: offset))
            appendCompactHeader(keyLength: header.keyLength, valueLength: header.valueLength, isOverflow: header.isOverflow, to: &cell)
            cell.append(contentsOf: page[header.keyStart..<(offset + header.size(from: offset))])
            return cell
        }
    }

    /// Converts a legacy leaf to compact cells (a compaction); a compact leaf or an
    /// interior node is left as it is. The caller has made sure the file's format
    /// version allows compact leaves (`BTree.allowCompactLeaves`).
    static func convertToCompact(_ page: UnsafeMutableRawBufferPointer) throws {
        let view = UnsafeRawBufferPointer(page)
        guard isLeaf(view), !isCompactLeaf(view) else { return }
        try compact(page)
    }

    /// Replaces the node's cells with `cells` (which must fit) and sets its right child.
    /// A leaf becomes compact: `cells` are compact leaf cells (as `copyCells` gives them).
    static func rewrite(_ page: UnsafeMutableRawBufferPointer, cells: ArraySlice<[UInt8]>, rightChild: PageNumber) throws {
        resetContent(page)
        page.storeLE(UInt16(0), at: cellCountOffset)
        page.storeLE(rightChild, at: rightChildOffset)
        if isLeaf(UnsafeRawBufferPointer(page)) { page[nodeFlagsOffset] |= compactLeafFlag }
        for (index, cell) in cells.enumerated() {
            let fits = try cell.withUnsafeBytes { try insertCell(page, at: index, $0) }
            precondition(fits, "rewrite of cells that do not fit in one page")
        }
    }

    private static func resetContent(_ page: UnsafeMutableRawBufferPointer) {
        page.storeLE(UInt16(page.count == 65536 ? 0 : page.count), at: contentStartOffset)
        page.storeLE(UInt16(0), at: fragmentedOffset)
    }

    /// Bytes that `cells` need in a node, slots included.
    static func bytesNeeded<C: Collection>(_ cells: C) -> Int where C.Element == [UInt8] {
        cells.reduce(0) { $0 + $1.count + 2 }
    }

    static var usableBytes: Int { StorageFormat.pageSizeBytes - slotArrayOffset }

    /// The key inside a copied cell (a compact cell for a leaf, as `copyCells` gives).
    static func key(ofCell cell: [UInt8], leaf: Bool) throws -> ArraySlice<UInt8> {
        guard leaf else {
            let keyLength = Int(cell[0]) | Int(cell[1]) << 8
            return cell[interiorCellHeaderBytes..<(interiorCellHeaderBytes + keyLength)]
        }
        return try cell.withUnsafeBytes { bytes in
            var position = 0
            let keyLength = try readLength(bytes, &position, 0)
            _ = try readLength(bytes, &position, 0)
            guard position + keyLength <= cell.count else { throw CorruptNode(detail: "copied cell's key runs past its end") }
            return cell[position..<(position + keyLength)]
        }
    }

    /// The child page inside a copied interior cell.
    static func child(ofCell cell: [UInt8]) -> PageNumber {
        cell.withUnsafeBytes { $0.loadLE(at: 2) }
    }

    /// An interior cell for `key` pointing at `child`.
    static func interiorCell<K: Collection>(key: K, child: PageNumber) -> [UInt8] where K.Element == UInt8 {
        var cell = [UInt8]()
        cell.reserveCapacity(interiorCellHeaderBytes + key.count)
        appendLE(UInt16(key.count), to: &cell)
        appendLE(child, to: &cell)
        cell.append(contentsOf: key)
        return cell
    }
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}
