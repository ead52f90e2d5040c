import Foundation
import Synchronization
import Testing
@testable import VireoStorage

/// The behaviour every backend must share, run on io_uring, POSIX and the simulated disk.
@Suite struct IOBackendTests {
    @Test(arguments: BackendKind.allCases)
    func writeThenReadReturnsTheSameBytes(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            let bytes = pattern(count: 8192, seed: 1)
            try write(file, bytes, at: 4096)
            let (got, readCount) = try read(file, count: 8192, at: 4096)
            #expect(readCount == 8192, "expected 8192 bytes read, got \(readCount)")
            #expect(got == bytes, "bytes read back differ from bytes written")
            let sizeBytes = try file.size()
            #expect(sizeBytes == 12288, "expected size 12288, got \(sizeBytes)")
            let (hole, _) = try read(file, count: 4096, at: 0)
            #expect(hole == [UInt8](repeating: 0, count: 4096), "the unwritten start should read as zeros")
        }
    }

    @Test(arguments: BackendKind.allCases)
    func batchesLargerThanTheQueueDepthRoundTrip(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            let pageCount = 100, pageSizeBytes = 4096
            let written = UnsafeMutableRawBufferPointer.allocate(byteCount: pageCount * pageSizeBytes, alignment: 4096)
            let readBack = UnsafeMutableRawBufferPointer.allocate(byteCount: pageCount * pageSizeBytes, alignment: 4096)
            defer { written.deallocate(); readBack.deallocate() }
            written.copyBytes(from: pattern(count: written.count, seed: 2))
            readBack.initializeMemory(as: UInt8.self, repeating: 0xAA)
            // Request i lands at page (pageCount - 1 - i): the file gets the pages in reverse.
            let requests = { (buffer: UnsafeMutableRawBufferPointer) in
                (0..<pageCount).map { index in
                    IORequest(offset: (pageCount - 1 - index) * pageSizeBytes,
                              buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[index * pageSizeBytes..<(index + 1) * pageSizeBytes]))
                }
            }
            try file.writeBatch(requests(written))
            try file.sync()
            try file.readBatch(requests(readBack))
            #expect(Array(readBack) == Array(written), "batch read differs from batch write")
            let (firstPage, _) = try read(file, count: pageSizeBytes, at: 0)
            let lastRequest: [UInt8] = Array(written[(pageCount - 1) * pageSizeBytes..<pageCount * pageSizeBytes])
            #expect(firstPage == lastRequest, "page 0 should hold the last request")
        }
    }

    @Test(arguments: BackendKind.allCases)
    func readsPastEndOfFileFillZerosAndReportBytesRead(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            try write(file, pattern(count: 100, seed: 3), at: 0)
            let (straddling, straddlingCount) = try read(file, count: 4096, at: 0)
            #expect(straddlingCount == 100, "expected 100 bytes before EOF, got \(straddlingCount)")
            #expect(straddling[100...].allSatisfy { $0 == 0 }, "bytes past EOF should be zero")
            let (beyond, beyondCount) = try read(file, count: 512, at: 10_000)
            #expect(beyondCount == 0 && beyond.allSatisfy { $0 == 0 }, "expected 0 bytes and zeros, got \(beyondCount)")
            var batchBytes = [UInt8](repeating: 0xAA, count: 1024)
            try batchBytes.withUnsafeMutableBytes { buffer in
                try file.readBatch([IORequest(offset: 50, buffer: buffer)])
            }
            #expect(Array(batchBytes[..<50]) == Array(pattern(count: 100, seed: 3)[50...]), "batch read before EOF")
            #expect(batchBytes[50...].allSatisfy { $0 == 0 }, "batch read past EOF should zero-fill")
        }
    }

    @Test(arguments: BackendKind.allCases)
    func truncateShrinksAndGrowsTheFile(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            try write(file, pattern(count: 10_000, seed: 4), at: 0)
            try file.truncate(size: 5000)
            let shrunkBytes = try file.size()
            #expect(shrunkBytes == 5000, "expected size 5000 after shrinking, got \(shrunkBytes)")
            let (_, readCount) = try read(file, count: 4096, at: 4096)
            #expect(readCount == 904, "expected 904 bytes before the new end, got \(readCount)")
            try file.truncate(size: 20_000)
            let grownBytes = try file.size()
            #expect(grownBytes == 20_000, "expected size 20000 after growing, got \(grownBytes)")
            let (grown, _) = try read(file, count: 1000, at: 5000)
            #expect(grown.allSatisfy { $0 == 0 }, "grown space should read as zeros")
        }
    }

    @Test(arguments: BackendKind.allCases)
    func syncedDataIsThereAfterReopening(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let path = "\(directory)/data"
            #expect(!backend.fileExists(path: path))
            let file = try backend.openFile(path: path, create: true)
            try write(file, pattern(count: 3000, seed: 5), at: 0)
            try file.sync()
            file.close()
            #expect(backend.fileExists(path: path))
            let reopened = try backend.openFile(path: path, create: false)
            let (bytes, _) = try read(reopened, count: 3000, at: 0)
            reopened.close()
            #expect(bytes == pattern(count: 3000, seed: 5), "reopened file differs")
            try backend.removeFile(path: path)
            #expect(!backend.fileExists(path: path))
            try backend.removeFile(path: path)  // removing what is gone is not an error
        }
    }

    @Test(arguments: BackendKind.allCases)
    func errorsNameTheFileAndTheOffset(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let missing = "\(directory)/missing"
            let openError = expectVireoError { _ = try backend.openFile(path: missing, create: false) }
            #expect(openError?.code == .ioError, "expected io_error, got \(String(describing: openError))")
            #expect(openError?.message.contains(missing) == true, "message should name the file: \(String(describing: openError))")
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            let offsetError = expectVireoError { _ = try read(file, count: 16, at: -1) }
            #expect(offsetError?.code == .ioError && offsetError?.message.contains("offset -1") == true,
                    "expected an io_error naming offset -1, got \(String(describing: offsetError))")
        }
    }

    @Test(arguments: BackendKind.allCases)
    func emptyRequestsAndBatchesDoNothing(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            try file.writeBatch([])
            try file.readBatch([])
            try write(file, [], at: 100)
            #expect(try file.size() == 0, "an empty write should not grow the file")
        }
    }
}

@Suite struct IOBackendChoiceTests {
    @Test func overrideForcesTheBackend() throws {
        #expect(try IOBackends.makeDefault(override: "posix").name == "posix")
        let automatic = try IOBackends.makeDefault(override: nil)
        #expect(["io_uring", "posix"].contains(automatic.name), "got \(automatic.name)")
    }

    @Test func unknownOverrideIsAnError() {
        let error = expectVireoError { _ = try IOBackends.makeDefault(override: "aio") }
        #expect(error?.code == .invalidParameter && error?.message.contains("aio") == true,
                "expected invalid_parameter naming 'aio', got \(String(describing: error))")
    }

    @Test func withoutIOUringTheDefaultFallsBackToPOSIXButAForcedChoiceFails() throws {
        let refuse: () throws -> any IOBackend = { throw VireoError(.ioError, "io_uring_queue_init failed: Operation not permitted") }
        let fallback = try IOBackends.choose(override: nil, makeUring: refuse)
        #expect(fallback.name == "posix", "expected the posix fallback, got \(fallback.name)")
        let forced = expectVireoError { _ = try IOBackends.choose(override: "uring", makeUring: refuse) }
        #expect(forced?.code == .ioError, "expected the setup error, got \(String(describing: forced))")
    }

    @Test func uringRejectsABadQueueDepth() {
        let error = expectVireoError { _ = try UringBackend(queueDepth: 0) }
        #expect(error?.code == .invalidParameter, "got \(String(describing: error))")
    }
}

/// Failures inside a batch on the real backends: a request the kernel rejects fails the
/// batch with an error naming the file and the request, after every request has finished.
@Suite struct KernelBatchFailureTests {
    @Test(arguments: [BackendKind.uring, .posix])
    func aRejectedRequestFailsTheBatch(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            let good = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 4096)
            defer { good.deallocate() }
            good.initializeMemory(as: UInt8.self, repeating: 1)
            // An address no process maps: the kernel answers EFAULT without touching memory.
            let unmapped = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: 0x1000), count: 4096)
            let requests = [IORequest(offset: 0, buffer: good), IORequest(offset: 8192, buffer: unmapped)]
            let error = expectVireoError { try file.writeBatch(requests) }
            #expect(error?.code == .ioError && error?.message.contains("offset 8192") == true
                    && error?.message.contains("Bad address") == true, "got \(String(describing: error))")
        }
    }
}

/// Files are shared by many threads: batches and single requests from several threads at
/// once must each see their own data.
@Suite struct ConcurrentIOTests {
    @Test(arguments: BackendKind.allCases)
    func concurrentBatchesAndReadsSeeTheirOwnPages(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let file = try backend.openFile(path: "\(directory)/data", create: true)
            defer { file.close() }
            let threadCount = 4, pagesPerThread = 20, pageSizeBytes = 4096
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: threadCount) { thread in
                do {
                    try Self.writeAndCheck(file, firstPage: thread * pagesPerThread, pageCount: pagesPerThread,
                                           pageSizeBytes: pageSizeBytes)
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
            }
            let got = failures.withLock { $0 }
            #expect(got.isEmpty, "expected no failures, got \(got)")
        }
    }

    /// Writes pages [firstPage, firstPage + pageCount) in one batch, then reads them back
    /// both as a batch and one by one.
    static func writeAndCheck(_ file: any StorageFile, firstPage: Int, pageCount: Int, pageSizeBytes: Int) throws {
        var pages = (0..<pageCount).map { pattern(count: pageSizeBytes, seed: firstPage + $0) }
        try withRequests(&pages, firstPage: firstPage, pageSizeBytes: pageSizeBytes) { try file.writeBatch($0) }
        var readBack = [[UInt8]](repeating: [UInt8](repeating: 0, count: pageSizeBytes), count: pageCount)
        try withRequests(&readBack, firstPage: firstPage, pageSizeBytes: pageSizeBytes) { try file.readBatch($0) }
        guard readBack == pages else { throw VireoError(.internalError, "batch read-back differs at \(firstPage)") }
        for (index, page) in pages.enumerated() where try read(file, count: pageSizeBytes, at: (firstPage + index) * pageSizeBytes).bytes != page {
            throw VireoError(.internalError, "single read differs at page \(firstPage + index)")
        }
    }

    /// Calls `body` with one request per page, page i at offset (firstPage + i) * pageSizeBytes.
    static func withRequests(
        _ pages: inout [[UInt8]], firstPage: Int, pageSizeBytes: Int, _ body: ([IORequest]) throws -> Void
    ) throws {
        let buffers = pages.map { page in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSizeBytes, alignment: 16)
            buffer.copyBytes(from: page)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        try body(buffers.enumerated().map { IORequest(offset: (firstPage + $0.offset) * pageSizeBytes, buffer: $0.element) })
        pages = buffers.map { Array($0) }
    }
}
