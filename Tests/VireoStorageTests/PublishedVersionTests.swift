import Dispatch
import Synchronization
import Testing
@testable import VireoStorage

/// The published version is read without the buffer pool's lock (BufferPool's
/// `currentVersion`): a READ COMMITTED statement asks for it to decide whether its
/// transaction must move to a newer version, so a stale answer would hide a commit.
@Suite("Published version read without the pool's lock")
struct PublishedVersionTests {
    @Test("a transaction moved to the newest version after each commit sees that commit, and the version never goes back")
    func versionFollowsEveryCommit() throws {
        try withBackend(.posix) { backend, directory in
            let store = try CommitMergeTests.store(backend, directory)
            defer { try? store.close() }
            let reader = try store.beginTransaction()
            defer { reader.rollback() }
            let stop = Atomic<Bool>(false)
            let wentBack = Atomic<Bool>(false)
            let watcher = DispatchGroup()
            DispatchQueue.global().async(group: watcher) {
                var last: UInt64 = 0
                while !stop.load(ordering: .relaxed) {
                    let version = store.pager.publishedVersion
                    if version < last { wentBack.store(true, ordering: .relaxed) }
                    last = version
                }
            }
            for commit in 1...40 {
                let before = store.pager.publishedVersion
                try store.write { _ = try $0.update("t", rowID: 7, to: [.int(7), .text(CommitMergeTests.note(7, commit))]) }
                #expect(store.pager.publishedVersion > before, "commit \(commit) published no version")
                try reader.moveToNewestVersion()
                let row = try reader.row(reader.catalog.table("t"), rowID: 7)
                #expect(row?[1] == .text(CommitMergeTests.note(7, commit)), "after commit \(commit) the reader saw \(String(describing: row))")
            }
            stop.store(true, ordering: .relaxed)
            watcher.wait()
            let versionWentBack = wentBack.load(ordering: .relaxed)
            #expect(!versionWentBack, "the published version went back while commits ran")
        }
    }
}
