// Posting block: up to 128 postings of one lexeme in a gin index of format 3, the value of
// the B+tree entry keyed `(text lexeme) ++ firstRowID` (InvertedIndex.swift).
//
// Layout (LEB128 varints, then a CRC32C):
//
//   field                    bytes    meaning
//   count                    varint   postings in the block, 1...postingCountMax
//   lastRowID − firstRowID   varint   the last posting's row, relative to the key's
//   termFrequencyMax         varint   the largest term frequency in the block
//   documentLengthMin        varint   the shortest document in the block
//   deltas                   varints  count − 1 gaps between consecutive row ids (each ≥ 1)
//   termFrequencies          varints  count, each ≥ 1
//   documentLengths          varints  count, each ≥ its term frequency
//   checksum                 4        CRC32C of every byte before it, little-endian
//
// The four header fields come first so that block-max WAND reads a block's bound (from
// termFrequencyMax and documentLengthMin) and its row range without decoding its postings.
//
// Invariants a decoder checks (a violation is a corruption error, never a trap):
//   B1. 1 ≤ count ≤ postingCountMax; the deltas add up to lastRowID − firstRowID.
//   B2. termFrequencyMax and documentLengthMin are exactly the block's largest frequency and
//       smallest length (each write re-encodes the whole block).
//   B3. The checksum matches and no byte follows it.

import CVireoSupport

/// A decoded block of postings, in row order.
public struct PostingBlock: Equatable, Sendable {
    /// The most postings a block holds; an insert into a full block splits it.
    public static let postingCountMax = 128
    static let checksumSizeBytes = 4

    public var rowIDs: [Int64]
    public var termFrequencies: [Int]
    public var documentLengths: [Int]

    public init(rowIDs: [Int64] = [], termFrequencies: [Int] = [], documentLengths: [Int] = []) {
        self.rowIDs = rowIDs
        self.termFrequencies = termFrequencies
        self.documentLengths = documentLengths
    }

    public var count: Int { rowIDs.count }

    /// The posting at `position`.
    public subscript(position: Int) -> InvertedPosting {
        InvertedPosting(rowID: rowIDs[position], termFrequency: termFrequencies[position], documentLength: documentLengths[position])
    }

    /// The position of the first posting whose row is `rowID` or later (`count` if none).
    public func position(atOrAfter rowID: Int64) -> Int {
        var low = 0, high = rowIDs.count
        while low < high {
            let middle = (low + high) / 2
            if rowIDs[middle] < rowID { low = middle + 1 } else { high = middle }
        }
        return low
    }

    mutating func insert(_ posting: InvertedPosting, at position: Int) {
        rowIDs.insert(posting.rowID, at: position)
        termFrequencies.insert(posting.termFrequency, at: position)
        documentLengths.insert(posting.documentLength, at: position)
    }

    public mutating func append(_ posting: InvertedPosting) { insert(posting, at: rowIDs.count) }

    mutating func remove(at position: Int) {
        rowIDs.remove(at: position)
        termFrequencies.remove(at: position)
        documentLengths.remove(at: position)
    }

    /// Splits off the postings from `position` on into a block of their own.
    mutating func split(at position: Int) -> PostingBlock {
        let tail = PostingBlock(rowIDs: Array(rowIDs[position...]), termFrequencies: Array(termFrequencies[position...]),
                                documentLengths: Array(documentLengths[position...]))
        rowIDs.removeSubrange(position...)
        termFrequencies.removeSubrange(position...)
        documentLengths.removeSubrange(position...)
        return tail
    }

    /// The block's bytes (its first row id goes in the key). The block must not be empty.
    public func encoded() -> [UInt8] {
        precondition(!rowIDs.isEmpty && rowIDs.count <= Self.postingCountMax, "posting block of \(rowIDs.count) postings")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * rowIDs.count + 12)
        Varint.append(UInt64(rowIDs.count), to: &bytes)
        Varint.append(UInt64(bitPattern: rowIDs[rowIDs.count - 1] &- rowIDs[0]), to: &bytes)
        Varint.append(UInt64(termFrequencies.max() ?? 1), to: &bytes)
        Varint.append(UInt64(documentLengths.min() ?? 1), to: &bytes)
        for position in 1..<rowIDs.count { Varint.append(UInt64(bitPattern: rowIDs[position] &- rowIDs[position - 1]), to: &bytes) }
        for frequency in termFrequencies { Varint.append(UInt64(frequency), to: &bytes) }
        for length in documentLengths { Varint.append(UInt64(length), to: &bytes) }
        return Self.sealed(bytes)
    }

    /// `body` followed by its CRC32C (B3).
    static func sealed(_ body: [UInt8]) -> [UInt8] {
        let checksum = body.withUnsafeBytes { vireo_crc32c(0, $0.baseAddress!, $0.count) }
        var bytes = body
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
        return bytes
    }
}

/// What a block's header says: its row range, size and bounds (B1, B2).
public struct PostingBlockSummary: Equatable, Sendable {
    public var firstRowID: Int64
    public var lastRowID: Int64
    public var count: Int
    public var termFrequencyMax: Int
    public var documentLengthMin: Int

    public init(firstRowID: Int64, lastRowID: Int64, count: Int, termFrequencyMax: Int, documentLengthMin: Int) {
        self.firstRowID = firstRowID
        self.lastRowID = lastRowID
        self.count = count
        self.termFrequencyMax = termFrequencyMax
        self.documentLengthMin = documentLengthMin
    }

    /// Reads the header of the block `bytes` whose key holds `firstRowID`; `offset` ends past it.
    public static func read(_ bytes: UnsafeRawBufferPointer, firstRowID: Int64, offset: inout Int) throws -> PostingBlockSummary {
        let count = try Varint.read(from: bytes, at: &offset)
        guard count >= 1, count <= PostingBlock.postingCountMax else { throw PostingBlock.corrupt("holds \(count) postings") }
        let span = try Varint.read(from: bytes, at: &offset)
        let (last, overflow) = firstRowID.addingReportingOverflow(Int64(bitPattern: span))
        guard span <= UInt64(Int64.max), !overflow else { throw PostingBlock.corrupt("row range out of bounds") }
        let frequencyMax = try PostingBlock.readCount(bytes, &offset)
        let lengthMin = try PostingBlock.readCount(bytes, &offset)
        return PostingBlockSummary(firstRowID: firstRowID, lastRowID: last, count: Int(count),
                                   termFrequencyMax: frequencyMax, documentLengthMin: lengthMin)
    }
}

extension PostingBlock {
    /// Decodes the block `bytes` whose key holds `firstRowID`, checking B1–B3.
    public static func decode(_ bytes: UnsafeRawBufferPointer, firstRowID: Int64) throws -> PostingBlock {
        try verifyChecksum(bytes)
        let body = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - checksumSizeBytes)])
        var offset = 0
        let summary = try PostingBlockSummary.read(body, firstRowID: firstRowID, offset: &offset)
        var block = PostingBlock()
        block.rowIDs.reserveCapacity(summary.count)
        block.rowIDs.append(firstRowID)
        var rowID = firstRowID
        for _ in 1..<summary.count {
            let delta = try Varint.read(from: body, at: &offset)
            guard delta >= 1, delta <= UInt64(summary.lastRowID - rowID) else { throw corrupt("row ids out of order or past the block's range") }
            rowID += Int64(delta)
            block.rowIDs.append(rowID)
        }
        guard rowID == summary.lastRowID else { throw corrupt("row ids end at \(rowID), the header says \(summary.lastRowID)") }
        block.termFrequencies = try readCounts(body, &offset, summary.count)
        block.documentLengths = try readCounts(body, &offset, summary.count)
        guard offset == body.count else { throw corrupt("has \(body.count - offset) bytes after its postings") }
        try block.verifyBounds(summary)
        return block
    }

    private func verifyBounds(_ summary: PostingBlockSummary) throws {
        for (frequency, length) in zip(termFrequencies, documentLengths) where frequency > length {
            throw Self.corrupt("a term frequency \(frequency) exceeds its document length \(length)")
        }
        guard termFrequencies.max() == summary.termFrequencyMax, documentLengths.min() == summary.documentLengthMin else {
            throw Self.corrupt("header bounds do not match its postings")
        }
    }

    private static func verifyChecksum(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > checksumSizeBytes else { throw corrupt("is \(bytes.count) bytes long") }
        let bodyCount = bytes.count - checksumSizeBytes
        var stored: UInt32 = 0
        for shift in 0..<4 { stored |= UInt32(bytes[bodyCount + shift]) << UInt32(8 * shift) }
        guard stored == vireo_crc32c(0, bytes.baseAddress!, bodyCount) else { throw corrupt("checksum mismatch") }
    }

    private static func readCounts(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, _ count: Int) throws -> [Int] {
        var values: [Int] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readCount(bytes, &offset)) }
        return values
    }

    /// A frequency or length: at least 1, at most Int32.max (no document is longer).
    static func readCount(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws -> Int {
        let value = try Varint.read(from: bytes, at: &offset)
        guard value >= 1, value <= UInt64(Int32.max) else { throw corrupt("holds a count of \(value)") }
        return Int(value)
    }

    static func corrupt(_ what: String) -> VireoError {
        VireoError(.corruption, "inverted index posting block \(what)")
    }
}
