import Foundation
import Testing
@testable import VireoStorage

/// Kills a real writer process (`vireo crash-writer`) with SIGKILL at random moments and
/// checks after every kill that the database reopens sound, holds every acknowledged
/// transaction, no rolled-back one, and the one in flight either whole or not at all.
@Suite("Crash test: SIGKILL during writes")
struct CrashTests {
    /// What the child reported before it died.
    struct ChildLog {
        var committed: [ClosedRange<Int64>] = []
        var rolledBack: [ClosedRange<Int64>] = []
        var begun: [ClosedRange<Int64>] = []

        mutating func parse(_ line: Substring) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let first = Int64(parts[1]), let last = Int64(parts[2]), first <= last else { return }
            switch parts[0] {
            case "begin": begun.append(first...last)
            case "commit": committed.append(first...last)
            case "rollback": rolledBack.append(first...last)
            default: break
            }
        }

        var lastBegun: Int64 { begun.map(\.upperBound).max() ?? 0 }
    }

    static var killCount: Int { Int(ProcessInfo.processInfo.environment["VIREO_CRASH_KILLS"] ?? "") ?? 50 }

    /// The `vireo` binary: $VIREO_BIN (set by `make test`), else the debug build beside the tests.
    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["VIREO_BIN"] { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = packageRoot.appendingPathComponent(".build/debug/vireo").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw VireoError(.invalidParameter, "no vireo binary at \(path): run `swift build` first or set VIREO_BIN")
        }
        return path
    }

    @Test("every acknowledged commit survives SIGKILL; rolled-back and torn transactions never appear")
    func killsDuringWrites() throws {
        try killRepeatedly(threads: 1, kills: Self.killCount)
    }

    @Test("with 4 threads committing at once (group commit), every acknowledged commit survives SIGKILL")
    func killsDuringConcurrentWrites() throws {
        try killRepeatedly(threads: 4, kills: max(1, Self.killCount / 2))
    }

    @Test("SIGKILL while writing into a version-1 file: its conversion and version raise are whole or absent")
    func killsDuringWritesIntoLegacyFile() throws {
        let binary = try Self.binaryPath()
        try withBackend(.posix) { backend, directory in
            let path = directory + "/legacy.vireo"
            let (tree, model) = try CompactLeafTests.makeThinnedDatabase(path, backend)
            try CompactLeafTests.makeLegacy(path, backend)
            var history = ChildLog()
            var random = SystemRandomNumberGenerator()
            // The writer's first transaction creates its table: the catalog's legacy leaf
            // is converted and the format version raised in the commit the kills aim at.
            for kill in 0..<8 {
                let log = try runAndKill(binary, path: path, backend: "posix", firstID: history.lastBegun + 1,
                                         afterCommits: Int.random(in: 0...3, using: &random),
                                         extraDelayMicroseconds: UInt32.random(in: 0...2_000, using: &random))
                history.committed += log.committed
                history.rolledBack += log.rolledBack
                history.begun += log.begun
                try verify(path: path, history: history, kill: kill)
                let census = try CompactLeafTests.census(path, backend)
                #expect(census.version >= 2 || census.compact == 0, "after kill \(kill): compact leaves in a version-1 file: \(census)")
                let pager = try Pager.open(path: path, options: testOptions(backend))
                #expect(try contents(of: tree, in: pager) == model, "after kill \(kill): the legacy table's rows changed")
                try pager.close()
            }
            if !history.committed.isEmpty {
                // The writer's table has compact row keys: its creation raised the file to 3
                // (and verify's integrity check finds no compact table below version 3).
                #expect(try CompactLeafTests.census(path, backend).version == StorageFormat.compactRowKeysVersion,
                        "acknowledged commits raised the version")
            }
        }
    }

    private func killRepeatedly(threads: Int, kills: Int) throws {
        let binary = try Self.binaryPath()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/crash.vireo"
        var history = ChildLog()
        var random = SystemRandomNumberGenerator()
        for kill in 0..<kills {
            let commitsBeforeKill = Int.random(in: 0...30, using: &random)
            // Alternate the I/O backend, so both survive kills.
            let log = try runAndKill(binary, path: path, threads: threads, backend: kill % 2 == 0 ? "uring" : "posix", firstID: history.lastBegun + 1,
                                     afterCommits: commitsBeforeKill, extraDelayMicroseconds: UInt32.random(in: 0...4_000, using: &random))
            history.committed += log.committed
            history.rolledBack += log.rolledBack
            history.begun += log.begun
            try verify(path: path, history: history, kill: kill)
        }
    }

    /// Starts the child, waits for `afterCommits` acknowledgements and a little more, then
    /// SIGKILLs it and collects everything it printed.
    func runAndKill(_ binary: String, path: String, threads: Int = 1, backend: String, firstID: Int64, afterCommits: Int,
                    extraDelayMicroseconds: UInt32) throws -> ChildLog {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["crash-writer", path, "--first-id", "\(firstID)", "--wal-checkpoint-bytes", "\(64 << 10)",
                             "--transactions-max", "5000", "--threads", "\(threads)"]
        let output = Pipe()
        process.environment = ProcessInfo.processInfo.environment.merging(["VIREO_IO": backend]) { _, new in new }
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var log = ChildLog()
        var buffer = Data()
        var commits = 0
        while commits < afterCommits {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the child exited by itself
            buffer.append(chunk)
            commits = String(decoding: buffer, as: UTF8.self).components(separatedBy: "commit ").count - 1
        }
        usleep(extraDelayMicroseconds)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        buffer.append(output.fileHandleForReading.readDataToEndOfFile())
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") { log.parse(line) }
        return log
    }

    func verify(path: String, history: ChildLog, kill: Int) throws {
        let store = try Store.open(path: path)
        defer { try? store.close() }
        let report = try store.checkIntegrity()
        #expect(report.isSound, "after kill \(kill): \(report)")
        guard store.catalog.tables["acks"] != nil else {
            #expect(history.committed.isEmpty, "after kill \(kill): table missing but commits were acknowledged")
            return
        }
        var present = Set<Int64>()
        try store.read { snapshot in
            try snapshot.scanRows(snapshot.table("acks")) { id, _ in present.insert(id); return true }
        }
        let lost = history.committed.flatMap { $0 }.filter { !present.contains($0) }
        #expect(lost.isEmpty, "after kill \(kill): acknowledged rows lost: \(lost.prefix(10))")
        let resurrected = history.rolledBack.flatMap { $0 }.filter { present.contains($0) }
        #expect(resurrected.isEmpty, "after kill \(kill): rolled-back rows present: \(resurrected.prefix(10))")
        for range in history.begun {
            let found = range.filter { present.contains($0) }.count
            #expect(found == 0 || found == range.count, "after kill \(kill): transaction \(range) is partly present (\(found) rows)")
        }
    }
}
