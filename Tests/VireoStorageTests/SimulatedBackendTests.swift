import Glibc
import Testing
@testable import VireoStorage

/// Crash semantics of the simulated disk.
@Suite struct SimulatedCrashTests {
    let path = "/sim/data"

    /// A backend whose file holds `synced` (durable) at 0 and 32 unsynced 4 KiB pages after it.
    func backendWithPendingPages(seed: UInt64 = 1) throws -> (SimulatedBackend, synced: [UInt8]) {
        let backend = SimulatedBackend(seed: seed)
        let file = try backend.openFile(path: path, create: true)
        let synced = pattern(count: 4096, seed: 10)
        try write(file, synced, at: 0)
        try file.sync()
        for page in 1...32 { try write(file, pattern(count: 4096, seed: page), at: page * 4096) }
        return (backend, synced)
    }

    @Test func syncedDataSurvivesAndUnsyncedIsDroppedWhenTheCrashDropsAll() throws {
        let (backend, synced) = try backendWithPendingPages()
        let report = backend.crash(policy: .dropUnsynced)
        let file = try backend.openFile(path: path, create: false)
        let sizeBytes = try file.size()
        #expect(sizeBytes == 4096, "expected only the synced page (4096 bytes), got \(sizeBytes); \(report)")
        #expect(try read(file, count: 4096, at: 0).bytes == synced, "synced page changed; \(report)")
    }

    @Test func unsyncedDataLandsWhenTheCrashKeepsAll() throws {
        let (backend, _) = try backendWithPendingPages()
        backend.crash(policy: .keepUnsynced)
        let file = try backend.openFile(path: path, create: false)
        let page = try read(file, count: 4096, at: 5 * 4096).bytes
        #expect(page == pattern(count: 4096, seed: 5), "page 5 should have landed")
    }

    @Test func aRandomCrashKeepsSyncedDataAndLandsEachWriteWholeTornOrNot() throws {
        for seed in UInt64(1)...8 {
            let (backend, synced) = try backendWithPendingPages()
            let report = backend.crash(seed: seed)
            let durable = backend.durableContents(path: path) ?? []
            #expect(Array(durable.prefix(4096)) == synced, "synced page changed; \(report)")
            #expect(report.keptCount + report.droppedCount + report.tornCount + report.garbledCount == 32, "\(report)")
            let intact = (1...32).filter { Self.page($0, of: durable) == pattern(count: 4096, seed: $0) }.count
            #expect(intact >= report.keptCount, "kept writes must read back whole; \(intact) intact; \(report)")
        }
    }

    @Test func theSameSeedGivesTheSameCrash() throws {
        let (first, _) = try backendWithPendingPages()
        let (second, _) = try backendWithPendingPages()
        let firstReport = first.crash(seed: 99)
        let secondReport = second.crash(seed: 99)
        #expect(firstReport.description == secondReport.description, "\(firstReport) vs \(secondReport)")
        #expect(first.durableContents(path: path) == second.durableContents(path: path), "crash images differ for seed 99")
    }

    @Test func aCrashUsesEveryOutcomeAndTearsOnSectorBoundaries() throws {
        var totals = SimulatedCrashReport(seed: 0)
        for seed in UInt64(1)...40 {
            let backend = SimulatedBackend(seed: seed)
            let file = try backend.openFile(path: path, create: true)
            try write(file, [UInt8](repeating: 0xEE, count: 4096), at: 0)
            let report = backend.crash(seed: seed)
            let durable = backend.durableContents(path: path) ?? []
            totals.add(report)
            if report.tornCount == 1 {
                let landed = durable.prefix { $0 == 0xEE }.count
                #expect(landed % 512 == 0 && landed < 4096, "torn write kept \(landed) bytes; \(report)")
            }
        }
        #expect(totals.keptCount > 0 && totals.droppedCount > 0 && totals.tornCount > 0 && totals.garbledCount > 0,
                "expected every outcome across 40 seeds, got \(totals)")
    }

    @Test func handlesOpenedBeforeACrashStopWorking() throws {
        let backend = SimulatedBackend(seed: 3)
        let file = try backend.openFile(path: path, create: true)
        backend.crash()
        let error = expectVireoError { try write(file, [1, 2, 3], at: 0) }
        #expect(error?.message.contains("before a simulated crash") == true, "got \(String(describing: error))")
    }

    static func page(_ index: Int, of bytes: [UInt8]) -> [UInt8] {
        let start = index * 4096
        guard bytes.count >= start + 4096 else { return [] }
        return Array(bytes[start..<start + 4096])
    }
}

extension SimulatedCrashReport {
    mutating func add(_ other: SimulatedCrashReport) {
        keptCount += other.keptCount
        droppedCount += other.droppedCount
        tornCount += other.tornCount
        garbledCount += other.garbledCount
    }
}

/// Each kind of injected fault gives a clear error, and `stats` lets a test sweep them.
@Suite struct SimulatedFaultTests {
    let path = "/sim/data"

    func makeFile(_ backend: SimulatedBackend) throws -> any StorageFile {
        try backend.openFile(path: path, create: true)
    }

    @Test func theNthWriteFailsOnce() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        backend.faults.failWrite(number: 2)
        try write(file, [1], at: 0)
        let error = expectVireoError { try write(file, [2], at: 1) }
        try write(file, [3], at: 2)
        #expect(error?.code == .ioError, "got \(String(describing: error))")
        #expect(error?.message.contains("injected") == true && error?.message.contains(path) == true,
                "message should say injected and name the file: \(String(describing: error))")
        #expect(backend.currentContents(path: path) == [1, 0, 3], "the failed write should store nothing")
        #expect(backend.stats.faultsInjected == 1 && backend.stats.writes == 3, "\(backend.stats)")
    }

    @Test func everyWriteAfterTheFirstNFails() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        backend.faults.failWrite(after: 2)
        try write(file, [1], at: 0)
        try write(file, [2], at: 1)
        for offset in 2..<5 { _ = expectVireoError { try write(file, [9], at: offset) } }
        #expect(backend.stats.faultsInjected == 3, "expected 3 failed writes, got \(backend.stats)")
        backend.faults.clear()
        try write(file, [4], at: 2)
    }

    @Test func aShortWriteStoresAPrefixThenFails() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        backend.faults.shortWrite(number: 1, keptBytes: 512)
        let error = expectVireoError { try write(file, [UInt8](repeating: 7, count: 4096), at: 0) }
        #expect(error?.code == .ioError && error?.message.contains("512 bytes written") == true,
                "got \(String(describing: error))")
        let sizeBytes = try file.size()
        #expect(sizeBytes == 512, "expected 512 bytes stored, got \(sizeBytes)")
    }

    @Test func noSpaceIsDiskFull() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        backend.faults.failWrite(number: 1, errno: ENOSPC)
        let injected = expectVireoError { try write(file, [1], at: 0) }
        #expect(injected?.code == .diskFull, "got \(String(describing: injected))")
        backend.faults.limitCapacity(bytes: 10_000)
        try write(file, [UInt8](repeating: 1, count: 8192), at: 0)
        let full = expectVireoError { try write(file, [UInt8](repeating: 2, count: 8192), at: 8192) }
        #expect(full?.code == .diskFull && full?.message.contains("offset 8192") == true, "got \(String(describing: full))")
        let sizeBytes = try file.size()
        #expect(sizeBytes == 10_000, "expected the disk filled to 10000 bytes, got \(sizeBytes)")
    }

    @Test func aFailedSyncLosesTheUnsyncedWritesForGood() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        try write(file, [1, 2, 3], at: 0)
        backend.faults.failSync(number: 1)
        let error = expectVireoError { try file.sync() }
        #expect(error?.code == .ioError && error?.message.contains("fdatasync") == true, "got \(String(describing: error))")
        try file.sync()
        backend.crash(policy: .keepUnsynced)
        let durable = backend.durableContents(path: path) ?? [99]
        #expect(durable.isEmpty, "writes before a failed sync must not become durable, got \(durable)")
    }

    @Test func aFailedReadAndACorruptedReadAreReported() throws {
        let backend = SimulatedBackend(seed: 1)
        let file = try makeFile(backend)
        try write(file, [UInt8](repeating: 0x0F, count: 8192), at: 0)
        backend.faults.failRead(number: 1)
        let error = expectVireoError { _ = try read(file, count: 16, at: 0) }
        #expect(error?.code == .ioError && error?.message.contains("pread") == true, "got \(String(describing: error))")
        backend.faults.corruptReads(path: path, byteRange: 4100..<4104)
        let page = try read(file, count: 4096, at: 4096).bytes
        let flipped = page.indices.filter { page[$0] != 0x0F }
        #expect(flipped == [4, 5, 6, 7], "expected bytes 4..<8 of the page flipped, got \(flipped)")
        #expect(backend.currentContents(path: path)?[4100] == 0x0F, "corruption must not change the stored bytes")
    }

    /// The SQLite-style sweep: fail the 1st, 2nd … write of a workload until none fires.
    @Test func aSweepFailsEachWriteOfAWorkloadInTurn() throws {
        var failedAt: [Int] = []
        for number in 1...10 {
            let backend = SimulatedBackend(seed: UInt64(number))
            backend.faults.failWrite(number: number)
            let file = try makeFile(backend)
            do {
                for index in 0..<4 { try write(file, [UInt8(index)], at: index) }
                try file.sync()
            } catch {}
            if backend.stats.faultsInjected == 0 { break }
            failedAt.append(backend.stats.writes)
        }
        #expect(failedAt == [1, 2, 3, 4], "expected the workload to stop at each of its 4 writes, got \(failedAt)")
    }
}
