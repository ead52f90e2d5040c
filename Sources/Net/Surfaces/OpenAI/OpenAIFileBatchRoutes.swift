import Hummingbird
import VireoQuery
import VireoStorage

/// OpenAI's file batches: several files added at once, counted from the files that carry the
/// batch's id, so the SDK's poll ends when `file_counts.in_progress` reaches 0.
extension OpenAIStoreFileRoutes {
    static let batchFile = Schema.object([("file_id", .string()), ("attributes", OpenAIShapes.attributes), ("chunking_strategy", OpenAIChunking.schema)],
                                         required: ["file_id"])

    static let createBatch = RouteDeclaration(
        .post, "\(prefix)/file_batches", summary: "Add several files to a vector store",
        parameters: [storeParameter],
        requestBody: .object([("file_ids", .array(of: .string(), count: 1...500)), ("files", .array(of: batchFile, count: 1...500)),
                              ("attributes", OpenAIShapes.attributes), ("chunking_strategy", OpenAIChunking.schema)]),
        response: OpenAIShapes.batch
    ) { input, services in
        let storeID = input.path("vector_store_id")
        let entries = try batchEntries(input)
        let service = services.vectorStores
        let batchID = VectorStoreSQL.newID()
        try await service.session { session in
            _ = try VectorStoreSQL.store(session, storeID)
            try session.execute("INSERT INTO \(VectorStoreSchema.batches) (id, store_id, cancelled, created_at) VALUES ($1, $2, false, $3)",
                                [.text(batchID), .text(storeID), .int(VectorStoreSQL.now())])
        }
        for entry in entries {
            _ = try await service.addFile(store: storeID, .stored(fileID: entry.fileID), attributes: entry.attributes, chunking: entry.chunking,
                                          batchID: batchID, rejectUnreadable: false)
        }
        return try await batchAnswer(services, storeID, batchID)
    }

    /// The files of a batch request: `file_ids` sharing the top-level attributes and chunking, or `files` each with its own.
    static func batchEntries(_ input: RouteInput) throws -> [(fileID: String, attributes: JSONValue?, chunking: ChunkingStrategy?)] {
        let attributes = input.field("attributes")?.nonNull
        let chunking = try OpenAIChunking.strategy(input.field("chunking_strategy"))
        switch (input.field("file_ids")?.strings, input.field("files")) {
        case (let ids?, nil):
            return ids.map { ($0, attributes, chunking) }
        case (nil, .array(let files)?):
            return try files.enumerated().map { index, file in
                (file.field(.text("file_id"))?.unquotedText ?? "", file.field(.text("attributes"))?.nonNull ?? attributes,
                 try OpenAIChunking.strategy(file.field(.text("chunking_strategy")), field: "files[\(index)].chunking_strategy") ?? chunking)
            }
        default:
            throw RESTError.invalid("file_ids", "send exactly one of file_ids and files")
        }
    }

    static let retrieveBatch = RouteDeclaration(
        .get, "\(prefix)/file_batches/{batch_id}", summary: "A file batch and its counts", parameters: [storeParameter, batchParameter],
        response: OpenAIShapes.batch
    ) { input, services in
        try await batchAnswer(services, input.path("vector_store_id"), input.path("batch_id"))
    }

    static let cancelBatch = RouteDeclaration(
        .post, "\(prefix)/file_batches/{batch_id}/cancel", summary: "Cancel the batch's files still in progress",
        parameters: [storeParameter, batchParameter], response: OpenAIShapes.batch
    ) { input, services in
        let (storeID, batchID) = (input.path("vector_store_id"), input.path("batch_id"))
        try await services.vectorStores.session { session in
            try TableSQL.transaction(session) {
                guard try session.execute("UPDATE \(VectorStoreSchema.batches) SET cancelled = true WHERE id = $1 AND store_id = $2",
                                          [.text(batchID), .text(storeID)]).rowCount > 0 else { throw batchNotFound(batchID) }
                try session.execute("UPDATE \(VectorStoreSchema.storeFiles) SET status = $2 WHERE batch_id = $1 AND status = $3",
                                    [.text(batchID), .text(FileStatus.cancelled), .text(FileStatus.inProgress)])
            }
        }
        return try await batchAnswer(services, storeID, batchID)
    }

    static let batchFiles = RouteDeclaration(
        .get, "\(prefix)/file_batches/{batch_id}/files", summary: "The files of a batch",
        parameters: [storeParameter, batchParameter, statusFilter] + CursorRequest.parameters,
        response: CursorRequest.listSchema(OpenAIShapes.storeFile)
    ) { input, services in
        let (storeID, batchID) = (input.path("vector_store_id"), input.path("batch_id"))
        _ = try await batchAnswer(services, storeID, batchID)
        return RouteOutput(try await page(input, services, batch: batchID))
    }

    /// The batch object, its counts and status from its files; polled while in progress.
    static func batchAnswer(_ services: RouteServices, _ storeID: String, _ batchID: String) async throws -> RouteOutput {
        let (createdAt, cancelled, counts) = try await services.vectorStores.session { session in
            let rows = try session.execute("SELECT created_at, cancelled FROM \(VectorStoreSchema.batches) WHERE id = $1 AND store_id = $2",
                                           [.text(batchID), .text(storeID)]).rows
            guard let row = rows.first else { throw batchNotFound(batchID) }
            var counts = FileCounts()
            for count in try session.execute("SELECT status, count(*) FROM \(VectorStoreSchema.storeFiles) WHERE batch_id = $1 GROUP BY status",
                                             [.text(batchID)]).rows {
                counts.add(status: count[0].string ?? "", count: Int(count[1].integer ?? 0))
            }
            return (row[0].integer ?? 0, row[1] == .bool(true), counts)
        }
        let status = counts.inProgress > 0 ? FileStatus.inProgress : cancelled ? FileStatus.cancelled
            : counts.total > 0 && counts.failed == counts.total ? FileStatus.failed : FileStatus.completed
        let body = JSONValue.fields(("id", .string(batchID)), ("object", .string("vector_store.files_batch")),
                                    ("created_at", .number(Double(createdAt))), ("file_counts", counts.json), ("status", .string(status)),
                                    ("vector_store_id", .string(storeID)))
        return RouteOutput(body, headers: status == FileStatus.inProgress ? [pollHeader: pollAfterMs] : [:])
    }

    static func batchNotFound(_ id: String) -> RESTError {
        var error = RESTError.notFound("file batch \(id) not found", field: "batch_id")
        error.code = "batch_not_found"
        return error
    }
}
