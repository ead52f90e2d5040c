import Foundation
import VireoQuery
import VireoStorage

/// Vector stores of a database opened in this process, for `vireo ingest` and `vireo search`:
/// the same pipeline and tables the REST surfaces use, every file processed at once.
public struct LocalVectorStores: Sendable {
    let service: VectorStoreService

    public init(engine: EngineAccess, embedder: any Embedder) {
        service = VectorStoreService(engine: engine, embedder: embedder, fileBytesMax: Int.max, inlineBytesMax: Int.max)
    }

    /// The id of the newest store called `name`, made when there is none and `create` is set.
    public func storeID(named name: String, create: Bool) async throws -> String? {
        let embedder = service.embedder.name
        return try await service.session { session in
            let sql = "SELECT id FROM \(VectorStoreSchema.stores) WHERE name = $1 ORDER BY seq DESC LIMIT 1"
            if let id = try session.execute(sql, [.text(name)]).rows.first?.first?.string { return id }
            guard create else { return nil }
            return try VectorStoreSQL.createStore(session, name: name, metadata: nil, embedder: embedder).id
        }
    }

    /// Names of the store's files already completed, so an interrupted ingest skips them.
    public func completedFilenames(store storeID: String) async throws -> Set<String> {
        try await service.session { session in
            let sql = "SELECT f.filename FROM \(StoreFileRecord.from) WHERE m.store_id = $1 AND m.status = $2"
            return Set(try session.execute(sql, [.text(storeID), .text(FileStatus.completed)]).rows.compactMap { $0.first?.string })
        }
    }

    /// Adds one file under `name`; returns its chunk count, or throws why it was refused.
    public func ingest(store storeID: String, name: String, bytes: [UInt8], attributes: String?,
                       chunkSizeTokens: Int?, chunkOverlapTokens: Int?) async throws -> Int {
        var attributeValue: JSONValue?
        if let attributes {
            guard let value = try? JSONValue.parse(attributes), case .object = value else {
                throw VireoError(.invalidParameter, "--attributes must be a JSON object")
            }
            attributeValue = value
        }
        let chunking = chunkSizeTokens.map { ChunkingStrategy(sizeTokens: $0, overlapTokens: chunkOverlapTokens ?? $0 / 4) }
        do {
            let record = try await service.addFile(store: storeID, .upload(filename: name, bytes: bytes, purpose: "assistants"),
                                                   attributes: attributeValue, chunking: chunking, rejectUnreadable: true)
            return Int(record.chunkCount)
        } catch let error as RESTError {
            throw VireoError(.invalidParameter, error.message)
        }
    }

    /// The best chunks for `query`: file name, score and text.
    public func search(store storeID: String, query: String, limit: Int) async throws -> [(filename: String, score: Double, content: String)] {
        do {
            return try await service.search(store: storeID, queries: [query], limit: limit, scoreThreshold: nil) { _ in nil }
                .map { ($0.filename, $0.score, $0.content) }
        } catch let error as RESTError {
            throw VireoError(.invalidParameter, error.message)
        }
    }

    /// Whether `path`'s extension is a format stores take.
    public static func isSupported(_ path: String) -> Bool { DocumentFormat(filename: path) != nil }
}
