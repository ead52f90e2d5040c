import VireoQuery
import VireoStorage

/// OpenAI's /files under `/openai/v1`: uploads kept as bytes in an engine table, so vector
/// stores can take them by id.
enum OpenAIFileRoutes {
    static let prefix = "/openai/v1"
    static var all: [RouteDeclaration] { [create, list, retrieve, delete, content] }
    static let fileParameter = ParameterDeclaration("file_id", in: .path, .string(), summary: "the file's id")

    static let create = RouteDeclaration(
        .post, "\(prefix)/files", summary: "Upload a file (multipart: file, purpose)",
        formBody: .object([("file", .described(.string(), "the document (\(DocumentFormat.extensionList))")),
                           ("purpose", .string(allowed: OpenAIShapes.purposes))], required: ["file", "purpose"]),
        response: OpenAIShapes.file
    ) { input, services in
        guard let file = input.form.part("file") else { throw RESTError.invalid("file", "is required") }
        let purpose = input.form.part("purpose")?.text ?? ""
        guard OpenAIShapes.purposes.contains(purpose) else {
            throw RESTError.invalid("purpose", "must be one of \(OpenAIShapes.purposes.joined(separator: ", "))")
        }
        let service = services.vectorStores
        let filename = file.filename ?? "upload"
        let format = try service.check(filename: filename, bytes: file.bytes)
        let upload = try await service.session { session in
            try service.storeUpload(session, filename: filename, bytes: file.bytes, purpose: purpose, format: format)
        }
        return RouteOutput(OpenAIShapes.json(upload))
    }

    static let list = RouteDeclaration(
        .get, "\(prefix)/files", summary: "List uploaded files",
        parameters: CursorRequest.parameters + [ParameterDeclaration("purpose", in: .query, .string(), summary: "only files of this purpose")],
        response: CursorRequest.listSchema(OpenAIShapes.file)
    ) { input, services in
        let cursor = CursorRequest(input)
        let purpose = input.query("purpose")
        let (rows, hasMore) = try await services.vectorStores.session { session in
            try cursor.rows(session, select: "SELECT \(UploadRecord.columns) FROM \(VectorStoreSchema.files)", seq: "seq",
                            conditions: purpose == nil ? [] : ["purpose = $1"], parameters: purpose.map { [.text($0)] } ?? []) { id in
                try session.execute("SELECT seq FROM \(VectorStoreSchema.files) WHERE id = $1", [.text(id)]).rows.first?.first?.integer
            }
        }
        let items = rows.map(UploadRecord.init).map { ($0.id, OpenAIShapes.json($0)) }
        return RouteOutput(CursorRequest.list(items, hasMore: hasMore))
    }

    static let retrieve = RouteDeclaration(
        .get, "\(prefix)/files/{file_id}", summary: "One uploaded file", parameters: [fileParameter], response: OpenAIShapes.file
    ) { input, services in
        let id = input.path("file_id")
        return RouteOutput(OpenAIShapes.json(try await services.vectorStores.session { try VectorStoreService.upload($0, id) }))
    }

    static let delete = RouteDeclaration(
        .delete, "\(prefix)/files/{file_id}", summary: "Delete a file, and remove it from every vector store",
        parameters: [fileParameter], response: OpenAIShapes.deletedSchema("file")
    ) { input, services in
        let id = input.path("file_id")
        let deleted = try await services.vectorStores.session { session in
            try TableSQL.transaction(session) {
                try session.execute("DELETE FROM \(VectorStoreSchema.chunks) WHERE file_id = $1", [.text(id)])
                try session.execute("DELETE FROM \(VectorStoreSchema.storeFiles) WHERE file_id = $1", [.text(id)])
                return try session.execute("DELETE FROM \(VectorStoreSchema.files) WHERE id = $1", [.text(id)]).rowCount > 0
            }
        }
        guard deleted else { throw VectorStoreSQL.fileNotFound(id) }
        return RouteOutput(OpenAIShapes.deleted(id, "file"))
    }

    static let content = RouteDeclaration(
        .get, "\(prefix)/files/{file_id}/content", summary: "The file's bytes, as uploaded", parameters: [fileParameter], response: .any,
        rawResponseType: "application/octet-stream"
    ) { input, services in
        let id = input.path("file_id")
        let (upload, bytes) = try await services.vectorStores.session { session in
            (try VectorStoreService.upload(session, id), try VectorStoreService.uploadContent(session, id))
        }
        _ = upload
        return RouteOutput(raw: bytes, contentType: "application/octet-stream")
    }
}
