// Page deltas — how the WAL logs a page it already holds an image of.
//
// The first time a log generation writes a page, it writes the whole image; after that,
// only the byte ranges that differ from the page's previous committed version. A commit
// that changes ten rows on ten pages then writes one frame of deltas instead of ten images.
//
// Record (packed into delta frames, see WriteAheadLog.swift):
//   0   4  page number
//   4   2  number of ranges
//   6   …  ranges: offset (2 bytes), length (2 bytes), then `length` new bytes
//
// Invariants:
//   D1. A delta is only written for a page whose previous committed version is in the
//       same log generation (an image or a delta before it), so recovery always has its
//       base and never reads the database file, whose page a crash during a checkpoint
//       may have torn (the reason PostgreSQL logs full pages after a checkpoint).
//   D2. Applying a delta to its base gives the new page exactly, checksum included (P1):
//       a delta applied to the wrong base fails the page's checksum at recovery.

import Foundation

/// Encodes and applies page deltas (see above).
enum PageDelta {
    static let recordHeaderBytes = 6
    static let rangeHeaderBytes = 4
    /// A delta larger than this is written as a whole image instead; it also bounds a
    /// record so that one always fits in a frame.
    static func maxBytes(pageSizeBytes: Int) -> Int { pageSizeBytes / 4 }
    /// Unchanged runs shorter than this are carried inside a range: a new range costs more.
    static let gapBytes = 8
    private static let blockBytes = 64
    private static let largeBlockBytes = 1024

    /// The delta turning `old` into `new` (same size), or nil when it is too large to pay.
    static func encode(pageNumber: PageNumber, from old: UnsafeRawBufferPointer, to new: UnsafeRawBufferPointer) -> [UInt8]? {
        precondition(old.count == new.count && old.count % 8 == 0 && old.count <= Int(UInt16.max), "pages of one size, in words")
        let ranges = changedRanges(old, new)
        let size = recordHeaderBytes + ranges.reduce(0) { $0 + rangeHeaderBytes + $1.count }
        guard size <= maxBytes(pageSizeBytes: new.count) else { return nil }
        var record = [UInt8]()
        record.reserveCapacity(size)
        appendLE(pageNumber, to: &record)
        appendLE(UInt16(ranges.count), to: &record)
        for range in ranges {
            appendLE(UInt16(range.lowerBound), to: &record)
            appendLE(UInt16(range.count), to: &record)
            record.append(contentsOf: new[range])
        }
        return record
    }

    /// Byte ranges, in 8-byte words, where `old` and `new` differ; gaps under `gapBytes` merged.
    /// Equal 1 KiB, then 64-byte blocks are skipped with memcmp: most of a page is unchanged.
    private static func changedRanges(_ old: UnsafeRawBufferPointer, _ new: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var offset = 0
        while offset < new.count {
            if offset % largeBlockBytes == 0, offset + largeBlockBytes <= new.count,
               memcmp(old.baseAddress! + offset, new.baseAddress! + offset, largeBlockBytes) == 0 {
                offset += largeBlockBytes
                continue
            }
            if offset % blockBytes == 0, offset + blockBytes <= new.count,
               memcmp(old.baseAddress! + offset, new.baseAddress! + offset, blockBytes) == 0 {
                offset += blockBytes
                continue
            }
            if old.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == new.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                offset += 8
                continue
            }
            let start = offset
            offset += 8
            while offset < new.count,
                  old.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != new.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                offset += 8
            }
            if let last = ranges.last, start - last.upperBound < gapBytes {
                ranges[ranges.count - 1] = last.lowerBound..<offset
            } else {
                ranges.append(start..<offset)
            }
        }
        return ranges
    }

    /// The page number and total size of the record at the start of `bytes`, or nil when
    /// it does not parse within them.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> (pageNumber: PageNumber, byteCount: Int)? {
        guard bytes.count >= recordHeaderBytes else { return nil }
        let rangeCount = Int(bytes.loadLE(at: 4) as UInt16)
        var offset = recordHeaderBytes
        for _ in 0..<rangeCount {
            guard offset + rangeHeaderBytes <= bytes.count else { return nil }
            offset += rangeHeaderBytes + Int(bytes.loadLE(at: offset + 2) as UInt16)
            guard offset <= bytes.count else { return nil }
        }
        return (bytes.loadLE(at: 0), offset)
    }

    /// Applies the record `record` (whole, as `parseHeader` delimited it) to `page`.
    static func apply(_ record: UnsafeRawBufferPointer, to page: UnsafeMutableRawBufferPointer, file: String) throws {
        let rangeCount = Int(record.loadLE(at: 4) as UInt16)
        var offset = recordHeaderBytes
        for _ in 0..<rangeCount {
            let start = Int(record.loadLE(at: offset) as UInt16)
            let length = Int(record.loadLE(at: offset + 2) as UInt16)
            guard start + length <= page.count else {
                throw VireoError.corrupt(file, "WAL delta for page \(record.loadLE(at: 0) as UInt32) writes past the page end")
            }
            offset += rangeHeaderBytes
            (page.baseAddress! + start).copyMemory(from: record.baseAddress! + offset, byteCount: length)
            offset += length
        }
    }
}
