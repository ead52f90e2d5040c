/// Seed 003 (ShelbyCompute): a job queue, compute nodes and their logs, under `/api/jobs`,
/// `/api/nodes`, `/api/frontend` and `/api/usage-report`; errors as `{"detail": …}`.
public enum JobsSurface {
    static var routes: [RouteDeclaration] { JobsQueueRoutes.all + JobsAgentRoutes.all + JobsFrontendRoutes.all + JobsWebSocket.plainRequests }
}
