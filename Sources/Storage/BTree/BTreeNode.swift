// B+tree node format — leaf and interior pages, after the common 24-byte page header:
//
//   offset  size  field
//   24      2     cell count
//   26      2     cell content start: lowest byte used by cells (cells grow down from
//                 the end of the page)
//   28      2     fragmented bytes: holes inside the cell area left by removed cells
//   30      1     node flags: bit 0 (leaves only) = compact leaf cells, below; other
//                 bits zero. Format version 2; a version-1 file has it zero everywhere.
//   31      1     reserved, zero
//   32      4     right child (interior pages): the subtree of keys >= the last key
//   36      4     reserved, zero
//   40      2×n   slot array: offsets of the n cells, in ascending key order
//
// Leaf cell, compact (flag set; every leaf a format-2 build writes):
//                key length varint · (value length << 1 | in overflow) varint · key ·
//                value bytes, or the first overflow page u32. 2 header bytes for a key
//                under 128 bytes and a value under 64.
// Leaf cell, legacy (flag clear; leaves of version-1 files not yet rewritten):
//                key length u16 · flags u8 (bit 0: value in overflow pages) ·
//                value length u32 · key · value bytes, or the first overflow page u32
// Interior cell: key length u16 · child page u32 · key
//
// Keys are opaque bytes here. A table's key is its row id (KeyCodec+RowID.swift): 8 bytes
// in the fixed form, 1 to 9 in the compact form of format version 3 (4 bytes for ids up
// to 2^24 - 1), so a compact table row's cell header and key take 2 + 4 bytes, not 2 + 8.
//
// A legacy leaf is read as it is and converted to compact cells (a compaction) by the
// first insert or overwrite into it; splits and merges write compact leaves. Removing a
// cell leaves the layout as it is. The first transaction that writes a compact leaf into
// a version-1 file raises the meta page's format version to 2 (BTree.allowCompactLeaves),
// so older builds refuse the file instead of misreading it. The WAL logs pages as bytes
// (images and byte-range deltas), whatever the layout.
//
// Invariants:
//   N1. 40 + 2×count <= content start <= page size; every cell lies inside
//       [content start, page size) and cells do not overlap.
//   N2. Keys in a node ascend strictly by unsigned byte order (memcmp, then length).
//   N3. In an interior node, child i holds keys k with key(i-1) <= k < key(i); the
//       right child holds keys >= the last key.
//   N4. A leaf cell is at most `maxCellBytes`, so any four cells fit in a page and a
//       split always succeeds.
//   N5. Only leaves carry the compact flag, and every cell of a leaf has its layout.

import Foundation

/// Offsets, accessors and cell surgery on one B+tree page.
enum BTreeNode {
    static let cellCountOffset = 24
    static let contentStartOffset = 26
    static let fragmentedOffset = 28
    static let nodeFlagsOffset = 30
    static let compactLeafFlag: UInt8 = 1
    static let rightChildOffset = 32
    static let slotArrayOffset = 40
    /// Header of a legacy leaf cell; the most a compact one takes with a 4-byte value
    /// length is 2 + 5, so this also bounds a cell's header for size checks (N4).
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
        if type == .btreeLeaf { page[nodeFlagsOffset] = compactLeafFlag }
    }

    static func isLeaf(_ page: UnsafeRawBufferPointer) -> Bool { PageLayout.type(page) == .btreeLeaf }
    /// Whether the node's cells are compact leaf cells (N5: only leaves have the flag).
    @inline(__always)
    static func isCompactLeaf(_ page: UnsafeRawBufferPointer) -> Bool { page[nodeFlagsOffset] & compactLeafFlag != 0 }
    static func cellCount(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: cellCountOffset) as UInt16) }
    static func contentStart(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: contentStartOffset) as UInt16) }
    static func fragmentedBytes(_ page: UnsafeRawBufferPointer) -> Int { Int(page.loadLE(at: fragmentedOffset) as UInt16) }
    static func rightChild(_ page: UnsafeRawBufferPointer) -> PageNumber { page.loadLE(at: rightChildOffset) }

    /// Offset of cell `index`, checked against invariant N1; the slot itself is checked to
    /// lie in the page, so that a wrong cell count cannot make a loop over the cells read
    /// past the page's end.
    @inline(__always)
    static func cellOffset(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> Int {
        guard index >= 0, slotArrayOffset + 2 * index + 2 <= page.count else {
            throw CorruptNode(detail: "the slot of cell \(index) lies outside the page")
        }
        let offset = Int(page.loadLE(at: slotArrayOffset + 2 * index) as UInt16)
        // A compact cell may be as short as its two header bytes.
        let headerMinimum = isCompactLeaf(page) ? 2 : interiorCellHeaderBytes
        guard offset >= slotArrayOffset, offset + headerMinimum <= page.count else {
            throw CorruptNode(detail: "cell \(index) offset \(offset) is outside the page")
        }
        return offset
    }

    /// The key of cell `index`.
    @inline(__always)
    static func key(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> UnsafeRawBufferPointer {
        let offset = try cellOffset(page, index)
        let keyLength: Int
        let start: Int
        if isCompactLeaf(page) {
            // cellOffset checked that both header bytes are in the page; most cells'
            // lengths take one byte each.
            if (page[offset] | page[offset + 1]) < 0x80 {
                keyLength = Int(page[offset])
                start = offset + 2
            } else {
                var position = offset
                keyLength = try readLength(page, &position, index)
                _ = try readLength(page, &position, index)
                start = position
            }
        } else {
            keyLength = Int(page.loadLE(at: offset) as UInt16)
            start = offset + (isLeaf(page) ? leafCellHeaderBytes : interiorCellHeaderBytes)
        }
        guard start + keyLength <= page.count else {
            throw CorruptNode(detail: "key of cell \(index) runs past the end of the page")
        }
        return UnsafeRawBufferPointer(rebasing: page[start..<(start + keyLength)])
    }

    /// A leaf cell's header, in either layout.
    struct LeafCell {
        var keyLength: Int
        /// The value's length, inline or in overflow pages.
        var valueLength: Int
        var isOverflow: Bool
        /// Offset of the key in the page.
        var keyStart: Int
        /// Offset of the value (or of the overflow page number) in the page.
        var valueStart: Int { keyStart + keyLength }
        /// Bytes the cell takes from its first byte at `offset`.
        func size(from offset: Int) -> Int { valueStart - offset + (isOverflow ? 4 : valueLength) }
    }

    /// The header of leaf cell `index`, checked to lie inside the page with its key and
    /// value (or overflow page number).
    @inline(__always)
    static func leafCell(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> LeafCell {
        let offset = try cellOffset(page, index)
        let cell: LeafCell
        if isCompactLeaf(page) {
            var position = offset
            let keyLength: Int
            let valueWord: Int
            if (page[offset] | page[offset + 1]) < 0x80 {
                keyLength = Int(page[offset])
                valueWord = Int(page[offset + 1])
                position += 2
            } else {
                keyLength = try readLength(page, &position, index)
                valueWord = try readLength(page, &position, index)
            }
            cell = LeafCell(keyLength: keyLength, valueLength: valueWord >> 1, isOverflow: valueWord & 1 != 0, keyStart: position)
        } else {
            guard offset + leafCellHeaderBytes <= page.count else {
                throw CorruptNode(detail: "cell \(index) header runs past the end of the page")
            }
            cell = LeafCell(keyLength: Int(page.loadLE(at: offset) as UInt16),
                            valueLength: Int(page.loadLE(at: offset + 3) as UInt32),
                            isOverflow: page[offset + 2] & overflowFlag != 0, keyStart: offset + leafCellHeaderBytes)
        }
        guard offset + cell.size(from: offset) <= page.count else {
            throw CorruptNode(detail: "cell \(index) runs past the end of the page")
        }
        return cell
    }

    /// A length in a compact leaf cell header (a varint of at most 33 bits), advancing
    /// `position` past it.
    @inline(__always)
    static func readLength(_ page: UnsafeRawBufferPointer, _ position: inout Int, _ index: Int) throws -> Int {
        if position < page.count, page[position] < 0x80 {
            position += 1
            return Int(page[position - 1])
        }
        return try readLongLength(page, &position, index)
    }

    private static func readLongLength(_ page: UnsafeRawBufferPointer, _ position: inout Int, _ index: Int) throws -> Int {
        guard let value = try? Varint.read(from: page, at: &position), value <= UInt64(UInt32.max) << 1 | 1 else {
            throw CorruptNode(detail: "cell \(index) has a malformed length")
        }
        return Int(value)
    }

    /// Appends a compact leaf cell's header.
    static func appendCompactHeader(keyLength: Int, valueLength: Int, isOverflow: Bool, to cell: inout [UInt8]) {
        Varint.append(UInt64(keyLength), to: &cell)
        Varint.append(UInt64(valueLength) << 1 | (isOverflow ? 1 : 0), to: &cell)
    }

    /// Stores `value` in LEB128 (as `Varint.append`) at `position`, advancing it.
    @inline(__always)
    static func storeVarint(_ value: UInt64, in bytes: UnsafeMutableRawBufferPointer, at position: inout Int) {
        var rest = value
        while rest >= 0x80 {
            bytes[position] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            position += 1
        }
        bytes[position] = UInt8(rest)
        position += 1
    }

    /// Bytes of a compact leaf cell's header.
    static func compactHeaderBytes(keyLength: Int, valueLength: Int) -> Int {
        Varint.size(of: UInt64(keyLength)) + Varint.size(of: UInt64(valueLength) << 1 | 1)
    }

    /// The child page of interior cell `index`, or the right child when `index == count`.
    static func child(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> PageNumber {
        if index == cellCount(page) { return rightChild(page) }
        let offset = try cellOffset(page, index)
        guard !isLeaf(page), offset + interiorCellHeaderBytes <= page.count else {
            throw CorruptNode(detail: "cell \(index) is not an interior cell inside the page")
        }
        return page.loadLE(at: offset + 2)
    }

    /// Byte size of cell `index`.
    static func cellSize(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> Int {
        let offset = try cellOffset(page, index)
        guard isLeaf(page) else {
            let size = interiorCellHeaderBytes + Int(page.loadLE(at: offset) as UInt16)
            guard offset + size <= page.count else {
                throw CorruptNode(detail: "cell \(index) runs past the end of the page")
            }
            return size
        }
        return try leafCell(page, index).size(from: offset)
    }

    /// Binary search (invariant N2): the index of `key` if present, else where it goes.
    /// What holds for the whole node is checked once, not per compared cell: that the slot
    /// array lies in the page (N1), and the cells' layout (a compact leaf's keys are read
    /// by `compactLeafKey`).
    @inline(__always)
    static func search(_ page: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
        let count = cellCount(page)
        guard slotArrayOffset + 2 * count <= page.count else {
            throw CorruptNode(detail: "the slots of \(count) cells run past the end of the page")
        }
        if isCompactLeaf(page) { return try search(count, key) { try compactLeafKey(page, $0) } }
        return try search(count, key) { try self.key(page, $0) }
    }

    @inline(__always)
    private static func search(_ count: Int, _ key: UnsafeRawBufferPointer,
                               keyAt: (Int) throws -> UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) >> 1
            let order = compareKeys(try keyAt(middle), key)
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// The key of cell `index` of a compact leaf whose slot array `search` has checked: the
    /// usual cell (both lengths in one byte) read with one bounds check; any other goes
    /// through `key`, which reads long lengths and names what is wrong.
    @inline(__always)
    private static func compactLeafKey(_ page: UnsafeRawBufferPointer, _ index: Int) throws -> UnsafeRawBufferPointer {
        let offset = Int(page.loadLE(at: slotArrayOffset &+ 2 &* index) as UInt16)
        guard offset >= slotArrayOffset, offset &+ 2 <= page.count, (page[offset] | page[offset &+ 1]) < 0x80 else {
            return try key(page, index)
        }
        let start = offset &+ 2
        let end = start &+ Int(page[offset])
        guard end <= page.count else { return try key(page, index) }
        return UnsafeRawBufferPointer(rebasing: page[start..<end])
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

/// Keys compared by `compareKeys` byte by byte instead of with memcmp.
let shortKeyBytesMax = 16

/// A node-level inconsistency; the tree turns it into a corruption error naming the page.
struct CorruptNode: Error {
    var detail: String
}

/// Unsigned byte order, then length: the order of keys in every tree. The result's sign
/// is the order; its size means nothing.
@inline(__always)
func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common <= shortKeyBytesMax {
        // Row-id keys (1 to 9 bytes, most differing by their second): a loop here costs less
        // than the call into memcmp, which was 4% of a primary-key join.
        var index = 0
        while index < common {
            let x = a[index], y = b[index]
            if x != y { return Int(x) - Int(y) }
            index += 1
        }
        return a.count - b.count
    }
    do {
        let order = memcmp(a.baseAddress!, b.baseAddress!, common)
        if order != 0 { return Int(order) }
    }
    return a.count - b.count
}
