import ArgumentParser
import Foundation
import VireoNet
import VireoQuery
import VireoStorage

/// Options `vireo ingest` and `vireo search` share: where the stores are (a local database,
/// or a running server with --url), the store, the embedder.
struct VectorStoreOptions: ParsableArguments {
    @Option(help: "The database file (stop `vireo serve` on it first: one process writes).")
    var database = "data/vireo.db"
    @Option(help: "A running server's REST base URL (e.g. http://127.0.0.1:8000) instead of a local database.")
    var url: String?
    @Option(help: "The server's API key, with --url (default: $VIREO_API_KEY).")
    var apiKey: String?
    @Option(help: "The vector store's name.")
    var store: String
    @Option(help: "Embedder of a local database: auto, hashing, minilm or openai (as `vireo serve --embedder`; openai takes its settings from the VIREO_OPENAI_* variables).")
    var embedder = "auto"
    @OptionGroup var open: OpenOptions

    /// Runs `body` with the stores: a server's with --url, else a local database's (opened and closed here).
    func withStores<R>(_ body: (any VectorStoreTarget) async throws -> R) async throws -> R {
        if let url {
            guard let key = apiKey ?? ProcessInfo.processInfo.environment["VIREO_API_KEY"] else {
                throw ValidationError("--url needs --api-key (or VIREO_API_KEY)")
            }
            return try await body(RemoteVectorStores(baseURL: url, apiKey: key))
        }
        let database = try Database.open(path: self.database, options: open.storageOptions())
        let executor = EngineExecutor(threadCount: 2)
        let (embedder, note) = try await EmbedderChoice.make(
            self.embedder, openAI: try OpenAIEmbedderSettings.fromEnvironment(ProcessInfo.processInfo.environment))
        FileHandle.standardError.write(Data((note + "\n").utf8))
        do {
            let result = try await body(LocalVectorStores(engine: EngineAccess(database: database, executor: executor), embedder: embedder))
            try await executor.shutdown()
            try database.close()
            return result
        } catch {
            try? await executor.shutdown()
            try? database.close()
            throw error
        }
    }
}

/// `vireo ingest PATH… --store NAME`: loads files and folders (recursively) into a vector
/// store of a local database or a running server, skipping files already completed (so a
/// rerun resumes).
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load documents into a vector store of a local database or a running server (--url).")

    @Argument(help: "Files or folders (read recursively; unsupported formats are skipped).")
    var paths: [String]
    @OptionGroup var options: VectorStoreOptions
    @Option(help: "A JSON object of attributes for every file.")
    var attributes: String?
    @Option(help: "Chunk size in the embedder's tokens, 100 to 4096 (default: the embedder's best fit); with --url sent as a static chunking_strategy.")
    var chunkSize: Int?
    @Option(help: "Tokens each chunk repeats from the one before (default: a quarter of the size).")
    var chunkOverlap: Int?

    func run() async throws {
        if let chunkSize, !(100...4096).contains(chunkSize) { throw ValidationError("--chunk-size must be from 100 to 4096") }
        if let chunkOverlap {
            guard let chunkSize else { throw ValidationError("--chunk-overlap needs --chunk-size") }
            guard chunkOverlap >= 0, chunkOverlap <= chunkSize / 2 else { throw ValidationError("--chunk-overlap must be from 0 to half the chunk size") }
        }
        let files = try Self.files(paths)
        try await options.withStores { stores in
            guard let storeID = try await stores.storeID(named: options.store, create: true) else { return }
            let done = try await stores.completedFilenames(store: storeID)
            var progress = IngestProgress(total: files.count)
            for file in files {
                if done.contains(file) {
                    progress.skipped += 1
                    progress.report(file, outcome: "skipped (already completed)")
                    continue
                }
                do {
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
                    let chunks = try await stores.ingest(store: storeID, name: file, bytes: bytes, attributes: attributes,
                                                         chunkSizeTokens: chunkSize, chunkOverlapTokens: chunkOverlap)
                    progress.chunks += chunks
                    progress.report(file, outcome: "\(chunks) chunks")
                } catch {
                    progress.failed += 1
                    progress.report(file, outcome: "failed: \(error)")
                }
            }
            print("ingested \(progress.done - progress.failed - progress.skipped) of \(files.count) files into '\(options.store)' "
                + "(\(progress.chunks) chunks; \(progress.skipped) already there, \(progress.failed) failed)")
        }
    }

    /// The supported files under `paths`, in a stable order.
    static func files(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no such file: \(path)") }
            if !isDirectory.boolValue { files.append(path); continue }
            let entries = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
            files += entries.sorted().map { (path as NSString).appendingPathComponent($0) }.filter(LocalVectorStores.isSupported)
        }
        return files
    }
}

/// Progress: on a terminal one bar redrawn in place (files, chunks, chunks/s, time left),
/// with a line kept for each file that failed; elsewhere (a pipe, a log) one plain line a file.
struct IngestProgress {
    static let barWidth = 30
    let total: Int
    let start = ContinuousClock.now
    let isTerminal = isatty(STDOUT_FILENO) == 1
    var done = 0, chunks = 0, failed = 0, skipped = 0

    init(total: Int) { self.total = total }

    mutating func report(_ file: String, outcome: String) {
        done += 1
        let seconds = max(0.001, (ContinuousClock.now - start) / .seconds(1))
        let eta = Double(total - done) * seconds / Double(done)
        let figures = String(format: "%d chunks, %.1f chunks/s, ETA %.0f s", chunks, Double(chunks) / seconds, eta)
        guard isTerminal else {
            print("[\(done)/\(total)] \(file): \(outcome) — \(figures)")
            return
        }
        if outcome.hasPrefix("failed") { print("\r\u{1B}[K\(file): \(outcome)") }
        let filled = total == 0 ? Self.barWidth : Self.barWidth * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: Self.barWidth - filled)
        print("\r\u{1B}[K\(bar) \(done)/\(total) files, \(figures)", terminator: done == total ? "\n" : "")
        fflush(nil)
    }
}

/// `vireo search --store NAME "question"`: the best chunks with file, score and a snippet.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search a vector store of a local database or a running server (--url).")
    static let snippetCharactersMax = 160

    @Argument(help: "The question.")
    var query: String
    @OptionGroup var options: VectorStoreOptions
    @Option(name: .shortAndLong, help: "How many chunks (1–100).")
    var k = 5

    func run() async throws {
        guard (1...100).contains(k) else { throw ValidationError("-k must be from 1 to 100") }
        try await options.withStores { stores in
            guard let storeID = try await stores.storeID(named: options.store, create: false) else {
                throw VireoError(.undefinedTable, "no vector store called '\(options.store)' in \(options.database)")
            }
            for (rank, hit) in try await stores.search(store: storeID, query: query, limit: k).enumerated() {
                let snippet = hit.content.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                print(String(format: "%d. %.3f %@\n   %@", rank + 1, hit.score, hit.filename,
                             String(snippet.prefix(Self.snippetCharactersMax)) + (snippet.count > Self.snippetCharactersMax ? "…" : "")))
            }
        }
    }
}
