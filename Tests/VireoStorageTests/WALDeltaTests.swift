import Foundation
import Testing
@testable import VireoStorage

/// Page deltas in the WAL (PageDelta.swift, invariant W6): a page already logged in a
/// generation is logged again as the bytes that changed, and recovery rebuilds it.
@Suite("WAL page deltas")
struct WALDeltaTests {
    static let pageSize = StorageFormat.pageSizeBytes

    @Test("a delta applied to its base gives the new page; a large change is not worth a delta")
    func roundTrip() throws {
        var random = SplitMix64(seed: 0xD17A)
        for trial in 0..<200 {
            var old = (0..<Self.pageSize).map { _ in UInt8.random(in: 0...255, using: &random) }
            if trial % 3 == 0 { old = [UInt8](repeating: 0, count: Self.pageSize) }
            var new = old
            let edits = Int.random(in: 1...12, using: &random)
            for _ in 0..<edits {
                let start = Int.random(in: 0..<(Self.pageSize - 64), using: &random)
                for offset in start..<(start + Int.random(in: 1...64, using: &random)) { new[offset] &+= 1 }
            }
            let delta = try #require(old.withUnsafeBytes { o in new.withUnsafeBytes { n in PageDelta.encode(pageNumber: 7, from: o, to: n) } })
            #expect(delta.count < 12 * (64 + 16) + 6 + 16, "trial \(trial): \(delta.count) bytes for \(edits) small edits")
            let parsed = try #require(delta.withUnsafeBytes { PageDelta.parseHeader($0) })
            #expect(parsed.pageNumber == 7 && parsed.byteCount == delta.count)
            var rebuilt = old
            try rebuilt.withUnsafeMutableBytes { page in try delta.withUnsafeBytes { try PageDelta.apply($0, to: page, file: "test") } }
            #expect(rebuilt == new, "trial \(trial): the rebuilt page differs")
        }
        let old = [UInt8](repeating: 1, count: Self.pageSize)
        let new = [UInt8](repeating: 2, count: Self.pageSize)
        #expect(old.withUnsafeBytes { o in new.withUnsafeBytes { n in PageDelta.encode(pageNumber: 1, from: o, to: n) } } == nil)
        let same = old.withUnsafeBytes { o in old.withUnsafeBytes { n in PageDelta.encode(pageNumber: 1, from: o, to: n) } }
        #expect(same?.count == PageDelta.recordHeaderBytes, "an unchanged page is an empty delta")
    }

    @Test("a record cut short does not parse")
    func truncatedRecord() throws {
        var old = [UInt8](repeating: 0, count: Self.pageSize)
        var new = old
        new[100] = 1
        new[5000] = 2
        old[0] = 0
        let delta = try #require(old.withUnsafeBytes { o in new.withUnsafeBytes { n in PageDelta.encode(pageNumber: 3, from: o, to: n) } })
        for length in 0..<delta.count {
            #expect(Array(delta[0..<length]).withUnsafeBytes { PageDelta.parseHeader($0) } == nil, "a prefix of \(length) bytes parsed")
        }
    }

    @Test("a commit that changes rows on ten pages logs one frame, not ten; a crash keeps every acknowledged one", arguments: [false, true])
    func smallCommitsAfterCrash(readOnly: Bool) throws {
        let backend = SimulatedBackend()
        let acknowledged = try DataSafetyTests.databaseInItsWAL(backend, transactions: 400)
        var store = try Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend))
        let walBefore = store.pager.statistics.walBytesWritten
        var random = SplitMix64(seed: 0xF1A7)
        var payloads: [Int64: String] = [:]
        for round in 0..<50 {
            try store.write { transaction in
                for _ in 0..<10 {
                    let id = Int64.random(in: 1...1200, using: &random)
                    // Same size as before (most updates of numbers are): the cell is overwritten in place.
                    payloads[id] = "r\(round % 10)" + FaultInjectionTests.payload(id).dropFirst(2)
                    _ = try #require(try transaction.update("log", rowID: id, to: [.int(id), .text(payloads[id]!)]))
                }
            }
        }
        let frameBytes = DataSafetyTests.frameBytes
        let perCommit = Double(store.pager.statistics.walBytesWritten - walBefore) / 50
        #expect(perCommit < Double(2 * frameBytes), "a ten-row update took \(perCommit) bytes of WAL: deltas should fit a frame or two")
        backend.crash(policy: .dropUnsynced)
        store = try Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend, readOnly: readOnly))
        defer { try? store.close() }
        #expect(try DataSafetyTests.ids(in: store) == acknowledged)
        try store.read { snapshot in
            let table = try snapshot.table("log")
            for (id, payload) in payloads {
                #expect(try snapshot.row(table, rowID: id)?[1] == .text(payload), "row \(id) after recovery")
            }
        }
        #expect(try store.checkIntegrity().problems.isEmpty)
    }

    @Test("commits after a recovery, and after a checkpoint, start with images again and recover too")
    func generations() throws {
        let backend = SimulatedBackend()
        var acknowledged = try DataSafetyTests.databaseInItsWAL(backend, transactions: 50)
        for round in 0..<3 {
            let store = try Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend))
            #expect(try DataSafetyTests.ids(in: store) == acknowledged, "round \(round)")
            let outcome = FaultInjectionTests.runWorkload(store, firstID: Int64(1000 * (round + 1)), transactions: 40)
            #expect(outcome.error == nil)
            acknowledged.formUnion(outcome.acknowledged)
            if round == 1 { try store.pager.checkpoint() }
            let more = FaultInjectionTests.runWorkload(store, firstID: Int64(1000 * (round + 1) + 500), transactions: 20)
            acknowledged.formUnion(more.acknowledged)
            backend.crash(policy: .dropUnsynced)
        }
        let store = try Store.open(path: DataSafetyTests.path, options: DataSafetyTests.options(backend))
        defer { try? store.close() }
        #expect(try DataSafetyTests.ids(in: store) == acknowledged)
    }
}
