import Foundation
import Testing
@testable import VireoStorage

/// The posting block codec of gin format 3 (PostingBlock.swift): round trips over random
/// blocks, and corruption detected as an error, never a trap or a wrong answer.
@Suite("gin posting blocks")
struct PostingBlockTests {
    /// A random block: 1–128 postings, row gaps from 1 to huge, frequencies and lengths.
    static func randomBlock(seed: UInt64) -> (Int64, PostingBlock) {
        var random = SplitMix64(seed: seed)
        let count = Int.random(in: 1...PostingBlock.postingCountMax, using: &random)
        var rowID = Int64.random(in: -1_000_000...1_000_000, using: &random)
        let first = rowID
        var block = PostingBlock()
        for _ in 0..<count {
            let frequency = Int.random(in: 1...(random.next() % 10 == 0 ? 5_000 : 4), using: &random)
            block.append(InvertedPosting(rowID: rowID, termFrequency: frequency,
                                         documentLength: frequency + Int.random(in: 0...300, using: &random)))
            rowID += random.next() % 7 == 0 ? Int64.random(in: 1...(1 << 40), using: &random) : Int64.random(in: 1...3, using: &random)
        }
        return (first, block)
    }

    @Test("random blocks decode to what was encoded, header included", arguments: 0..<200)
    func roundTrip(seed: Int) throws {
        let (first, block) = Self.randomBlock(seed: UInt64(seed))
        let bytes = block.encoded()
        let decoded = try bytes.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: first) }
        #expect(decoded == block, "seed \(seed): decoded \(decoded.count) postings of \(block.count)")
        var offset = 0
        let summary = try bytes.withUnsafeBytes { try PostingBlockSummary.read($0, firstRowID: first, offset: &offset) }
        #expect(summary == PostingBlockSummary(firstRowID: first, lastRowID: block.rowIDs.last!, count: block.count,
                                               termFrequencyMax: block.termFrequencies.max()!,
                                               documentLengthMin: block.documentLengths.min()!), "seed \(seed)")
    }

    @Test("every flipped byte, a truncation and a trailing byte are corruption errors", arguments: 0..<20)
    func corruptionDetected(seed: Int) throws {
        let (first, block) = Self.randomBlock(seed: UInt64(1000 + seed))
        let bytes = block.encoded()
        var variants: [[UInt8]] = [Array(bytes.dropLast()), bytes + [0], []]
        for position in bytes.indices {
            var flipped = bytes
            flipped[position] ^= UInt8(1 << (position % 8))
            variants.append(flipped)
        }
        for variant in variants {
            #expect(throws: VireoError.self, "seed \(seed): a damaged block of \(variant.count) bytes decoded") {
                try variant.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: first) }
            }
        }
    }

    /// A block whose checksum is right but whose contents break B1 or B2.
    static func sealed(_ fields: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields { Varint.append(field, to: &bytes) }
        return PostingBlock.sealed(bytes)
    }

    @Test("well-sealed blocks that break the invariants are refused with a message naming the fault")
    func invariantsChecked() throws {
        let cases: [(fields: [UInt64], message: String)] = [
            ([0, 0, 1, 1], "holds 0 postings"),
            ([129, 0, 1, 1], "holds 129 postings"),
            ([2, 5, 1, 3, 4, 1, 1, 3, 3], "row ids end at"),          // deltas sum to 4, header says 5
            ([2, 5, 1, 3, 0, 1, 1, 3, 3], "out of order"),            // a zero gap
            ([2, 5, 2, 3, 5, 1, 1, 3, 3], "header bounds"),           // termFrequencyMax 2, but both are 1
            ([1, 0, 4, 3, 4, 3], "exceeds its document length"),
            ([1, 0, 1, 1, 1, 1, 7], "bytes after"),
        ]
        for (fields, message) in cases {
            let bytes = Self.sealed(fields)
            do {
                _ = try bytes.withUnsafeBytes { try PostingBlock.decode($0, firstRowID: 10) }
                Issue.record("fields \(fields) decoded; expected an error saying \(message)")
            } catch let error as VireoError {
                #expect(error.code == .corruption && "\(error)".contains(message), "fields \(fields): \(error)")
            }
        }
    }
}
