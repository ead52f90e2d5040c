// Page format — every page of the database file starts with the same 24-byte header:
//
//   offset  size  field
//   0       4     CRC32C of bytes 4 ..< pageSize (little-endian)
//   4       1     page type (PageType raw value)
//   5       3     reserved, zero
//   8       4     page number: the page's own index in the file, so that a page written
//                 to the wrong place is detected as corruption
//   12      4     reserved, zero
//   16      8     LSN: the commit sequence number of the transaction that last wrote it
//   24      ...   body, by type
//
// Invariants:
//   P1. A page on disk or in the buffer pool has a valid checksum and its own number.
//   P2. A page whose checksum or number does not match is reported as corruption,
//       naming the file and page; its bytes are never returned as data.
//   P3. The checksum is computed once, when a transaction commits its pages.

import CVireoSupport

/// Index of a page in the database file. Page 0 is the meta page.
public typealias PageNumber = UInt32

/// What a page holds.
public enum PageType: UInt8, Sendable {
    case meta = 1
    case btreeLeaf = 2
    case btreeInterior = 3
    case overflow = 4
    case free = 5
}

/// Byte layout of the common page header, and helpers over raw page memory.
enum PageLayout {
    static let checksumOffset = 0
    static let typeOffset = 4
    static let pageNumberOffset = 8
    static let lsnOffset = 16
    static let headerBytes = 24

    static func checksum(_ page: UnsafeRawBufferPointer) -> UInt32 {
        vireo_crc32c(0, page.baseAddress! + 4, page.count - 4)
    }

    /// Stamps type-independent header fields and the checksum (invariant P3).
    static func seal(_ page: UnsafeMutableRawBufferPointer, pageNumber: PageNumber, lsn: UInt64) {
        page.storeLE(pageNumber, at: pageNumberOffset)
        page.storeLE(lsn, at: lsnOffset)
        page.storeLE(checksum(UnsafeRawBufferPointer(page)), at: checksumOffset)
    }

    /// Checks invariant P1 for a page read from `file`.
    static func verify(_ page: UnsafeRawBufferPointer, pageNumber: PageNumber, file: String) throws {
        let stored: UInt32 = page.loadLE(at: checksumOffset)
        if stored == 0 && page.allSatisfy({ $0 == 0 }) {
            throw VireoError.corrupt(file, page: pageNumber, "page was never written (all zeros)")
        }
        guard stored == checksum(page) else {
            throw VireoError.corrupt(file, page: pageNumber, "checksum mismatch")
        }
        let number: UInt32 = page.loadLE(at: pageNumberOffset)
        guard number == pageNumber else {
            throw VireoError.corrupt(file, page: pageNumber, "page claims to be page \(number)")
        }
        guard PageType(rawValue: page[typeOffset]) != nil else {
            throw VireoError.corrupt(file, page: pageNumber, "unknown page type \(page[typeOffset])")
        }
    }

    static func type(_ page: UnsafeRawBufferPointer) -> PageType? {
        PageType(rawValue: page[typeOffset])
    }

    /// Clears `page` and writes a fresh header of `type`.
    static func initialize(_ page: UnsafeMutableRawBufferPointer, type: PageType) {
        page.initializeMemory(as: UInt8.self, repeating: 0)
        page[typeOffset] = type.rawValue
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a little-endian integer at a byte offset (no alignment needed).
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Stores a little-endian integer at a byte offset (no alignment needed).
    @inline(__always)
    func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
