import Dispatch
import Synchronization
import Testing
@testable import VireoStorage

/// `Store.read` shares one snapshot of the newest version among the reads that start before
/// the next publish (SharedSnapshot.swift): its invariants S1–S3.
@Suite("Reads share the newest version's snapshot")
struct SharedSnapshotTests {
    static func note(_ store: Store, _ id: Int64) throws -> Value? {
        try store.read { try $0.row($0.table("t"), rowID: id)?[1] }
    }

    static func update(_ store: Store, _ id: Int64, _ version: Int) throws {
        try store.write { _ = try $0.update("t", rowID: id, to: [.int(id), .text(CommitMergeTests.note(id, version))]) }
    }

    @Test("reads between two commits share one snapshot, and the first read after a commit sees it (S1)")
    func sharedUntilTheNextCommit() throws {
        try withBackend(.posix) { backend, directory in
            let store = try CommitMergeTests.store(backend, directory)
            defer { try? store.close() }
            let first = try store.read { $0 }
            let second = try store.read { $0 }
            #expect(first === second, "two reads with no commit between them opened two snapshots")
            for version in 1...5 {
                try Self.update(store, 7, version)
                let after = try store.read { $0 }
                #expect(after !== first && after.pages.snapshot.version == store.pager.publishedVersion,
                        "after commit \(version) a read got version \(after.pages.snapshot.version), published \(store.pager.publishedVersion)")
                #expect(try Self.note(store, 7) == .text(CommitMergeTests.note(7, version)), "commit \(version) not seen by the next read")
            }
        }
    }

    @Test("a read that keeps the shared snapshot across a commit keeps its version, which is freed when it lets go (S2)")
    func heldAcrossACommit() throws {
        try withBackend(.posix) { backend, directory in
            let store = try CommitMergeTests.store(backend, directory)
            defer { try? store.close() }
            var held: StoreSnapshot? = try store.read { $0 }
            try Self.update(store, 7, 1)
            let old = try held.map { try $0.row($0.table("t"), rowID: 7)?[1] }
            #expect(old == .text(CommitMergeTests.note(7, 0)), "the held snapshot saw \(String(describing: old))")
            #expect(store.pager.statistics.openSnapshots == 1 && store.pager.statistics.retainedPageVersions > 0,
                    "held across a commit: \(store.pager.statistics)")
            held = nil
            #expect(store.pager.statistics.retainedPageVersions == 0, "versions still retained once the read let go")
        }
    }

    @Test("an idle shared snapshot is not counted, retains nothing at a commit, and does not stop a close (S1, S3)")
    func idleSnapshotIsInvisible() throws {
        try withBackend(.posix) { backend, directory in
            let store = try CommitMergeTests.store(backend, directory)
            #expect(try Self.note(store, 3) == .text(CommitMergeTests.note(3, 0)))
            #expect(store.pager.statistics.openSnapshots == 0, "an idle shared snapshot counted: \(store.pager.statistics)")
            try Self.update(store, 3, 1)
            #expect(store.pager.statistics.retainedPageVersions == 0, "a commit retained versions for an idle shared snapshot")
            #expect(try Self.note(store, 3) == .text(CommitMergeTests.note(3, 1)))
            try store.close()
            #expect(throws: VireoError.self, "a read after close") { try store.read { _ in () } }
        }
    }

    @Test("reads on many threads while commits go on always see a version at least as new as the last commit before them")
    func concurrentReadsFollowCommits() throws {
        try withBackend(.posix) { backend, directory in
            let store = try CommitMergeTests.store(backend, directory)
            defer { try? store.close() }
            let committed = Atomic<Int>(0)
            let stale = Atomic<Int>(0)
            let readers = DispatchGroup()
            for _ in 0..<3 {
                DispatchQueue.global().async(group: readers) {
                    for _ in 0..<2_000 {
                        let before = committed.load(ordering: .acquiring)
                        guard case .text(let note)? = try? Self.note(store, 7),
                              let version = Int(note.prefix { $0 != " " }.dropFirst()) else { continue }
                        if version < before { stale.wrappingAdd(1, ordering: .relaxed) }
                        if before == 40 { return }
                    }
                }
            }
            for version in 1...40 {
                try Self.update(store, 7, version)
                committed.store(version, ordering: .releasing)
            }
            readers.wait()
            #expect(stale.load(ordering: .relaxed) == 0, "reads saw a version older than a commit that had returned before they began")
            #expect(store.pager.statistics.openSnapshots == 0)
        }
    }
}
