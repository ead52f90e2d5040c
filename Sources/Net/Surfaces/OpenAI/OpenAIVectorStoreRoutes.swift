import Hummingbird
import VireoQuery
import VireoStorage

/// OpenAI's vector stores under `/openai/v1`: CRUD, cursor lists and search with attribute filters.
enum OpenAIVectorStoreRoutes {
    static let prefix = OpenAIFileRoutes.prefix
    static var all: [RouteDeclaration] { [create, list, retrieve, update, delete, search] }
    static let storeParameter = ParameterDeclaration("vector_store_id", in: .path, .string(), summary: "the vector store's id")
    static let searchResultsMax = 50

    static let create = RouteDeclaration(
        .post, "\(prefix)/vector_stores", summary: "Create a vector store, optionally with files",
        requestBody: .object([
            ("name", .string(length: 0...1024)), ("file_ids", .array(of: .string(), count: 0...500)),
            ("chunking_strategy", OpenAIChunking.schema), ("expires_after", OpenAIShapes.expiresAfter),
            ("metadata", OpenAIShapes.metadata), ("description", .string()),
        ]),
        response: OpenAIShapes.store
    ) { input, services in
        let service = services.vectorStores
        let chunking = try OpenAIChunking.strategy(input.field("chunking_strategy"))
        let name = input.field("name")?.unquotedText, metadata = input.field("metadata")?.nonNull, expiresAfter = input.field("expires_after")
        let embedder = service.embedder.name
        let store = try await service.session {
            try VectorStoreSQL.createStore($0, name: name, metadata: metadata, embedder: embedder, expiresAfter: expiresAfter)
        }
        for fileID in input.field("file_ids")?.strings ?? [] {
            _ = try await service.addFile(store: store.id, .stored(fileID: fileID), attributes: nil, chunking: chunking, rejectUnreadable: false)
        }
        return RouteOutput(OpenAIShapes.json(try await service.session { try VectorStoreSQL.store($0, store.id) }))
    }

    static let list = RouteDeclaration(
        .get, "\(prefix)/vector_stores", summary: "List vector stores", parameters: CursorRequest.parameters,
        response: CursorRequest.listSchema(OpenAIShapes.store)
    ) { input, services in
        let cursor = CursorRequest(input)
        let stores = try await services.vectorStores.session { session in
            let (rows, hasMore) = try cursor.rows(session, select: "SELECT \(StoreRecord.columns) FROM \(VectorStoreSchema.stores)",
                                                  seq: "seq", conditions: [], parameters: []) { id in
                try session.execute("SELECT seq FROM \(VectorStoreSchema.stores) WHERE id = $1", [.text(id)]).rows.first?.first?.integer
            }
            var stores = rows.map(StoreRecord.init)
            let counts = try VectorStoreSQL.counts(session, stores.map(\.id))
            for index in stores.indices { stores[index].counts = counts[stores[index].id] ?? FileCounts() }
            return (stores, hasMore)
        }
        return RouteOutput(CursorRequest.list(stores.0.map { ($0.id, OpenAIShapes.json($0)) }, hasMore: stores.1))
    }

    static let retrieve = RouteDeclaration(
        .get, "\(prefix)/vector_stores/{vector_store_id}", summary: "One vector store", parameters: [storeParameter],
        response: OpenAIShapes.store
    ) { input, services in
        let id = input.path("vector_store_id")
        return RouteOutput(OpenAIShapes.json(try await services.vectorStores.session { try VectorStoreSQL.store($0, id) }))
    }

    static let update = RouteDeclaration(
        .post, "\(prefix)/vector_stores/{vector_store_id}", summary: "Change a vector store's name, expiry or metadata",
        parameters: [storeParameter],
        requestBody: .object([("name", .nullable(.string(length: 0...1024))), ("expires_after", .nullable(OpenAIShapes.expiresAfter)),
                              ("metadata", OpenAIShapes.metadata)]),
        response: OpenAIShapes.store
    ) { input, services in
        let id = input.path("vector_store_id")
        guard case .object(let fields)? = input.body else { throw RESTError.invalid("body", "must be an object") }
        let store = try await services.vectorStores.session { session in
            try TableSQL.transaction(session) {
                _ = try VectorStoreSQL.store(session, id)
                for (name, value) in fields {
                    let parameter: Value = name == "name" ? value.unquotedText.map(Value.text) ?? .null : value.nonNull.map { .json($0.text) } ?? .null
                    try session.execute("UPDATE \(VectorStoreSchema.stores) SET \(quoteIdentifier(name)) = $2, updated_at = $3 WHERE id = $1",
                                        [.text(id), parameter, .int(VectorStoreSQL.now())])
                }
                return try VectorStoreSQL.store(session, id)
            }
        }
        return RouteOutput(OpenAIShapes.json(store))
    }

    static let delete = RouteDeclaration(
        .delete, "\(prefix)/vector_stores/{vector_store_id}", summary: "Delete a vector store with its chunks (the files stay)",
        parameters: [storeParameter], response: OpenAIShapes.deletedSchema("vector_store.deleted")
    ) { input, services in
        let id = input.path("vector_store_id")
        guard try await services.vectorStores.session({ try VectorStoreSQL.deleteStore($0, id) }) else { throw VectorStoreSQL.storeNotFound(id) }
        return RouteOutput(OpenAIShapes.deleted(id, "vector_store.deleted"))
    }

    static let searchResult = Schema.object([
        ("file_id", .string()), ("filename", .string()), ("score", .number), ("attributes", OpenAIShapes.scalarAttributes),
        ("content", .array(of: .object([("type", .string(allowed: ["text"])), ("text", .string())], required: ["type", "text"]))),
    ], required: ["file_id", "filename", "score", "attributes", "content"])

    static let search = RouteDeclaration(
        .post, "\(prefix)/vector_stores/{vector_store_id}/search", summary: "Chunks nearest the query, filtered by file attributes",
        parameters: [storeParameter],
        requestBody: .object([
            ("query", .any), ("max_num_results", .integer(range: 1...Int64(searchResultsMax))), ("filters", .map(of: .any)),
            ("ranking_options", .object([("ranker", .string()), ("score_threshold", .number),
                                         ("ranking", .described(.string(allowed: SearchRanking.allCases.map(\.rawValue)), SearchRanking.fieldDescription))])),
            ("rewrite_query", .boolean),
        ], required: ["query"]),
        response: .object([
            ("object", .string(allowed: ["vector_store.search_results.page"])), ("search_query", .array(of: .string())),
            ("data", .array(of: searchResult)), ("has_more", .boolean), ("next_page", .nullable(.string())),
        ], required: ["object", "search_query", "data", "has_more", "next_page"])
    ) { input, services in
        var queries = try OpenAIVectorStoreRoutes.queries(input.field("query"))
        if input.field("rewrite_query") == .bool(true) { queries = queries.map(QueryRewrite.rewrite) }
        let limit = input.field("max_num_results").flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 10
        let threshold = try MAIARoutes.scoreThreshold(input.field("ranking_options")?.field(.text("score_threshold")))
        let filters = input.field("filters")
        if let filters { var check = SQLParameters(); _ = try OpenAIFilter.condition(filters, &check) }
        let ranking = try SearchRanking.requested(input.field("ranking_options")?.field(.text("ranking")))
        let hits = try await services.vectorStores.search(store: input.path("vector_store_id"), queries: queries, limit: limit,
                                                          scoreThreshold: threshold, ranking: ranking) { parameters in
            try filters.map { try OpenAIFilter.condition($0, &parameters) }
        }
        let data: [JSONValue] = hits.map { hit in
            .fields(("file_id", .string(hit.fileID)), ("filename", .string(hit.filename)), ("score", .number(hit.score)),
                    ("attributes", OpenAIShapes.scalarMap(hit.attributes)), ("content", .array([.fields(("type", .string("text")), ("text", .string(hit.content)))])))
        }
        return RouteOutput(.fields(("object", .string("vector_store.search_results.page")), ("search_query", .array(queries.map(JSONValue.string))),
                                   ("data", .array(data)), ("has_more", .bool(false)), ("next_page", .null)))
    }

    /// A query string or a non-empty list of them, none blank.
    static func queries(_ value: JSONValue?) throws -> [String] {
        let queries: [String]
        switch value {
        case .string(let text)?: queries = [text]
        case .array(let items)? where (1...10).contains(items.count) && value?.strings?.count == items.count: queries = value?.strings ?? []
        default: throw RESTError.invalid("query", "must be a string or a list of 1 to 10 strings")
        }
        guard queries.allSatisfy({ $0.contains { !$0.isWhitespace } && $0.count <= VectorStoreService.queryCharactersMax }) else {
            throw RESTError.invalid("query", "must not be blank or longer than \(VectorStoreService.queryCharactersMax) characters")
        }
        return queries
    }
}

extension JSONValue {
    /// The strings of an array of strings; nil for anything else.
    var strings: [String]? {
        guard case .array(let items) = self else { return nil }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }
}
