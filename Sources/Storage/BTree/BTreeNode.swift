// B+tree node format — leaf and interior pages, after the common 24-byte page header:
//
//   offset  size  field
//   24      2     cell count
//   26      2     cell content start: lowest byte used by cells (cells grow down from
//                 the end of the page)
//   28      2     fragmented bytes: holes inside the cell area left by removed cells
//   30      2     reserved, zero
//   32      4     right child (interior pages): the subtree of keys >= the last key
//   36      4     reserved, zero
//   40      2×n   slot array: offsets of the n cells, in ascending key order
//
// Leaf cell:     key length u16 · flags u8 (bit 0: value in overflow pages) ·
//                value length u32 · key · value bytes, or the first overflow page u32
// Interior cell: key length u16 · child page u32 · key
//
// Invariants:
//   N1. 40 + 2×count <= content start <= page size; every cell lies inside
//       [content start, page size) and cells do not overlap.
//   N2. Keys in a node ascend strictly by unsigned byte order (memcmp, then length).
//   N3. In an interior node, child i holds keys k with key(i-1) <= k < key(i); the
//       right child holds keys >= the last key.
//   N4. A leaf cell is at most `maxCellBytes`, so any four cells fit in a page and a
//       split always succeeds.

import Foundation

/// Offsets, accessors and cell surgery on one B+tree page.
enum BTreeNode {
    static let cellCountOffset = 24
    static let contentStartOffset = 26
    static let fragmentedOffset = 28
    static let rightChildOffset = 32
    static let slotArrayOffset = 40
    static let leafCellHeaderBytes = 7
    static let interiorCellHeaderBytes = 6
    static let overflowFlag: UInt8 = 1
    /// Largest key, checked where keys enter the tree.
    public static let keyBytesMax = 1024
    /// Largest cell, so that four cells and their slots fit in a page (invariant N4).
    static let maxCellBytes = (StorageFormat.pageSizeBytes - slotArrayOffset) / 4 - 2

    static func initialize(_ page: UnsafeMutableRawBufferPointer, type: PageType) {
        PageLayout.initialize(page, type: type)
        page.storeLE(UInt16(page.count == 65536 ? 0 : page.count), at: contentStartOffset)
    }

    static func isLeaf(_ page: UnsafeRawBufferPointer) -> Bool { PageLayout.type(page) == .btreeLeaf }
    static func cellCount(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: cellCountOffset) as UInt16) }
    static func contentStart(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: contentStartOffset) as UInt16) }
    static func fragmentedBytes(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: fragmentedOffset) as UInt16) }
    static func rightChild(_ page: UnsafeRawBufferPointer) -> PageNumber { page.loadLE(at: rightChildOffset) }

    /// Offset of cell `index`, checked against invariant N1.
    @inline(__always)
    static func cellOffset(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> Int {
        let offset = Int(page.loadLE(at: slotArrayOffset + 2 * index) as UInt16)
        guard offset >= slotArrayOffset, offset + interiorCellHeaderBytes <= page.count else {
            throw CorruptNode(detail: "cell \(index) offset \(offset) is outside the page")
        }
        return offset
    }

    /// The key of cell `index`.
    @inline(__always)
    static func key(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> UnsafeRawBufferPointer {
        let offset = try cellOffset(page, index)
        let keyLength = Int(page.loadLE(at: offset) as UInt16)
        let start = offset + (isLeaf(page) ? leafCellHeaderBytes : interiorCellHeaderBytes)
        guard start + keyLength <= page.count else {
            throw CorruptNode(detail: "key of cell \(index) runs past the end of the page")
        }
        return UnsafeRawBufferPointer(rebasing: page[start..<(start + keyLength)])
    }

    /// The child page of interior cell `index`, or the right child when `index == count`.
    static func child(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> PageNumber {
        if index == cellCount(page) { return rightChild(page) }
        return page.loadLE(at: try cellOffset(page, index) + 2)
    }

    /// Byte size of cell `index`.
    static func cellSize(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> Int {
        let offset = try cellOffset(page, index)
        let keyLength = Int(page.loadLE(at: offset) as UInt16)
        guard isLeaf(page) else { return interiorCellHeaderBytes + keyLength }
        let isOverflow = page[offset + 2] & overflowFlag != 0
        let valueLength = Int(page.loadLE(at: offset + 3) as UInt32)
        let size = leafCellHeaderBytes + keyLength + (isOverflow ? 4 : valueLength)
        guard offset + size <= page.count else {
            throw CorruptNode(detail: "cell \(index) runs past the end of the page")
        }
        return size
    }

    /// Binary search (invariant N2): the index of `key` if present, else where it goes.
    @inline(__always)
    static func search(_ page: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
        var low = 0
        var high = cellCount(page)
        while low < high {
            let middle = (low + high) >> 1
            let order = compareKeys(try self.key(page, middle), key)
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// For an interior node: which child position holds `key` (invariant N3).
    static func childPosition(_ page: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer) throws -> Int {
        let (index, found) = try search(page, key)
        return found ? index + 1 : index
    }

    /// Free bytes between the slot array and the cell area.
    static func gapBytes(_ page: UnsafeRawBufferPointer) -> Int {
        contentStart(page) - slotArrayOffset - 2 * cellCount(page)
    }

    /// Bytes in use by slots and cells.
    static func usedBytes(_ page: UnsafeRawBufferPointer) -> Int {
        page.count - slotArrayOffset - gapBytes(page) - fragmentedBytes(page)
    }
}

/// A node-level inconsistency; the tree turns it into a corruption error naming the page.
struct CorruptNode: Error {
    var detail: String
}

/// Unsigned byte order, then length: the order of keys in every tree.
@inline(__always)
func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0 {
        let order = memcmp(a.baseAddress!, b.baseAddress!, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}
