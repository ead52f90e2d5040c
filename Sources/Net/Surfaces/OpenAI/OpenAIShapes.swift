import VireoQuery
import VireoStorage

/// The objects of OpenAI's vector-store API as the official SDKs' models type them, written
/// from the records both surfaces share.
enum OpenAIShapes {
    static let attributes = Schema.nullable(.map(of: .any, count: 0...16))
    /// What answers carry: scalars only.
    static let scalarAttributes = Schema.nullable(.map(of: .any))
    static let metadata = Schema.nullable(.map(of: .string(length: 0...512), count: 0...16))
    static let expiresAfter = Schema.object([("anchor", .string(allowed: ["last_active_at"])), ("days", .integer(range: 1...365))],
                                            required: ["anchor", "days"])
    static let lastError = Schema.object([("code", .string(allowed: ["server_error", "unsupported_file", "invalid_file"])), ("message", .string())],
                                         required: ["code", "message"])

    static let store = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["vector_store"])), ("created_at", .integer()), ("file_counts", FileCounts.schema),
        ("last_active_at", .nullable(.integer())), ("metadata", .nullable(.map(of: .string()))), ("name", .string()),
        ("status", .string(allowed: ["expired", "in_progress", "completed"])), ("usage_bytes", .integer()),
        ("expires_after", .nullable(expiresAfter)), ("expires_at", .nullable(.integer())),
    ], required: ["id", "object", "created_at", "file_counts", "last_active_at", "metadata", "name", "status", "usage_bytes"])

    static func json(_ store: StoreRecord, now: Int64 = VectorStoreSQL.now()) -> JSONValue {
        let expiresAt = store.expiryTime, status = store.status(now: now)
        return .fields(("id", .string(store.id)), ("object", .string("vector_store")), ("created_at", .number(Double(store.createdAt))),
                       ("file_counts", store.counts.json), ("last_active_at", .number(Double(store.lastActiveAt))),
                       ("metadata", stringMap(store.metadata)), ("name", .string(store.name ?? "")), ("status", .string(status)),
                       ("usage_bytes", .number(Double(store.counts.usageBytes))), ("expires_after", store.expiresAfter),
                       ("expires_at", expiresAt.map { .number(Double($0)) } ?? .null))
    }

    static let storeFile = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["vector_store.file"])), ("created_at", .integer()),
        ("last_error", .nullable(lastError)), ("status", .string(allowed: FileStatus.all)), ("usage_bytes", .integer()),
        ("vector_store_id", .string()), ("attributes", scalarAttributes), ("chunking_strategy", OpenAIChunking.reportedSchema),
    ], required: ["id", "object", "created_at", "last_error", "status", "usage_bytes", "vector_store_id"])

    static func json(_ file: StoreFileRecord) -> JSONValue {
        let code = ["server_error", "unsupported_file", "invalid_file"].contains(file.errorCode ?? "") ? file.errorCode! : "server_error"
        let lastError: JSONValue = file.error.map { .fields(("code", .string(code)), ("message", .string($0))) } ?? .null
        return .fields(("id", .string(file.fileID)), ("object", .string("vector_store.file")), ("created_at", .number(Double(file.createdAt))),
                       ("last_error", lastError), ("status", .string(file.status)),
                       ("usage_bytes", .number(Double(file.status == FileStatus.completed ? file.bytes : 0))),
                       ("vector_store_id", .string(file.storeID)), ("attributes", scalarMap(file.attributes)),
                       ("chunking_strategy", OpenAIChunking.json(file.chunking)))
    }

    static let purposes = ["assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results", "vision", "user_data"]

    static let file = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["file"])), ("bytes", .integer()), ("created_at", .integer()), ("filename", .string()),
        ("purpose", .string(allowed: purposes)), ("status", .string(allowed: ["uploaded", "processed", "error"])),
        ("expires_at", .nullable(.integer())), ("status_details", .nullable(.string())),
    ], required: ["id", "object", "bytes", "created_at", "filename", "purpose", "status"])

    static func json(_ upload: UploadRecord) -> JSONValue {
        .fields(("id", .string(upload.id)), ("object", .string("file")), ("bytes", .number(Double(upload.bytes))),
                ("created_at", .number(Double(upload.createdAt))), ("filename", .string(upload.filename)),
                ("purpose", .string(upload.purpose)), ("status", .string("processed")), ("expires_at", .null), ("status_details", .null))
    }

    static let batch = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["vector_store.files_batch"])), ("created_at", .integer()),
        ("file_counts", FileCounts.schema), ("status", .string(allowed: FileStatus.all)), ("vector_store_id", .string()),
    ], required: ["id", "object", "created_at", "file_counts", "status", "vector_store_id"])

    /// Metadata as OpenAI types it, string → string: values set through seed 004's surface
    /// (which takes any JSON) are given as their JSON text.
    static func stringMap(_ value: JSONValue) -> JSONValue {
        guard case .object(let fields) = value else { return .null }
        return .object(fields.map { key, item in (key, item.unquotedText.map(JSONValue.string) ?? .string(item.text)) })
    }

    /// Attributes as OpenAI types them, string → string, number or boolean; other values as JSON text.
    static func scalarMap(_ value: JSONValue) -> JSONValue {
        guard case .object(let fields) = value else { return .null }
        return .object(fields.map { key, item in
            switch item {
            case .string, .number, .bool: (key, item)
            default: (key, .string(item.text))
            }
        })
    }

    static func deleted(_ id: String, _ object: String) -> JSONValue {
        .fields(("id", .string(id)), ("object", .string(object)), ("deleted", .bool(true)))
    }

    static func deletedSchema(_ object: String) -> Schema {
        .object([("id", .string()), ("object", .string(allowed: [object])), ("deleted", .boolean)], required: ["id", "object", "deleted"])
    }
}
