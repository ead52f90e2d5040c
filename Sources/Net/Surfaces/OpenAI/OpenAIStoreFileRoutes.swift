import HTTPTypes
import Hummingbird
import VireoQuery
import VireoStorage

/// OpenAI's vector_stores.files and file_batches under `/openai/v1`: files added by id (with
/// attributes and chunking), their status polled, listed, changed, removed and read back.
enum OpenAIStoreFileRoutes {
    static let prefix = OpenAIFileRoutes.prefix + "/vector_stores/{vector_store_id}"
    static var all: [RouteDeclaration] { [create, list, retrieve, update, delete, content, createBatch, retrieveBatch, cancelBatch, batchFiles] }
    static let storeParameter = OpenAIVectorStoreRoutes.storeParameter
    static let fileParameter = OpenAIFileRoutes.fileParameter
    static let batchParameter = ParameterDeclaration("batch_id", in: .path, .string(), summary: "the batch's id")
    static let statusFilter = ParameterDeclaration("filter", in: .query, .string(allowed: FileStatus.all), summary: "only files with this status")
    /// How long the SDKs' pollers wait before asking again about a file in progress.
    static let pollAfterMs = "200"
    static let pollHeader = HTTPField.Name("openai-poll-after-ms")!

    static let create = RouteDeclaration(
        .post, "\(prefix)/files", summary: "Add an uploaded file to a vector store",
        parameters: [storeParameter],
        requestBody: .object([("file_id", .string()), ("attributes", OpenAIShapes.attributes), ("chunking_strategy", OpenAIChunking.schema)],
                             required: ["file_id"]),
        response: OpenAIShapes.storeFile
    ) { input, services in
        let record = try await services.vectorStores.addFile(
            store: input.path("vector_store_id"), .stored(fileID: input.field("file_id")?.unquotedText ?? ""),
            attributes: input.field("attributes")?.nonNull, chunking: try OpenAIChunking.strategy(input.field("chunking_strategy")),
            rejectUnreadable: false)
        return answer(record)
    }

    /// A file's object, with the polling hint while it is in progress.
    static func answer(_ record: StoreFileRecord) -> RouteOutput {
        RouteOutput(OpenAIShapes.json(record), headers: record.status == FileStatus.inProgress ? [pollHeader: pollAfterMs] : [:])
    }

    static let list = RouteDeclaration(
        .get, "\(prefix)/files", summary: "List a vector store's files", parameters: [storeParameter, statusFilter] + CursorRequest.parameters,
        response: CursorRequest.listSchema(OpenAIShapes.storeFile)
    ) { input, services in
        RouteOutput(try await page(input, services, batch: nil))
    }

    /// A page of a store's files (or a batch's), by cursor, optionally of one status.
    static func page(_ input: RouteInput, _ services: RouteServices, batch: String?) async throws -> JSONValue {
        let cursor = CursorRequest(input)
        let storeID = input.path("vector_store_id"), status = input.query("filter")
        let (rows, hasMore) = try await services.vectorStores.session { session in
            _ = try VectorStoreSQL.store(session, storeID)
            var conditions = ["m.store_id = $1"], parameters: [Value] = [.text(storeID)]
            for (column, value) in [("m.status", status), ("m.batch_id", batch)] {
                guard let value else { continue }
                parameters.append(.text(value))
                conditions.append("\(column) = $\(parameters.count)")
            }
            return try cursor.rows(session, select: "SELECT \(StoreFileRecord.columns) FROM \(StoreFileRecord.from)", seq: "m.seq",
                                   conditions: conditions, parameters: parameters) { id in
                try session.execute("SELECT seq FROM \(VectorStoreSchema.storeFiles) WHERE store_id = $1 AND file_id = $2",
                                    [.text(storeID), .text(id)]).rows.first?.first?.integer
            }
        }
        return CursorRequest.list(rows.map(StoreFileRecord.init).map { ($0.fileID, OpenAIShapes.json($0)) }, hasMore: hasMore)
    }

    static let retrieve = RouteDeclaration(
        .get, "\(prefix)/files/{file_id}", summary: "A file in a vector store, with its status",
        parameters: [storeParameter, fileParameter], response: OpenAIShapes.storeFile
    ) { input, services in
        let (storeID, fileID) = (input.path("vector_store_id"), input.path("file_id"))
        return answer(try await services.vectorStores.session { try VectorStoreSQL.storeFile($0, store: storeID, file: fileID) })
    }

    static let update = RouteDeclaration(
        .post, "\(prefix)/files/{file_id}", summary: "Change a file's attributes (its chunks' too, so filters see them)",
        parameters: [storeParameter, fileParameter], requestBody: .object([("attributes", OpenAIShapes.attributes)], required: ["attributes"]),
        response: OpenAIShapes.storeFile
    ) { input, services in
        let keys: [Value] = [.text(input.path("vector_store_id")), .text(input.path("file_id"))]
        let attributes: Value = input.field("attributes")?.nonNull.map { .json($0.text) } ?? .null
        let record = try await services.vectorStores.session { session in
            try TableSQL.transaction(session) {
                let changed = try session.execute("UPDATE \(VectorStoreSchema.storeFiles) SET attributes = $3 WHERE store_id = $1 AND file_id = $2",
                                                  keys + [attributes]).rowCount
                guard changed > 0 else { throw VectorStoreSQL.fileNotFound(keys[1].string ?? "") }
                try session.execute("UPDATE \(VectorStoreSchema.chunks) SET attributes = $3 WHERE store_id = $1 AND file_id = $2", keys + [attributes])
                return try VectorStoreSQL.storeFile(session, store: keys[0].string ?? "", file: keys[1].string ?? "")
            }
        }
        return answer(record)
    }

    static let delete = RouteDeclaration(
        .delete, "\(prefix)/files/{file_id}", summary: "Remove a file from a vector store (the upload stays)",
        parameters: [storeParameter, fileParameter], response: OpenAIShapes.deletedSchema("vector_store.file.deleted")
    ) { input, services in
        let (storeID, fileID) = (input.path("vector_store_id"), input.path("file_id"))
        guard try await services.vectorStores.session({ try VectorStoreSQL.detachFile($0, store: storeID, file: fileID) }) else {
            throw VectorStoreSQL.fileNotFound(fileID)
        }
        return RouteOutput(OpenAIShapes.deleted(fileID, "vector_store.file.deleted"))
    }

    static let content = RouteDeclaration(
        .get, "\(prefix)/files/{file_id}/content", summary: "The text of a file's chunks, in order",
        parameters: [storeParameter, fileParameter],
        response: .object([("object", .string()), ("data", .array(of: .object([("type", .string()), ("text", .string())], required: ["type", "text"]))),
                           ("has_more", .boolean), ("next_page", .nullable(.string()))], required: ["object", "data", "has_more", "next_page"])
    ) { input, services in
        let (storeID, fileID) = (input.path("vector_store_id"), input.path("file_id"))
        let texts = try await services.vectorStores.session { session in
            _ = try VectorStoreSQL.storeFile(session, store: storeID, file: fileID)
            return try session.execute("SELECT content FROM \(VectorStoreSchema.chunks) WHERE store_id = $1 AND file_id = $2 ORDER BY chunk_index",
                                       [.text(storeID), .text(fileID)]).rows.compactMap { $0.first?.string }
        }
        let data = texts.map { JSONValue.fields(("type", .string("text")), ("text", .string($0))) }
        return RouteOutput(.fields(("object", .string("vector_store.file_content.page")), ("data", .array(data)),
                                   ("has_more", .bool(false)), ("next_page", .null)))
    }
}
