import Foundation
import Testing
@testable import VireoStorage

/// Issue 7's reproductions with real processes and real files: two `vireo sql` writers
/// at once, a writer killed with its lock held, the commands on files that are not
/// databases, a damaged WAL under `vireo check`, and recovery on a full tmpfs.
@Suite("Data safety with real processes", .serialized)
struct ProcessSafetyTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `vireo ARGUMENTS` to completion.
    static func vireo(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashTests.binaryPath())
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                   errors: String(decoding: errorData, as: UTF8.self))
    }

    static func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vireo-proc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    /// A `vireo crash-writer` that never checkpoints, killed after `commits` acknowledged
    /// transactions; returns the ids it acknowledged.
    static func killedWriter(path: String, commits: Int, holding: ((Int32) throws -> Void)? = nil) throws -> Set<Int64> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CrashTests.binaryPath())
        process.arguments = ["crash-writer", path, "--wal-checkpoint-bytes", "\(1 << 40)", "--transactions-max", "100000"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var log = CrashTests.ChildLog()
        var buffer = Data()
        while log.committed.count < commits {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            log = CrashTests.ChildLog()
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") { log.parse(line) }
        }
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try holding?(process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        buffer.append(output.fileHandleForReading.readDataToEndOfFile())
        log = CrashTests.ChildLog()
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") { log.parse(line) }
        return Set(log.committed.flatMap { $0 })
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// `vireo sql --format csv` output as lines, without their CRLF endings.
    static func csvLines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map { String($0) }
    }

    @Test("two vireo sql scripts on one file: never two writers, every acknowledged insert kept")
    func twoWritersAtOnce() throws {
        try Self.withDirectory { directory in
            let path = directory + "/f.db"
            #expect(try Self.vireo(["sql", path, "-c", "CREATE TABLE t(id serial PRIMARY KEY, who text)"]).status == 0)
            let insertsPerScript = 400
            for who in ["A", "B"] {
                let script = String(repeating: "INSERT INTO t(who) VALUES ('\(who)');\n", count: insertsPerScript)
                try script.write(toFile: "\(directory)/\(who).sql", atomically: true, encoding: .utf8)
            }
            var expected: [String: Int] = ["A": 0, "B": 0]
            for busyTimeout in ["0", "60000"] {
                // Both start before either is waited for, each writing its errors to a file.
                var processes: [String: Process] = [:]
                for who in ["A", "B"] {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: try CrashTests.binaryPath())
                    process.arguments = ["sql", path, "-f", "\(directory)/\(who).sql", "--busy-timeout", busyTimeout]
                    FileManager.default.createFile(atPath: "\(directory)/\(who).err", contents: nil)
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle(forWritingAtPath: "\(directory)/\(who).err")
                    try process.run()
                    processes[who] = process
                }
                var runs: [String: Run] = [:]
                for (who, process) in processes {
                    process.waitUntilExit()
                    let errors = (try? String(contentsOfFile: "\(directory)/\(who).err", encoding: .utf8)) ?? ""
                    runs[who] = Run(status: process.terminationStatus, output: "", errors: errors)
                }
                let counts = try Self.vireo(["sql", path, "--format", "csv", "-c", "SELECT who, count(*) FROM t GROUP BY who ORDER BY who"])
                for (who, run) in runs.sorted(by: { $0.key < $1.key }) {
                    if run.status == 0 {
                        expected[who, default: 0] += insertsPerScript
                        let line = "\(who),\(expected[who] ?? 0)"
                        #expect(Self.csvLines(counts.output).contains(line),
                                "busy timeout \(busyTimeout): \(who) exited 0, expected the row \(line) in: \(counts.output)")
                    } else {
                        #expect(busyTimeout == "0", "with a long busy timeout both writers must succeed; \(who): \(run.errors)")
                        #expect(run.errors.contains("is locked by process"), "\(who) failed without naming the lock: \(run.errors)")
                    }
                }
                #expect(runs.values.contains { $0.status == 0 }, "one writer must succeed: \(runs)")
                let check = try Self.vireo(["check", path])
                #expect(check.status == 0 && check.output.hasSuffix("ok\n"), "check: \(check.output)")
            }
        }
    }

    @Test("a running writer's lock names its process; SIGKILL releases it at once")
    func lockDiesWithItsProcess() throws {
        try Self.withDirectory { directory in
            let path = directory + "/k.vireo"
            let acknowledged = try Self.killedWriter(path: path, commits: 5) { pid in
                let error = expectVireoError { _ = try Store.open(path: path, options: StorageOptions(busyTimeoutMs: 0)) }
                #expect(error?.message.contains("locked by process \(pid)") == true, "got \(String(describing: error))")
            }
            let store = try Store.open(path: path)
            defer { try? store.close() }
            let present = try store.read { snapshot in
                var ids: Set<Int64> = []
                try snapshot.scanRows(snapshot.table("acks")) { id, _ in ids.insert(id); return true }
                return ids
            }
            #expect(acknowledged.isSubset(of: present), "acknowledged rows lost after the kill")
        }
    }

    @Test("check, info and sql refuse a file that is not a database and leave it byte for byte")
    func commandsLeaveForeignFilesAlone() throws {
        try Self.withDirectory { directory in
            let path = directory + "/notes.txt"
            try "my notes\n".write(toFile: path, atomically: true, encoding: .utf8)
            for arguments in [["check", path], ["info", path], ["sql", path, "-c", "SELECT 1"]] {
                let run = try Self.vireo(arguments)
                #expect(run.status != 0, "\(arguments[0]) exited 0 on a text file")
                #expect(run.errors.contains("not a Vireo database"), "\(arguments[0]): \(run.errors)")
                #expect(Self.bytes(path) == Data("my notes\n".utf8), "\(arguments[0]) changed the file")
                #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "\(arguments[0]) created a WAL beside it")
            }
        }
    }

    @Test("a flipped byte mid-WAL: check reports it and writes nothing, sql refuses, recover --accept-wal-loss keeps a copy")
    func damagedWALThroughTheCommands() throws {
        try Self.withDirectory { directory in
            let path = directory + "/w.vireo"
            _ = try Self.killedWriter(path: path, commits: 40)
            var wal = try #require(Self.bytes(path + "-wal"))
            let frameBytes = DataSafetyTests.frameBytes
            let frames = DataSafetyTests.frameCount(inWAL: [UInt8](wal))
            #expect(frames > 10, "the writer left only \(frames) frames")
            wal[WriteAheadLog.headerBytes + (frames / 2) * frameBytes + 4000] ^= 0xff
            try wal.write(to: URL(fileURLWithPath: path + "-wal"))
            let before = (Self.bytes(path), Self.bytes(path + "-wal"))

            let check = try Self.vireo(["check", path])
            #expect(check.status == 1, "check must fail on a damaged WAL: \(check.output)")
            #expect(check.output.contains("damaged at frame \(frames / 2 + 1)"), "check: \(check.output)")
            #expect(Self.bytes(path) == before.0 && Self.bytes(path + "-wal") == before.1, "check changed the files")

            let sql = try Self.vireo(["sql", path, "-c", "SELECT count(*) FROM acks"])
            #expect(sql.status != 0 && sql.errors.contains("--accept-wal-loss"), "sql: \(sql.errors)")
            #expect(Self.bytes(path + "-wal") == before.1, "a refused open changed the WAL")

            let recover = try Self.vireo(["recover", path, "--accept-wal-loss"])
            #expect(recover.status == 0, "recover: \(recover.errors)")
            #expect(Self.bytes(path + "-wal.damaged") == before.1, "the damaged WAL was not kept")
            let after = try Self.vireo(["check", path])
            #expect(after.status == 0, "check after recover: \(after.output)")
        }
    }

    @Test("recovery on a full tmpfs fails cleanly, leaves the WAL, and recovers every commit once there is room")
    func recoveryOnAFullTmpfs() throws {
        try Self.withDirectory { directory in
            let mount = directory + "/small"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            guard let mounted = try? Self.shell("mount -t tmpfs -o size=5m tmpfs '\(mount)'"), mounted == 0 else {
                print("cannot mount a tmpfs here (needs root); the simulated full-disk test covers this case")
                return
            }
            defer { _ = try? Self.shell("umount '\(mount)'") }
            let path = mount + "/t.vireo"
            let acknowledged = try Self.killedWriter(path: path, commits: 60)
            #expect(try Self.shell("dd if=/dev/zero of='\(mount)/filler' bs=64k 2>/dev/null") != 0, "the filler should fill the disk")
            let walBefore = Self.bytes(path + "-wal")
            let full = try Self.vireo(["sql", path, "-c", "SELECT count(*) FROM acks"])
            #expect(full.status != 0 && full.errors.contains("No space left"), "expected a disk-full failure: \(full.errors)")
            #expect(Self.bytes(path + "-wal") == walBefore, "the failed recovery changed the WAL")
            try FileManager.default.removeItem(atPath: mount + "/filler")
            let ids = try Self.vireo(["sql", path, "--format", "csv", "-c", "SELECT id FROM acks"])
            let present = Set(Self.csvLines(ids.output).dropFirst().compactMap { Int64($0) })
            #expect(acknowledged.isSubset(of: present), "acknowledged rows lost: \(acknowledged.subtracting(present).sorted().prefix(10)) \(ids.errors)")
            #expect(try Self.vireo(["check", path]).status == 0)
        }
    }

    static func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
