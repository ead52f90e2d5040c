import VireoQuery
import VireoStorage

/// `$n` placeholders handed out in order, with their values.
struct SQLParameters {
    private(set) var values: [Value] = []

    /// The placeholder of a new parameter holding `value`.
    mutating func add(_ value: Value) -> String {
        values.append(value)
        return "$\(values.count)"
    }
}

/// One chunk a search found.
struct SearchHit: Sendable {
    var fileID: String
    var filename: String
    var chunkIndex: Int
    var content: String
    /// Cosine similarity, 1 for the same direction; clamped to 0…1.
    var score: Double
    var metadata: JSONValue
    var attributes: JSONValue
}

extension VectorStoreService {
    /// Chunks one search may return.
    static let searchResultsMax = 100
    /// Characters of one query (the embedder truncates long ones anyway).
    static let queryCharactersMax = 32_768
    /// How stale last_active_at may get before a search moves it forward.
    static let searchTouchIntervalSeconds: Int64 = 60

    /// The chunks of store `storeID` nearest each query, best first, at most `limit`, those
    /// under `scoreThreshold` left out. `condition` adds a filter over the chunks' columns.
    func search(store storeID: String, queries: [String], limit: Int, scoreThreshold: Double?,
                condition: @escaping @Sendable (inout SQLParameters) throws -> String?) async throws -> [SearchHit] {
        let store = try await session { session in
            let store = try VectorStoreSQL.store(session, storeID, counted: false)
            // A search is activity (it moves an expiry anchored at last_active_at), but a
            // write per read would make every search a commit: once a minute is enough.
            if store.status() != "expired", store.lastActiveAt < VectorStoreSQL.now() - Self.searchTouchIntervalSeconds {
                try Self.touch(session, storeID)
            }
            return store
        }
        guard store.status() != "expired" else {
            throw RESTError(.badRequest, code: "vector_store_expired", "vector store \(storeID) expired; the background worker deletes it")
        }
        guard store.embedder == embedder.name else {
            throw RESTError(.conflict, code: "embedder_mismatch", "vector store \(storeID) was embedded with \(store.embedder); "
                + "this server embeds with \(embedder.name): restart it with that embedder (--embedder) or re-ingest the files")
        }
        let vectors = try await embed(queries)
        var best: [String: SearchHit] = [:]
        for vector in vectors {
            let (sql, parameters) = try Self.searchStatement(store: storeID, vector: vector, limit: limit, condition: condition)
            let rows = try await session { try $0.execute(sql, parameters).rows }
            for hit in rows.map(Self.hit) where hit.score >= (scoreThreshold ?? -1) {
                let key = hit.fileID + "#\(hit.chunkIndex)"
                if (best[key]?.score ?? -1) < hit.score { best[key] = hit }
            }
        }
        let sorted = best.values.sorted { $0.score != $1.score ? $0.score > $1.score : ($0.fileID, $0.chunkIndex) < ($1.fileID, $1.chunkIndex) }
        return Array(sorted.prefix(limit))
    }

    /// One statement the planner serves with the HNSW index (cosine):
    /// `… WHERE store_id = $2 [AND filter] ORDER BY embedding <=> $1 LIMIT k`.
    static func searchStatement(store storeID: String, vector: [Float], limit: Int,
                                condition: (inout SQLParameters) throws -> String?) throws -> (String, [Value]) {
        var parameters = SQLParameters()
        let query = parameters.add(.vector(vector))
        var terms = ["store_id = " + parameters.add(.text(storeID))]
        if let filter = try condition(&parameters) { terms.append("(" + filter + ")") }
        let sql = "SELECT file_id, filename, chunk_index, content, metadata, attributes, embedding <=> \(query) AS distance "
            + "FROM \(VectorStoreSchema.chunks) WHERE \(terms.joined(separator: " AND ")) ORDER BY embedding <=> \(query) LIMIT \(limit)"
        return (sql, parameters.values)
    }

    static func hit(_ row: [Value]) -> SearchHit {
        let distance: Double = switch row[6] {
        case .double(let value): value
        case .int(let value): Double(value)
        default: 2
        }
        return SearchHit(fileID: row[0].string ?? "", filename: row[1].string ?? "", chunkIndex: Int(row[2].integer ?? 0),
                         content: row[3].string ?? "", score: min(1, max(0, 1 - distance)), metadata: JSONValue(row[4]),
                         attributes: JSONValue(row[5]))
    }
}

/// MAIA's filter: an object of equalities, all of which must hold; each key matches the
/// chunk's metadata or the file's attributes (jsonb containment, so 1 matches 1, not "1").
enum EqualityFilter {
    static func condition(_ filter: [(String, JSONValue)], _ parameters: inout SQLParameters) -> String? {
        guard !filter.isEmpty else { return nil }
        return filter.map { key, value in
            let pair = parameters.add(.json(JSONValue.object([(key, value)]).text))
            return "(metadata @> \(pair) OR attributes @> \(pair))"
        }.joined(separator: " AND ")
    }
}
