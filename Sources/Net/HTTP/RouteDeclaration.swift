import Hummingbird
import VireoQuery

/// One REST route as data: method and path, what it takes, what it answers, and the plan
/// that turns a validated request into statements with bound parameters and their rows
/// into the response. The router, request validation and the OpenAPI document are all
/// made from these, so they cannot disagree; adding a route is adding one declaration.
public struct RouteDeclaration: Sendable {
    /// The HTTP method the route answers.
    public var method: HTTPRequest.Method
    /// The path with `{name}` captures, as OpenAPI writes it: `/api/v1/tables/{name}`.
    public var path: String
    /// One line for people and for the OpenAPI `summary`.
    public var summary: String
    /// False only for probes (/health, /ready) that load balancers call without a key.
    public var requiresKey = true
    /// Path and query parameters.
    public var parameters: [ParameterDeclaration] = []
    /// The JSON body's schema; nil for routes that take no body.
    public var requestBody: Schema?
    /// The fields of a `multipart/form-data` body, for routes that take uploads; the handler
    /// reads them from `RouteInput.form` and checks them itself.
    public var formBody: Schema?
    /// Set by routes that read their (multipart) body as it arrives, from `RouteInput.bodyStream`,
    /// instead of having it collected in memory: uploads larger than memory.
    public var streamsRequestBody = false
    /// The status of a successful answer (201 for creates).
    public var status: HTTPResponse.Status = .ok
    /// The successful answer's schema.
    public var response: Schema
    /// Set for routes that answer bytes (`RouteOutput(raw:)`) rather than JSON: the media
    /// type the OpenAPI document gives their success.
    public var rawResponseType: String?
    /// Other statuses that answer in `response`'s shape rather than the error envelope
    /// (a probe's 503).
    public var otherStatuses: [HTTPResponse.Status] = []
    /// The plan: runs on the engine's thread pool with a fresh session, never on an event
    /// loop, and builds every statement with `$n` parameters (identifiers quoted).
    public var plan: @Sendable (RouteInput, Session) throws -> RouteOutput
    /// Set instead of `plan` by routes that await something besides the engine (an
    /// embedder): it runs on the event loop's task and reaches the engine through `services`.
    public var handler: (@Sendable (RouteInput, RouteServices) async throws -> RouteOutput)?

    /// A route; see the properties for what each argument means.
    public init(_ method: HTTPRequest.Method, _ path: String, summary: String, requiresKey: Bool = true,
                parameters: [ParameterDeclaration] = [], requestBody: Schema? = nil, status: HTTPResponse.Status = .ok,
                response: Schema, otherStatuses: [HTTPResponse.Status] = [], plan: @escaping @Sendable (RouteInput, Session) throws -> RouteOutput) {
        self.method = method
        self.path = path
        self.summary = summary
        self.requiresKey = requiresKey
        self.parameters = parameters
        self.requestBody = requestBody
        self.status = status
        self.response = response
        self.otherStatuses = otherStatuses
        self.plan = plan
    }

    /// A route whose work is asynchronous; `formBody` documents a multipart body.
    public init(_ method: HTTPRequest.Method, _ path: String, summary: String, requiresKey: Bool = true,
                parameters: [ParameterDeclaration] = [], requestBody: Schema? = nil, formBody: Schema? = nil,
                status: HTTPResponse.Status = .ok, response: Schema, otherStatuses: [HTTPResponse.Status] = [],
                rawResponseType: String? = nil, handler: @escaping @Sendable (RouteInput, RouteServices) async throws -> RouteOutput) {
        self.init(method, path, summary: summary, requiresKey: requiresKey, parameters: parameters, requestBody: requestBody,
                  status: status, response: response, otherStatuses: otherStatuses) { _, _ in
            preconditionFailure("a route with a handler has no synchronous plan")
        }
        self.formBody = formBody
        self.rawResponseType = rawResponseType
        self.handler = handler
    }

    /// Whether `requestPath` has this route's shape (captures match any one segment).
    func matches(path requestPath: String) -> Bool {
        let pattern = path.split(separator: "/")
        let segments = requestPath.split(separator: "/")
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { $0.first == "{" || $0 == $1 }
    }
}

/// A path or query parameter of a route.
public struct ParameterDeclaration: Sendable {
    /// Where the parameter is: a `{name}` capture of the path, or the query string.
    public enum Location: String, Sendable { case path, query }
    /// The capture or query key.
    public var name: String
    /// Path or query.
    public var location: Location
    /// What the value must be; query text is read as the schema's type before checking.
    public var schema: Schema
    /// Path parameters always are.
    public var required: Bool
    /// One line for the OpenAPI document.
    public var summary: String

    /// A parameter called `name` at `location`.
    public init(_ name: String, in location: Location, _ schema: Schema, required: Bool = false, summary: String = "") {
        self.name = name
        self.location = location
        self.schema = schema
        self.required = required || location == .path
        self.summary = summary
    }
}

/// A validated request, as a plan sees it.
public struct RouteInput: Sendable {
    /// Captures of the path, by name, percent-decoded.
    public var path: [String: String]
    /// Every query parameter (routes with free filters read the undeclared ones too).
    public var query: [(String, String)]
    /// The body, already checked against the route's schema; nil when there is none.
    public var body: JSONValue?
    /// The parts of a multipart body, for routes with a `formBody`.
    public var form: [FormPart] = []
    /// Who sent the request: an API key or a user's access token (nil on keyless routes).
    public var principal: Principal?
    /// The request's headers (a node's token on the jobs surface, Range, Last-Event-ID …).
    public var headers: HTTPFields = [:]
    /// The body as it arrives, for routes that stream it (`streamsRequestBody`).
    public var bodyStream: RequestBody?

    /// A path capture the route declares.
    public func path(_ name: String) -> String { path[name] ?? "" }

    /// The first value of the query parameter `name`.
    public func query(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// The body's field `name`, if present.
    public func field(_ name: String) -> JSONValue? {
        guard case .object(let fields) = body else { return nil }
        return fields.first { $0.0 == name }?.1
    }
}

/// What a plan answers: a JSON body, and a status when it is not the route's usual one.
public struct RouteOutput: Sendable {
    /// The JSON the client gets.
    public var body: JSONValue
    /// Nil: the route's declared status.
    public var status: HTTPResponse.Status?
    /// Headers besides the content type (a polling hint, say).
    public var headers: HTTPFields = [:]
    /// Bytes answered as they are, with their content type, instead of `body` (a file's content).
    public var raw: (bytes: [UInt8], contentType: String)?
    /// A body written as it is produced (a file read in pieces, a stream of events), with its content type.
    public var streamed: (body: ResponseBody, contentType: String)?

    /// An answer with `body`, and `status` when it is not the route's usual one.
    public init(_ body: JSONValue, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.body = body
        self.status = status
        self.headers = headers
    }

    /// A body written as it is produced; `status` when it is not the route's usual one.
    public init(streamed body: ResponseBody, contentType: String, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.body = .null
        self.status = status
        self.headers = headers
        self.streamed = (body, contentType)
    }

    /// Bytes as they are, such as a stored file.
    public init(raw bytes: [UInt8], contentType: String) {
        self.body = .null
        self.raw = (bytes, contentType)
    }
}

/// What an asynchronous handler reaches: the engine (through fresh sessions on its pool)
/// and the services the server runs beside it.
public struct RouteServices: Sendable {
    let engine: RESTEngine

    /// The vector stores' embedder, files and background worker.
    public var vectorStores: VectorStoreService { engine.vectorStores }

    /// The AI-ETL surface's service; 503 on a server made without one.
    public var pipelines: PipelineService {
        get throws {
            guard let pipelines = engine.pipelines else {
                throw RESTError(.serviceUnavailable, code: "unavailable", "this server does not run the pipelines surface")
            }
            return pipelines
        }
    }

    /// Runs `body` on the engine's pool (CPU-heavy work such as a password hash).
    public func blocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await engine.access.blocking(body)
    }
    /// The job queue of seed 003.
    public var jobs: JobService { engine.jobs }

    /// Seed 002's training sessions, or a 503 from a server built without them.
    public var training: TrainingService {
        get throws {
            guard let training = engine.training else {
                throw RESTError(.serviceUnavailable, code: "training_unavailable", "this server was started without the training surface")
            }
            return training
        }
    }

    /// Runs `body` with a fresh session on the engine's pool, as a plan runs.
    public func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        try await engine.access.session(body)
    }
}
