import Foundation
import VireoQuery
import VireoStorage

/// A vector store as its table holds it, with its file counts counted from its files.
struct StoreRecord: Sendable {
    static let columns = "seq, id, name, metadata, embedder, created_at, updated_at, last_active_at, expires_after, expires_at"
    var seq: Int64
    var id: String
    var name: String?
    var metadata: JSONValue
    var embedder: String
    var createdAt: Int64
    var updatedAt: Int64
    var lastActiveAt: Int64
    var expiresAfter: JSONValue
    var expiresAt: Int64?
    var counts = FileCounts()

    init(_ row: [Value]) {
        seq = row[0].integer ?? 0
        id = row[1].string ?? ""
        name = row[2].string
        metadata = JSONValue(row[3])
        embedder = row[4].string ?? ""
        createdAt = row[5].integer ?? 0
        updatedAt = row[6].integer ?? 0
        lastActiveAt = row[7].integer ?? 0
        expiresAfter = JSONValue(row[8])
        expiresAt = row[9].integer
    }

    /// When the store expires: its fixed `expires_at`, else `expires_after.days` after it was
    /// last active (OpenAI's only anchor); nil for a store that never expires.
    var expiryTime: Int64? {
        if let expiresAt { return expiresAt }
        guard case .number(let days)? = expiresAfter.field(.text("days")) else { return nil }
        return lastActiveAt + Int64(days) * 86_400
    }

    /// OpenAI's and MAIA's status: expired once past its expiry (the background worker then
    /// deletes it), in progress while files are, else completed.
    func status(now: Int64 = VectorStoreSQL.now()) -> String {
        if let expiry = expiryTime, expiry <= now { return "expired" }
        return counts.inProgress > 0 ? "in_progress" : "completed"
    }
}

/// Files of a store by status, and the bytes they hold.
struct FileCounts: Sendable {
    var inProgress = 0, completed = 0, cancelled = 0, failed = 0
    var usageBytes: Int64 = 0
    var total: Int { inProgress + completed + cancelled + failed }

    mutating func add(status: String, count: Int) {
        switch status {
        case FileStatus.inProgress: inProgress += count
        case FileStatus.completed: completed += count
        case FileStatus.cancelled: cancelled += count
        default: failed += count
        }
    }

    var json: JSONValue {
        .fields(("in_progress", .integer(inProgress)), ("completed", .integer(completed)), ("cancelled", .integer(cancelled)),
                ("failed", .integer(failed)), ("total", .integer(total)))
    }

    static let schema = Schema.object(["in_progress", "completed", "cancelled", "failed", "total"].map { ($0, .integer()) },
                                      required: ["in_progress", "completed", "cancelled", "failed", "total"])
}

/// The statuses a file in a store goes through.
enum FileStatus {
    static let inProgress = "in_progress"
    static let completed = "completed"
    static let cancelled = "cancelled"
    static let failed = "failed"
    static let all = [inProgress, completed, cancelled, failed]
}

/// A file in a store, joined with the uploaded file it is.
struct StoreFileRecord: Sendable {
    static let columns = """
        m.seq, m.store_id, m.file_id, m.status, m.chunk_count, m.attributes, m.error_code, m.error, m.chunk_size, \
        m.chunk_overlap, m.created_at, f.filename, f.bytes, f.content_type, f.purpose, m.batch_id
        """
    static let from = "\(VectorStoreSchema.storeFiles) m JOIN \(VectorStoreSchema.files) f ON f.id = m.file_id"
    var seq: Int64
    var storeID: String
    var fileID: String
    var status: String
    var chunkCount: Int64
    var attributes: JSONValue
    var errorCode: String?
    var error: String?
    var chunking: ChunkingStrategy
    var createdAt: Int64
    var filename: String
    var bytes: Int64
    var contentType: String?
    var purpose: String
    var batchID: String?

    init(_ row: [Value]) {
        seq = row[0].integer ?? 0
        storeID = row[1].string ?? ""
        fileID = row[2].string ?? ""
        status = row[3].string ?? FileStatus.failed
        chunkCount = row[4].integer ?? 0
        attributes = JSONValue(row[5])
        errorCode = row[6].string
        error = row[7].string
        chunking = ChunkingStrategy(sizeTokens: Int(row[8].integer ?? 0), overlapTokens: Int(row[9].integer ?? 0))
        createdAt = row[10].integer ?? 0
        filename = row[11].string ?? ""
        bytes = row[12].integer ?? 0
        contentType = row[13].string
        purpose = row[14].string ?? "assistants"
        batchID = row[15].string
    }
}

/// An uploaded file (OpenAI's file object; MAIA uploads make one too).
struct UploadRecord: Sendable {
    static let columns = "seq, id, filename, purpose, bytes, content_type, created_at"
    var seq: Int64
    var id: String
    var filename: String
    var purpose: String
    var bytes: Int64
    var contentType: String?
    var createdAt: Int64

    init(_ row: [Value]) {
        seq = row[0].integer ?? 0
        id = row[1].string ?? ""
        filename = row[2].string ?? ""
        purpose = row[3].string ?? ""
        bytes = row[4].integer ?? 0
        contentType = row[5].string
        createdAt = row[6].integer ?? 0
    }
}

extension Value {
    var string: String? { if case .text(let text) = self { text } else { nil } }
    var integer: Int64? { exactInteger }
}

/// The vector-store statements both surfaces share: records by id, pages, counts.
enum VectorStoreSQL {
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Ids are UUIDs, as MAIA's paths take them (OpenAI's clients take any string).
    static func newID() -> String { UUID().uuidString.lowercased() }

    /// The store with `id` and its counts (left at zero without `counted`), or a 404.
    static func store(_ session: Session, _ id: String, counted: Bool = true) throws -> StoreRecord {
        let rows = try session.execute("SELECT \(StoreRecord.columns) FROM \(VectorStoreSchema.stores) WHERE id = $1", [.text(id)]).rows
        guard let row = rows.first else { throw storeNotFound(id) }
        var store = StoreRecord(row)
        if counted { store.counts = try counts(session, [id])[id] ?? FileCounts() }
        return store
    }

    static func storeNotFound(_ id: String) -> RESTError {
        var error = RESTError.notFound("vector store \(id) not found", field: "vector_store_id")
        error.code = "vector_store_not_found"
        return error
    }

    static func fileNotFound(_ id: String) -> RESTError {
        var error = RESTError.notFound("file \(id) not found", field: "file_id")
        error.code = "file_not_found"
        return error
    }

    /// File counts and bytes of the stores `ids`, from their files' statuses.
    static func counts(_ session: Session, _ ids: [String]) throws -> [String: FileCounts] {
        guard !ids.isEmpty else { return [:] }
        let list = ids.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let sql = "SELECT m.store_id, m.status, count(*), sum(f.bytes) FROM \(StoreFileRecord.from) "
            + "WHERE m.store_id IN (\(list)) GROUP BY m.store_id, m.status"
        var counts: [String: FileCounts] = [:]
        for row in try session.execute(sql, ids.map(Value.text)).rows {
            guard let id = row[0].string, let status = row[1].string else { continue }
            counts[id, default: FileCounts()].add(status: status, count: Int(row[2].integer ?? 0))
            if status == FileStatus.completed { counts[id, default: FileCounts()].usageBytes += row[3].integer ?? 0 }
        }
        return counts
    }

    /// A page of stores in `seq` order, with their counts.
    static func stores(_ session: Session, descending: Bool, limit: Int, offset: Int = 0, after: Int64? = nil) throws -> [StoreRecord] {
        let (clause, parameters) = cursorClause(after, descending)
        let sql = "SELECT \(StoreRecord.columns) FROM \(VectorStoreSchema.stores)\(clause) ORDER BY seq \(descending ? "DESC" : "ASC") "
            + "LIMIT \(limit) OFFSET \(offset)"
        var stores = try session.execute(sql, parameters).rows.map(StoreRecord.init)
        let counts = try counts(session, stores.map(\.id))
        for index in stores.indices { stores[index].counts = counts[stores[index].id] ?? FileCounts() }
        return stores
    }

    /// ` WHERE seq < $1` (or `>`) for cursor pages.
    static func cursorClause(_ after: Int64?, _ descending: Bool, prefix: String = "", and extra: String? = nil) -> (String, [Value]) {
        var terms: [String] = extra.map { [$0] } ?? []
        var parameters: [Value] = []
        if let after {
            parameters.append(.int(after))
            terms.append("\(prefix)seq \(descending ? "<" : ">") $\(parameters.count)")
        }
        return (terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND "), parameters)
    }

    /// The file `fileID` of store `storeID`, or a 404.
    static func storeFile(_ session: Session, store storeID: String, file fileID: String) throws -> StoreFileRecord {
        let sql = "SELECT \(StoreFileRecord.columns) FROM \(StoreFileRecord.from) WHERE m.store_id = $1 AND m.file_id = $2"
        guard let row = try session.execute(sql, [.text(storeID), .text(fileID)]).rows.first else { throw fileNotFound(fileID) }
        return StoreFileRecord(row)
    }

    /// Deletes a store with its files' memberships and chunks; false when there was none.
    static func deleteStore(_ session: Session, _ id: String) throws -> Bool {
        try TableSQL.transaction(session) {
            try session.execute("DELETE FROM \(VectorStoreSchema.chunks) WHERE store_id = $1", [.text(id)])
            try session.execute("DELETE FROM \(VectorStoreSchema.storeFiles) WHERE store_id = $1", [.text(id)])
            try session.execute("DELETE FROM \(VectorStoreSchema.batches) WHERE store_id = $1", [.text(id)])
            return try session.execute("DELETE FROM \(VectorStoreSchema.stores) WHERE id = $1", [.text(id)]).rowCount > 0
        }
    }

    /// Removes a file from a store with its chunks; false when it was not there.
    static func detachFile(_ session: Session, store storeID: String, file fileID: String) throws -> Bool {
        try TableSQL.transaction(session) {
            try session.execute("DELETE FROM \(VectorStoreSchema.chunks) WHERE store_id = $1 AND file_id = $2", [.text(storeID), .text(fileID)])
            return try session.execute("DELETE FROM \(VectorStoreSchema.storeFiles) WHERE store_id = $1 AND file_id = $2",
                                       [.text(storeID), .text(fileID)]).rowCount > 0
        }
    }

    /// A new store; returns it.
    static func createStore(_ session: Session, name: String?, metadata: JSONValue?, embedder: String,
                            expiresAfter: JSONValue? = nil) throws -> StoreRecord {
        let id = newID(), now = now()
        try session.execute("""
            INSERT INTO \(VectorStoreSchema.stores) (id, name, metadata, embedder, created_at, updated_at, last_active_at, expires_after)
            VALUES ($1, $2, $3, $4, $5, $5, $5, $6)
            """, [.text(id), name.map(Value.text) ?? .null, metadata.map { .json($0.text) } ?? .null, .text(embedder), .int(now),
                  expiresAfter.map { .json($0.text) } ?? .null])
        return try store(session, id)
    }
}
