import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import VireoQuery
import VireoStorage

/// The REST server of `vireo serve`: the probes and every surface's routes over `database`,
/// bound to `configuration.host`:`configuration.httpPort`. The result is a swift-service-lifecycle
/// `Service`: run it with `try await app.runService()` (which stops gracefully on SIGTERM and
/// SIGINT), or put it in a `ServiceGroup` beside the pgwire listener. Engine work runs on
/// `executor`, never on an event loop; the caller owns `database` and `executor` and closes
/// them after the application has stopped. `onServerRunning` is called once the socket
/// listens (its local address says where, useful with port 0). `webSocketStop` closes the open
/// WebSockets: call its `closeAll` before stopping the application gracefully, so each gets its
/// close frame (without it, the application's graceful stop still ends them).
public func makeHTTPApplication(database: Database, executor: EngineExecutor, keys: APIKeys,
                                configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics(),
                                tls: ServerTLS? = nil, vectorStores: VectorStoreService, pipelines: PipelineService? = nil,
                                jobs: JobService? = nil, training: TrainingService? = nil, webhooks: WebhookDispatcher? = nil,
                                webSocketStop: WebSocketStop = WebSocketStop(),
                                onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    var engine = RESTEngine(database: database, executor: executor, vectorStores: vectorStores, pipelines: pipelines)
    if let jobs { engine.jobs = jobs }
    engine.training = training
    engine.webhooks = webhooks ?? training?.webhooks ?? pipelines?.webhooks ?? engine.webhooks
    let router = makeRESTRouter(routes: RESTRoutes.all, engine: engine, keys: keys, configuration: configuration, metrics: metrics)
    let address = BindAddress.hostname(configuration.host, port: configuration.httpPort)
    let settings = ApplicationConfiguration(address: address, serverName: "Vireo/\(VireoVersion.text)")
    // WebSocket upgrades (every surface's live streams) are answered before routing, by one hook.
    let tokens = tokenPrincipals(engine)
    let webSockets = WebSocketDispatcher(routes: RESTRoutes.webSockets, services: RouteServices(engine: engine),
                                         sendTimeoutMs: configuration.webSocketSendTimeoutMs, stop: webSocketStop) { presented, path in
        try? await APIKeyMiddleware.principal(presented, path: path, keys: keys, tokens: tokens)
    }
    let server = HTTPServerBuilder.http1WebSocketUpgrade(shouldUpgrade: webSockets.shouldUpgrade)
    if let tls {
        return Application(router: router, server: try .tls(server, tlsConfiguration: tls.configuration),
                           configuration: settings, onServerRunning: onServerRunning, logger: logger)
    }
    return Application(router: router, server: server, configuration: settings, onServerRunning: onServerRunning, logger: logger)
}

/// Every route the REST server answers, in the order the OpenAPI document lists them.
public enum RESTRoutes {
    public static var all: [RouteDeclaration] { ProbeRoutes.all + TablesSurface.routes + VectorStoresSurface.routes + OpenAISurface.routes
        + PipelineSurface.routes + JobsSurface.routes + TrainingSurface.routes + WebhookRoutes.all }

    /// Every WebSocket endpoint, served by the one upgrade hook (`WebSocketDispatcher`).
    static var webSockets: [WebSocketRoute] { TrainingWebSocket.routes + JobsWebSocket.routes }
}

/// The principal of a user's access token where the server has the pipelines surface (which
/// issues them), for REST and WebSocket authentication alike.
func tokenPrincipals(_ engine: RESTEngine) -> (@Sendable (String) async -> Principal?)? {
    guard let pipelines = engine.pipelines else { return nil }
    let access = engine.access
    return { token in await AuthRoutes.principal(token: token, tokens: pipelines.tokens, engine: access) }
}

/// What plans run against.
struct RESTEngine: Sendable {
    let database: Database
    let executor: EngineExecutor
    let vectorStores: VectorStoreService
    var pipelines: PipelineService?
    /// The job queue (seed 003); one with default settings unless the server passes its own.
    var jobs: JobService
    /// Seed 002's sessions; nil in servers built without it (its routes answer 503).
    var training: TrainingService?
    /// The one webhook dispatcher every surface fires (training, alerts, pipeline runs).
    var webhooks: WebhookDispatcher

    init(database: Database, executor: EngineExecutor, vectorStores: VectorStoreService, pipelines: PipelineService? = nil,
         training: TrainingService? = nil) {
        self.database = database
        self.executor = executor
        self.vectorStores = vectorStores
        self.pipelines = pipelines
        self.training = training
        jobs = JobService(engine: EngineAccess(database: database, executor: executor), embedder: vectorStores.embedder)
        webhooks = training?.webhooks ?? pipelines?.webhooks ?? WebhookDispatcher(engine: EngineAccess(database: database, executor: executor))
    }

    var access: EngineAccess { EngineAccess(database: database, executor: executor) }
}

/// The router for `routes`, with the middleware every REST surface shares, outermost first:
/// request id and access log, CORS, the error envelope, API keys, then the rate limit.
func makeRESTRouter(routes: [RouteDeclaration], engine: RESTEngine, keys: APIKeys,
                    configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()) -> Router<RESTRequestContext> {
    // HEAD answers like GET without the body, for probes that only look at the status.
    let router = Router(context: RESTRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestIDMiddleware(metrics: metrics))
    router.add(middleware: CORSMiddleware(origins: configuration.corsOrigins))
    router.add(middleware: ErrorEnvelopeMiddleware(routes: routes, formats: ErrorFormat.all))
    let openPaths = Set(routes.filter { !$0.requiresKey }.map(\.path) + [DocsPage.path])
    router.add(middleware: APIKeyMiddleware(keys: keys, openPaths: openPaths, tokens: tokenPrincipals(engine)))
    if let requestsPerMinuteMax = configuration.requestsPerMinuteMax {
        router.add(middleware: RateLimitMiddleware(requestsPerWindowMax: requestsPerMinuteMax, openPaths: openPaths))
    }
    router.get(RouterPath(DocsPage.path)) { _, _ in DocsPage.response() }
    // Prometheus text, not JSON, so it is not a declaration; it needs a key (Prometheus
    // sends one as a bearer token) because its labels name routes.
    router.get("/metrics") { _, _ in
        var text = metrics.render(storage: engine.database.storageStatistics, commitPaths: engine.database.store.commitPaths.snapshot,
                                  vectorIndexSizes: engine.database.vectorIndexSizes)
        if let pipelines = engine.pipelines { text += await pipelines.prometheusText() }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
    for route in routes {
        let bodyBytesMax = route.formBody == nil ? configuration.requestBodyBytesMax : configuration.uploadBodyBytesMax
        let responder = RouteResponder(route: route, engine: engine, bodyBytesMax: bodyBytesMax)
        router.on(RouterPath(route.path), method: route.method) { request, context in
            try await responder.respond(request, context)
        }
    }
    return router
}

/// Answers one declared route: reads and validates the request, runs the plan on the
/// engine's pool with a fresh session, and writes the JSON answer.
struct RouteResponder: Sendable {
    let route: RouteDeclaration
    let engine: RESTEngine
    let bodyBytesMax: Int

    func respond(_ request: Request, _ context: RESTRequestContext) async throws -> Response {
        var formInput = RouteInput(path: pathCaptures(context), query: try queryParameters(request), body: try await body(request))
        formInput.principal = context.principal
        formInput.headers = request.headers
        if route.streamsRequestBody {
            formInput.bodyStream = request.body
        } else if route.formBody != nil {
            formInput.form = try await form(request)
        }
        let input = formInput
        let output: RouteOutput
        if let handler = route.handler {
            output = try await handler(input, RouteServices(engine: engine))
        } else {
            let plan = route.plan
            let database = engine.database
            output = try await engine.access.blocking { try Self.run(plan, input, database.session()) }
        }
        if let streamed = output.streamed {
            var headers = output.headers
            headers[.contentType] = streamed.contentType
            return Response(status: output.status ?? route.status, headers: headers, body: streamed.body)
        }
        if let raw = output.raw {
            var headers = output.headers
            headers[.contentType] = raw.contentType
            return Response(status: output.status ?? route.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: raw.bytes)))
        }
        return JSONResponse.make(output.body, status: output.status ?? route.status, headers: output.headers)
    }

    /// The parts of a multipart/form-data body; anything else is a 400.
    func form(_ request: Request) async throws -> [FormPart] {
        guard let boundary = MultipartForm.boundary(contentType: request.headers[.contentType]) else {
            throw RESTError(.badRequest, code: "validation_error", "the body must be multipart/form-data", field: "body")
        }
        let buffer = try await request.body.collect(upTo: bodyBytesMax)
        return try MultipartForm.parse(Array(buffer.readableBytesView), boundary: boundary)
    }

    /// Runs the plan; a transaction it left open is rolled back, so no session holds the
    /// write lock after its request.
    static func run(_ plan: (RouteInput, Session) throws -> RouteOutput, _ input: RouteInput, _ session: Session) throws -> RouteOutput {
        defer { if session.isInTransaction { _ = try? session.execute("ROLLBACK") } }
        return try plan(input, session)
    }

    func pathCaptures(_ context: RESTRequestContext) -> [String: String] {
        var captures: [String: String] = [:]
        for parameter in route.parameters where parameter.location == .path {
            let raw = context.parameters.get(parameter.name) ?? ""
            captures[parameter.name] = raw.removingPercentEncoding ?? raw
        }
        return captures
    }

    /// The query string's pairs, with the declared ones checked against their schemas.
    func queryParameters(_ request: Request) throws -> [(String, String)] {
        let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        for parameter in route.parameters where parameter.location == .query {
            guard let text = pairs.first(where: { $0.0 == parameter.name })?.1 else {
                if parameter.required { throw RESTError.invalid(parameter.name, "is required") }
                continue
            }
            try parameter.schema.validate(Self.queryValue(text, parameter.schema), at: parameter.name)
        }
        return pairs
    }

    /// Query text as the JSON value its schema expects, so one validator serves both.
    static func queryValue(_ text: String, _ schema: Schema) -> JSONValue {
        switch schema {
        case .integer, .number: Double(text).map(JSONValue.number) ?? .string(text)
        case .boolean: text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
        default: .string(text)
        }
    }

    /// The body parsed and checked; a body over the limit is a 413 from `collect`.
    func body(_ request: Request) async throws -> JSONValue? {
        guard let schema = route.requestBody else { return nil }
        let buffer = try await request.body.collect(upTo: bodyBytesMax)
        let text = String(buffer: buffer)
        guard text.contains(where: { !$0.isWhitespace }) else { throw RESTError.invalid("body", "a JSON body is required") }
        guard let value = try? JSONValue.parse(text) else { throw RESTError.malformedJSON("the body is not valid JSON") }
        try schema.validate(value, at: "body")
        return value
    }
}
