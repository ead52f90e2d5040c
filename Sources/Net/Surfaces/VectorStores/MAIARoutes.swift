import VireoQuery
import VireoStorage

/// Seed 004 (MAIA VectorDB): vector stores, files uploaded as multipart, and search, under
/// `/v1`. Every route runs statements over the vector-store tables through the service.
enum MAIARoutes {
    static var all: [RouteDeclaration] { [create, list, retrieve, delete, upload, file, search] }

    static let pageDefault = 20
    static let pageMax = 100
    static let searchDefault = 10
    static let storeParameter = ParameterDeclaration("vector_store_id", in: .path, .string(), summary: "the vector store's id")
    static let metadata = Schema.nullable(.map(of: .any))
    static let attributes = Schema.nullable(.map(of: .any))

    static let store = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["vector_store"])), ("name", .nullable(.string())),
        ("status", .string(allowed: ["in_progress", "completed", "expired"])), ("file_counts", FileCounts.schema),
        ("metadata", metadata), ("created_at", .integer()), ("updated_at", .integer()), ("expires_at", .nullable(.integer())),
    ], required: ["id", "object", "name", "status", "file_counts", "metadata", "created_at", "updated_at", "expires_at"])

    static let fileObject = Schema.object([
        ("id", .string()), ("object", .string(allowed: ["vector_store.file"])), ("vector_store_id", .string()), ("filename", .string()),
        ("status", .string(allowed: FileStatus.all)), ("bytes", .integer()), ("chunk_count", .integer()),
        ("content_type", .nullable(.string())), ("attributes", attributes), ("purpose", .string()), ("created_at", .integer()),
        ("last_error", .nullable(.object([("code", .string()), ("message", .string())], required: ["code", "message"]))),
    ], required: ["id", "object", "vector_store_id", "filename", "status", "bytes", "chunk_count", "content_type", "attributes",
                  "purpose", "created_at"])

    static let create = RouteDeclaration(
        .post, "/v1/vector_stores", summary: "Create a vector store",
        requestBody: .object([("name", .nullable(.string(length: 0...1024))), ("metadata", metadata)]), status: .created, response: store
    ) { input, services in
        let service = services.vectorStores
        let name = input.field("name")?.unquotedText, metadata = input.field("metadata")?.nonNull, embedder = service.embedder.name
        let record = try await services.vectorStores.session { try VectorStoreSQL.createStore($0, name: name, metadata: metadata, embedder: embedder) }
        return RouteOutput(json(record))
    }

    static let list = RouteDeclaration(
        .get, "/v1/vector_stores", summary: "List vector stores, newest first unless told",
        parameters: [
            ParameterDeclaration("limit", in: .query, .integer(range: 1...Int64(pageMax)), summary: "stores per page (default \(pageDefault))"),
            ParameterDeclaration("offset", in: .query, .integer(range: 0...Int64(Int32.max)), summary: "stores to skip"),
            ParameterDeclaration("order", in: .query, .string(allowed: ["asc", "desc"]), summary: "by creation (default desc)"),
        ],
        response: .object([("object", .string(allowed: ["list"])), ("data", .array(of: store)), ("first_id", .nullable(.string())),
                           ("last_id", .nullable(.string())), ("has_more", .boolean)],
                          required: ["object", "data", "first_id", "last_id", "has_more"])
    ) { input, services in
        let limit = input.query("limit").flatMap { Int($0) } ?? pageDefault
        let offset = input.query("offset").flatMap { Int($0) } ?? 0
        let descending = input.query("order") != "asc"
        // One more than the page, to know whether there is a next one.
        let stores = try await services.vectorStores.session { try VectorStoreSQL.stores($0, descending: descending, limit: limit + 1, offset: offset) }
        let page = stores.prefix(limit)
        return RouteOutput(.fields(("object", .string("list")), ("data", .array(page.map(json))),
                                   ("first_id", page.first.map { .string($0.id) } ?? .null),
                                   ("last_id", page.last.map { .string($0.id) } ?? .null), ("has_more", .bool(stores.count > limit))))
    }

    static let retrieve = RouteDeclaration(
        .get, "/v1/vector_stores/{vector_store_id}", summary: "One vector store", parameters: [storeParameter], response: store
    ) { input, services in
        let id = input.path("vector_store_id")
        return RouteOutput(json(try await services.vectorStores.session { try VectorStoreSQL.store($0, id) }))
    }

    static let delete = RouteDeclaration(
        .delete, "/v1/vector_stores/{vector_store_id}", summary: "Delete a vector store with its files and chunks",
        parameters: [storeParameter],
        response: .object([("id", .string()), ("object", .string(allowed: ["vector_store.deleted"])), ("deleted", .boolean)],
                          required: ["id", "object", "deleted"])
    ) { input, services in
        let id = input.path("vector_store_id")
        guard try await services.vectorStores.session({ try VectorStoreSQL.deleteStore($0, id) }) else { throw VectorStoreSQL.storeNotFound(id) }
        return RouteOutput(.fields(("id", .string(id)), ("object", .string("vector_store.deleted")), ("deleted", .bool(true))))
    }

    static let file = RouteDeclaration(
        .get, "/v1/vector_stores/{vector_store_id}/files/{file_id}", summary: "A file's processing status",
        parameters: [storeParameter, ParameterDeclaration("file_id", in: .path, .string(), summary: "the file's id")], response: fileObject
    ) { input, services in
        let (storeID, fileID) = (input.path("vector_store_id"), input.path("file_id"))
        let record = try await services.vectorStores.session { session in
            _ = try VectorStoreSQL.store(session, storeID, counted: false)
            return try VectorStoreSQL.storeFile(session, store: storeID, file: fileID)
        }
        return RouteOutput(json(record))
    }

    // MARK: Shapes

    static func json(_ store: StoreRecord) -> JSONValue {
        .fields(("id", .string(store.id)), ("object", .string("vector_store")), ("name", store.name.map(JSONValue.string) ?? .null),
                ("status", .string(store.status())), ("file_counts", store.counts.json),
                ("metadata", store.metadata), ("created_at", .number(Double(store.createdAt))),
                ("updated_at", .number(Double(store.updatedAt))), ("expires_at", store.expiryTime.map { .number(Double($0)) } ?? .null))
    }

    static func json(_ file: StoreFileRecord) -> JSONValue {
        let lastError: JSONValue = file.error.map { .fields(("code", .string(file.errorCode ?? "server_error")), ("message", .string($0))) } ?? .null
        return .fields(("id", .string(file.fileID)), ("object", .string("vector_store.file")), ("vector_store_id", .string(file.storeID)),
                       ("filename", .string(file.filename)), ("status", .string(file.status)), ("bytes", .number(Double(file.bytes))),
                       ("chunk_count", .number(Double(file.chunkCount))), ("content_type", file.contentType.map(JSONValue.string) ?? .null),
                       ("attributes", file.attributes), ("purpose", .string(file.purpose)), ("created_at", .number(Double(file.createdAt))),
                       ("last_error", lastError))
    }
}
