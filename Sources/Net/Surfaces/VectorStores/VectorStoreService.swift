import Foundation
import Synchronization
import VireoQuery
import VireoStorage

/// The vector-store pipeline both surfaces share: uploads checked and kept, text extracted,
/// chunked and embedded (inline up to `inlineBytesMax`, else by the background worker),
/// chunks written with their file in one transaction, and searches.
public final class VectorStoreService: Sendable {
    /// Files up to this size are processed while the request waits (the seed's 50 KB).
    public static let inlineBytesMax = 50 * 1024
    /// Texts one embedder call takes.
    static let embedBatchMax = 32
    /// Chunk rows one INSERT carries.
    static let insertRowsMax = 64
    static let jobKind = "vector_store_file"

    public let embedder: any Embedder
    public let fileBytesMax: Int
    /// Files up to this size are processed at once; `vireo ingest` processes every file so.
    let inlineBytesMax: Int
    let engine: EngineAccess
    public let worker: BackgroundWorker
    private let schemaReady = Mutex(false)

    /// `expirySweepIntervalMs`: how often the background worker deletes expired stores.
    public init(engine: EngineAccess, embedder: any Embedder, fileBytesMax: Int, inlineBytesMax: Int = VectorStoreService.inlineBytesMax,
                expirySweepIntervalMs: Int = VectorStoreService.expirySweepIntervalMsDefault) {
        self.engine = engine
        self.inlineBytesMax = inlineBytesMax
        self.embedder = embedder
        self.fileBytesMax = fileBytesMax
        worker = BackgroundWorker(engine: engine)
        worker.register(Self.jobKind) { [weak self] job in try await self?.process(job) }
        worker.every(expirySweepIntervalMs, "expire vector stores") { [weak self] in _ = try await self?.deleteExpiredStores() }
    }

    /// Creates the tables that are missing (at serve start; requests call it too, at no cost).
    public func prepare() async throws {
        if schemaReady.withLock({ $0 }) { return }
        let dimension = embedder.dimension, name = embedder.name
        try await engine.session { session in
            try VectorStoreSchema.create(session, dimension: dimension, embedder: name)
            try BackgroundQueue.create(session)
        }
        schemaReady.withLock { $0 = true }
    }

    /// Runs `body` with a fresh session once the tables exist. Tables dropped behind the
    /// service's back (with SQL) are made again, empty, and the work retried. Work that lost a
    /// write conflict (40001) to a concurrent commit is run again from the start, up to
    /// `conflictAttemptsMax` times: concurrent uploads to one store all update its row.
    func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        try await prepare()
        for attempt in 1... {
            do {
                return try await engine.session(body)
            } catch let error as VireoError where error.code == .undefinedTable {
                schemaReady.withLock { $0 = false }
                try await prepare()
                return try await engine.session(body)
            } catch let error as VireoError where error.code == .serializationFailure && attempt < Self.conflictAttemptsMax {
                continue
            }
        }
        preconditionFailure("the loop returns or throws by its last attempt")
    }

    /// Runs of one piece of work that keeps losing write conflicts before the 40001 reaches the client.
    static let conflictAttemptsMax = 8

    // MARK: Uploads

    /// The format of `filename`, or a 400 naming the supported ones.
    static func format(_ filename: String) throws -> DocumentFormat {
        guard let format = DocumentFormat(filename: filename) else {
            throw RESTError(.badRequest, code: "unsupported_file_type",
                            "unsupported file type '\(filename)'; supported: \(DocumentFormat.extensionList)", field: "file")
        }
        return format
    }

    /// Checks what can be checked without extracting: format, size, and UTF-8 for text formats.
    func check(filename: String, bytes: [UInt8]) throws -> DocumentFormat {
        let format = try Self.format(filename)
        guard bytes.count <= fileBytesMax else {
            throw RESTError(.contentTooLarge, code: "file_too_large", "the file is \(bytes.count) bytes; the limit is \(fileBytesMax)", field: "file")
        }
        guard !bytes.isEmpty else { throw RESTError(.badRequest, code: "empty_file", "the file is empty", field: "file") }
        if !format.isBinary { _ = try Self.clientFault { try DocumentFormat.utf8(bytes) } }
        return format
    }

    /// Stores an upload (OpenAI's files.create) after checking it.
    func storeUpload(_ session: Session, filename: String, bytes: [UInt8], purpose: String, format: DocumentFormat) throws -> UploadRecord {
        let id = VectorStoreSQL.newID()
        try session.execute("""
            INSERT INTO \(VectorStoreSchema.files) (id, filename, purpose, bytes, content_type, content, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(id), .text(filename), .text(purpose), .int(Int64(bytes.count)), .text(format.contentType), .bytes(bytes),
                  .int(VectorStoreSQL.now())])
        return try Self.upload(session, id)
    }

    static func upload(_ session: Session, _ id: String) throws -> UploadRecord {
        let sql = "SELECT \(UploadRecord.columns) FROM \(VectorStoreSchema.files) WHERE id = $1"
        guard let row = try session.execute(sql, [.text(id)]).rows.first else { throw VectorStoreSQL.fileNotFound(id) }
        return UploadRecord(row)
    }

    static func uploadContent(_ session: Session, _ id: String) throws -> [UInt8] {
        let rows = try session.execute("SELECT content FROM \(VectorStoreSchema.files) WHERE id = $1", [.text(id)]).rows
        guard case .bytes(let bytes)? = rows.first?.first else { throw VectorStoreSQL.fileNotFound(id) }
        return bytes
    }

    // MARK: Adding files to stores

    /// What to attach: a new upload (MAIA) or one already stored (OpenAI's file_id).
    enum Source: Sendable {
        case upload(filename: String, bytes: [UInt8], purpose: String)
        case stored(fileID: String)
    }

    /// Adds a file to a store: small files are chunked and embedded now (a document with
    /// no text is a 400 when `rejectUnreadable`, else a failed file), larger ones are queued.
    func addFile(store storeID: String, _ source: Source, attributes: JSONValue?, chunking: ChunkingStrategy?,
                 batchID: String? = nil, rejectUnreadable: Bool) async throws -> StoreFileRecord {
        let chunking = chunking ?? ChunkingStrategy.auto(maxInputTokens: embedder.maxInputTokens)
        let (filename, bytes, format) = try await resolve(source, store: storeID)
        var outcome = Outcome.queued
        if bytes.count <= inlineBytesMax {
            do {
                outcome = .chunks(try await chunksAndVectors(bytes, format, chunking))
            } catch let error as ExtractionError {
                if error.isServerFault || rejectUnreadable { throw error.restError }
                outcome = .failed(code: "invalid_file", message: error.message)
            }
        }
        let finalOutcome = outcome
        let record = try await session { [self] session in
            try TableSQL.transaction(session) {
                _ = try VectorStoreSQL.store(session, storeID, counted: false)
                let fileID: String
                switch source {
                case .stored(let id): fileID = id
                case .upload(_, let bytes, let purpose):
                    fileID = try storeUpload(session, filename: filename, bytes: bytes, purpose: purpose, format: format).id
                }
                try Self.insertMembership(session, store: storeID, file: fileID, attributes: attributes, chunking: chunking,
                                          batchID: batchID, outcome: finalOutcome, filename: filename, contentType: format.contentType)
                if case .queued = finalOutcome {
                    try BackgroundQueue.enqueue(session, kind: Self.jobKind, key: storeID + " " + fileID)
                }
                return try VectorStoreSQL.storeFile(session, store: storeID, file: fileID)
            }
        }
        if case .queued = finalOutcome { worker.wake() }
        return record
    }

    /// The source's name, bytes and format, checked; the store must exist (404 first).
    private func resolve(_ source: Source, store storeID: String) async throws -> (String, [UInt8], DocumentFormat) {
        switch source {
        case .upload(let filename, let bytes, _):
            _ = try await session { try VectorStoreSQL.store($0, storeID, counted: false) }
            return (filename, bytes, try check(filename: filename, bytes: bytes))
        case .stored(let fileID):
            let (upload, bytes) = try await session { session in
                _ = try VectorStoreSQL.store(session, storeID, counted: false)
                return (try Self.upload(session, fileID), try Self.uploadContent(session, fileID))
            }
            return (upload.filename, bytes, try Self.format(upload.filename))
        }
    }

    /// What processing a file came to.
    enum Outcome: Sendable {
        case chunks(PreparedChunks)
        case queued
        case failed(code: String, message: String)
    }

    /// Chunks and their vectors, in order.
    struct PreparedChunks: Sendable {
        var texts: [String]
        var vectors: [[Float]]
    }

    /// Extracts (on the engine's pool: pdftotext blocks), chunks and embeds a document.
    func chunksAndVectors(_ bytes: [UInt8], _ format: DocumentFormat, _ chunking: ChunkingStrategy) async throws -> PreparedChunks {
        let embedder = self.embedder
        let texts = try await engine.blocking {
            try TextChunker.chunks(try format.text(of: bytes), chunking, tokenCount: embedder.tokenCount)
        }
        return PreparedChunks(texts: texts, vectors: try await embed(texts))
    }

    /// Vectors for `texts`, in batches; a failing embedder is a 502.
    func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: Self.embedBatchMax) {
            let batch = Array(texts[start..<min(texts.count, start + Self.embedBatchMax)])
            do {
                let batchVectors = try await embedder.embed(batch)
                guard batchVectors.count == batch.count, batchVectors.allSatisfy({ $0.count == embedder.dimension }) else {
                    throw RESTError(.badGateway, code: "embedding_service_error", "the embedder \(embedder.name) returned malformed vectors")
                }
                vectors += batchVectors
            } catch let error as RESTError {
                throw error
            } catch {
                throw RESTError(.badGateway, code: "embedding_service_error", "the embedder \(embedder.name) failed: \(error)")
            }
        }
        return vectors
    }

    /// Runs `body`, turning a document's own fault into a 400.
    static func clientFault<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as ExtractionError {
            throw error.restError
        }
    }
}

extension ExtractionError {
    /// A 400 for the document's fault, a 503 for the server's (a missing or stuck tool).
    var restError: RESTError {
        isServerFault ? RESTError(.serviceUnavailable, code: "extraction_unavailable", message)
            : RESTError(.badRequest, code: "invalid_document", message, field: "file")
    }
}
