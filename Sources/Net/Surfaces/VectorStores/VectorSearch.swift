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

/// How a vector-store search orders chunks: by embedding similarity, by BM25 over the
/// chunks' words, or both fused as `hybrid_search` fuses them (the default).
enum SearchRanking: String, CaseIterable, Sendable {
    case vector, keyword, hybrid

    static let fieldDescription = "vector (score: cosine similarity), keyword (BM25 over the chunks' words) or hybrid (both fused by relative score fusion as hybrid_search does, the default); for hybrid, score is the mean of each ranking's score scaled to 0…1 between its worst and best of max(4 × max results, 50) candidates (1: first in every ranking, a ranking that misses the chunk adding 0), for keyword that BM25 part alone"

    /// The request's `ranking` field; hybrid when absent.
    static func requested(_ value: JSONValue?) throws -> SearchRanking {
        guard let value else { return .hybrid }
        guard let ranking = SearchRanking(rawValue: value.unquotedText ?? "") else {
            throw RESTError.invalid("ranking", "must be vector, keyword or hybrid")
        }
        return ranking
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
    func search(store storeID: String, queries: [String], limit: Int, scoreThreshold: Double?, ranking: SearchRanking = .hybrid,
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
        var best: [String: (hit: SearchHit, order: Double)] = [:]
        for (query, vector) in zip(queries, vectors) {
            let ranked = try await rankedHits(store: storeID, query: query, vector: vector, limit: limit, ranking: ranking, condition: condition)
            for (hit, order) in ranked where hit.score >= (scoreThreshold ?? -1) {
                let key = hit.fileID + "#\(hit.chunkIndex)"
                if (best[key]?.order ?? -1) < order { best[key] = (hit, order) }
            }
        }
        let sorted = best.values.sorted {
            $0.order != $1.order ? $0.order > $1.order : ($0.hit.fileID, $0.hit.chunkIndex) < ($1.hit.fileID, $1.hit.chunkIndex)
        }
        return Array(sorted.prefix(limit).map(\.hit))
    }

    /// One query's hits with their scores, which they sort by: the cosine similarity for
    /// vector ranking; for hybrid, the fusion of `hybrid_search` (HybridSearchSQL: relative
    /// score fusion of the BM25 and the vector ranking, each taking max(4 × limit, 50) chunks),
    /// and for keyword its BM25 part alone, both scaled so that a chunk first in every ranking
    /// scores 1.
    private func rankedHits(store storeID: String, query: String, vector: [Float], limit: Int, ranking: SearchRanking,
                            condition: @escaping @Sendable (inout SQLParameters) throws -> String?) async throws -> [(SearchHit, Double)] {
        if ranking == .vector {
            let (sql, parameters) = try Self.searchStatement(store: storeID, vector: vector, limit: limit, condition: condition)
            return try await session { try $0.execute(sql, parameters).rows }.map(Self.hit).map { ($0, $0.score) }
        }
        let rows = try await session { session in
            let (sql, parameters) = try Self.fusedStatement(session, store: storeID, query: query, vector: vector, limit: limit,
                                                            sides: ranking == .keyword ? .keyword : .both, condition: condition)
            return try session.execute(sql, parameters).rows
        }
        let weights = ranking == .keyword ? 1.0 : 2.0
        return rows.map { row in
            let hit = Self.hit(row, score: (Self.number(row[6]) ?? 0) / weights)
            return (hit, hit.score)
        }
    }

    /// The chunks' columns that a hit reads, in `hit(_:)`'s order.
    static let hitColumns = ["file_id", "filename", "chunk_index", "content", "metadata", "attributes"]

    /// The statement `hybrid_search` runs (HybridSearchSQL, equal weights, its default
    /// fusion) over the store's chunks: the hit's columns, then score, keyword_rank and
    /// vector_rank, best first. `sides` .keyword ranks by the BM25 side alone.
    static func fusedStatement(_ session: Session, store storeID: String, query: String, vector: [Float], limit: Int,
                               sides: HybridSearchSQL.Sides, condition: (inout SQLParameters) throws -> String?) throws -> (String, [Value]) {
        let table = try session.tableDefinition(VectorStoreSchema.chunks)
        var parameters = SQLParameters()
        let text = parameters.add(.text(query)), vectorParameter = parameters.add(.vector(vector))
        var terms = ["store_id = " + parameters.add(.text(storeID))]
        if let filter = try condition(&parameters) { terms.append("(" + filter + ")") }
        let sql = HybridSearchSQL.statement(table: table, key: "id", tsv: VectorStoreSchema.textColumn, vectorColumn: "embedding",
                                            text: text, vector: vectorParameter, k: String(limit),
                                            filter: terms.joined(separator: " AND "), columns: hitColumns, sides: sides)
        return (sql, parameters.values)
    }

    /// One statement the planner serves with the HNSW index (cosine):
    /// `… WHERE store_id = $2 [AND filter] ORDER BY embedding <=> $1 LIMIT k`.
    static func searchStatement(store storeID: String, vector: [Float], limit: Int,
                                condition: (inout SQLParameters) throws -> String?) throws -> (String, [Value]) {
        var parameters = SQLParameters()
        let query = parameters.add(.vector(vector))
        var terms = ["store_id = " + parameters.add(.text(storeID))]
        if let filter = try condition(&parameters) { terms.append("(" + filter + ")") }
        let sql = "SELECT \(hitColumns.joined(separator: ", ")), embedding <=> \(query) AS distance "
            + "FROM \(VectorStoreSchema.chunks) WHERE \(terms.joined(separator: " AND ")) ORDER BY embedding <=> \(query) LIMIT \(limit)"
        return (sql, parameters.values)
    }

    /// A row of `searchStatement`: the hit's columns, then the cosine distance (its score is
    /// the similarity, clamped to 0…1).
    static func hit(_ row: [Value]) -> SearchHit {
        hit(row, score: 1 - (number(row[6]) ?? 2))
    }

    /// A row of the hit's columns (`hitColumns`) with `score`, clamped to 0…1.
    static func hit(_ row: [Value], score: Double) -> SearchHit {
        SearchHit(fileID: row[0].string ?? "", filename: row[1].string ?? "", chunkIndex: Int(row[2].integer ?? 0),
                  content: row[3].string ?? "", score: min(1, max(0, score)), metadata: JSONValue(row[4]),
                  attributes: JSONValue(row[5]))
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .double(let value): value
        case .int(let value): Double(value)
        case .numeric(let value): value.double
        default: nil
        }
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
