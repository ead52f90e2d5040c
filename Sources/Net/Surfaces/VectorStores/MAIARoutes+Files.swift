import VireoQuery
import VireoStorage

extension MAIARoutes {
    static let defaultTextFilename = "raw_text.txt"

    static let upload = RouteDeclaration(
        .post, "/v1/vector_stores/{vector_store_id}/files",
        summary: "Upload a file or raw text; ≤ 50 KB is processed at once, larger files in the background",
        parameters: [storeParameter],
        formBody: .object([
            ("file", .described(.string(), "the document (\(DocumentFormat.extensionList)); exactly one of file and text")),
            ("text", .described(.string(), "raw text instead of a file")),
            ("filename", .described(.string(), "overrides the upload's name (default for text: \(defaultTextFilename))")),
            ("attributes", .described(.string(), "a JSON object attached to the file")),
            ("chunking_strategy", .described(.string(), "optional, beyond the seed: a JSON object as OpenAI's, "
                + "{\"type\": \"static\", \"static\": {\"max_chunk_size_tokens\": 100–4096, \"chunk_overlap_tokens\": ≤ half}} or {\"type\": \"auto\"}")),
        ]),
        status: .created, response: fileObject
    ) { input, services in
        let storeID = input.path("vector_store_id")
        let (filename, bytes) = try uploadedDocument(input.form)
        let attributes = try attributesField(input.form)
        let chunking = try chunkingField(input.form)
        let record = try await services.vectorStores.addFile(
            store: storeID, .upload(filename: filename, bytes: bytes, purpose: "assistants"), attributes: attributes,
            chunking: chunking, rejectUnreadable: true)
        return RouteOutput(json(record))
    }

    /// The upload's name and bytes: exactly one of `file` and `text`.
    static func uploadedDocument(_ form: [FormPart]) throws -> (String, [UInt8]) {
        let file = form.part("file"), text = form.part("text")
        let override = form.part("filename")?.text.flatMap { $0.isEmpty ? nil : $0 }
        switch (file, text) {
        case (let file?, nil):
            return (override ?? file.filename ?? "upload", file.bytes)
        case (nil, let text?):
            guard text.text != nil else { throw RESTError.invalid("text", "is not valid UTF-8") }
            return (override ?? defaultTextFilename, text.bytes)
        default:
            throw RESTError.invalid("file", "send exactly one of 'file' and 'text'")
        }
    }

    /// The `attributes` field: absent, or a JSON object.
    static func attributesField(_ form: [FormPart]) throws -> JSONValue? {
        guard let part = form.part("attributes") else { return nil }
        guard let text = part.text, let value = try? JSONValue.parse(text), case .object = value else {
            throw RESTError.invalid("attributes", "must be a JSON object, such as {\"department\": \"sales\"}")
        }
        return value
    }

    /// The `chunking_strategy` field: absent (the embedder's best fit), or OpenAI's shape as JSON.
    static func chunkingField(_ form: [FormPart]) throws -> ChunkingStrategy? {
        guard let part = form.part("chunking_strategy") else { return nil }
        guard let text = part.text, let value = try? JSONValue.parse(text), case .object = value,
              let type = value.field(.text("type"))?.unquotedText, ["auto", "static"].contains(type) else {
            throw RESTError.invalid("chunking_strategy", "must be a JSON object with type auto or static")
        }
        return try OpenAIChunking.strategy(value)
    }

    static let searchResult = Schema.object([
        ("file_id", .string()), ("filename", .string()), ("chunk_index", .integer()), ("content", .string()), ("score", .number),
        ("metadata", .nullable(.map(of: .any))), ("file_attributes", .nullable(.map(of: .any))),
    ], required: ["file_id", "filename", "chunk_index", "content", "score", "metadata", "file_attributes"])

    static let search = RouteDeclaration(
        .post, "/v1/vector_stores/{vector_store_id}/search",
        summary: "Search: chunks best for the query, by cosine similarity, BM25 or both fused (ranking, hybrid by default)",
        parameters: [storeParameter],
        requestBody: .object([
            ("query", .string(length: 1...VectorStoreService.queryCharactersMax)),
            ("max_results", .integer(range: 1...Int64(VectorStoreService.searchResultsMax))),
            ("filter", .described(.nullable(.map(of: .any)), "key → value every result's chunk metadata or file attributes must hold")),
            ("score_threshold", .described(.nullable(.number), "the lowest score returned, 0 to 1")),
            ("ranking", .described(.string(allowed: SearchRanking.allCases.map(\.rawValue)), SearchRanking.fieldDescription)),
        ], required: ["query"]),
        response: .object([("object", .string(allowed: ["list"])), ("data", .array(of: searchResult)), ("search_query", .string())],
                          required: ["object", "data", "search_query"])
    ) { input, services in
        let storeID = input.path("vector_store_id")
        let query = input.field("query")?.unquotedText ?? ""
        guard query.contains(where: { !$0.isWhitespace }) else { throw RESTError.invalid("query", "must not be blank") }
        let limit = input.field("max_results").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? searchDefault
        let threshold = try scoreThreshold(input.field("score_threshold"))
        let filter: [(String, JSONValue)] = if case .object(let fields)? = input.field("filter") { fields } else { [] }
        let ranking = try SearchRanking.requested(input.field("ranking"))
        let hits = try await services.vectorStores.search(store: storeID, queries: [query], limit: limit, scoreThreshold: threshold,
                                                          ranking: ranking) {
            EqualityFilter.condition(filter, &$0)
        }
        let data: [JSONValue] = hits.map { hit in
            .fields(("file_id", .string(hit.fileID)), ("filename", .string(hit.filename)), ("chunk_index", .integer(hit.chunkIndex)),
                    ("content", .string(hit.content)), ("score", .number(hit.score)), ("metadata", hit.metadata),
                    ("file_attributes", hit.attributes))
        }
        return RouteOutput(.fields(("object", .string("list")), ("data", .array(data)), ("search_query", .string(query))))
    }

    /// A threshold from 0 to 1, or none.
    static func scoreThreshold(_ value: JSONValue?) throws -> Double? {
        guard case .number(let threshold)? = value else { return nil }
        guard (0...1).contains(threshold) else { throw RESTError.invalid("score_threshold", "must be between 0 and 1") }
        return threshold
    }
}
