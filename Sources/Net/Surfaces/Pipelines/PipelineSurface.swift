import Hummingbird
import VireoQuery
import VireoStorage

/// The AI-ETL surface (seed 001) under /api/v1: authentication and users, connectors,
/// pipelines and their runs, profiling and preview, storage advice, and metrics. Webhooks
/// (`/api/v1/webhooks`) are served by the shared handler of the training surface.
public enum PipelineSurface {
    /// Every route of the surface, in the order the OpenAPI document lists them. Routes whose
    /// last segment ends in `:verb` come before `{id}` captures of the same level.
    public static var routes: [RouteDeclaration] {
        AuthRoutes.all + ConnectorRoutes.all + PipelineRoutes.all + DataRoutes.all
    }
}

extension RouteDeclaration {
    /// A route of the AI-ETL surface: `plan` runs on the engine's pool with a fresh session,
    /// as every plan does, and reaches the surface's service.
    static func etl(_ method: HTTPRequest.Method, _ path: String, summary: String, requiresKey: Bool = true,
                    parameters: [ParameterDeclaration] = [], requestBody: Schema? = nil, status: HTTPResponse.Status = .ok,
                    response: Schema, plan: @escaping @Sendable (RouteInput, Session, PipelineService) throws -> RouteOutput) -> RouteDeclaration {
        RouteDeclaration(method, path, summary: summary, requiresKey: requiresKey, parameters: parameters, requestBody: requestBody,
                         status: status, response: response) { input, services in
            let service = try services.pipelines
            return try await services.session { session in
                try RouteResponder.run({ input, session in try plan(input, session, service) }, input, session)
            }
        }
    }
}
