import Logging
import NIOCore
import NIOPosix
import VireoQuery

/// The PostgreSQL wire protocol server: accepts connections on the configured host and
/// port and serves each in its own task until the server is cancelled.
public struct PGServer: Sendable {
    let context: PGServerContext

    /// The settings it serves with.
    public var configuration: ServerConfiguration { context.configuration }

    let tls: ServerTLS?

    /// With `pipelines`, `--pg-auth cleartext` also takes an administrator's access token as the password.
    public init(database: Database, executor: EngineExecutor, keys: APIKeys, configuration: ServerConfiguration, logger: Logger,
                metrics: ServerMetrics = ServerMetrics(), tls: ServerTLS? = nil, pipelines: PipelineService? = nil) {
        var tokens: (@Sendable (String) async -> Principal?)?
        if let pipelines {
            let access = EngineAccess(database: database, executor: executor)
            tokens = { token in await AuthRoutes.principal(token: token, tokens: pipelines.tokens, engine: access) }
        }
        context = PGServerContext(database: database, executor: executor, keys: keys, configuration: configuration, logger: logger,
                                  metrics: metrics, tokens: tokens)
        self.tls = tls
    }

    /// Listens, reports the bound port (useful with port 0) and accepts connections until
    /// cancelled; each is served concurrently.
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let listener = try await bind()
        onBound(listener.channel.localAddress?.port ?? context.configuration.pgPort)
        try await serve(listener)
    }

    private func bind() async throws -> NIOAsyncChannel<PGChannelPort, Never> {
        let messageBytesMax = context.configuration.messageBytesMax
        let tlsContext = tls?.context
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: context.configuration.host, port: context.configuration.pgPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext { try channel.pipeline.syncOperations.addHandler(PGSSLNegotiationHandler(tls: tlsContext)) }
                    let port = PGChannelPort(eventLoop: channel.eventLoop, messageBytesMax: messageBytesMax)
                    try channel.pipeline.syncOperations.addHandler(port)
                    return port
                }
            }
    }

    private func serve(_ listener: NIOAsyncChannel<PGChannelPort, Never>) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await port in connections {
                    let context = self.context
                    let loop = EventLoopTaskExecutor(port.eventLoop)
                    group.addTask(executorPreference: loop) { await PGConnection(server: context, port: port).serve() }
                }
            }
        }
    }
}
