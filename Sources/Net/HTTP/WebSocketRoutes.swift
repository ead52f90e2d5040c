import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import WSCore

/// One WebSocket endpoint, declared like a REST route: a path template (`{name}` segments
/// capture), whether it needs a key, and what it streams. The server has one upgrade hook,
/// `WebSocketDispatcher`, which matches a request against every declaration, checks the
/// credentials the same way `APIKeyMiddleware` does for REST, and runs the stream; adding a
/// socket is adding a declaration to `RESTRoutes.webSockets`.
struct WebSocketRoute: Sendable {
    /// Sends messages with `send` until the stream is over; returns the reason sent with the
    /// normal close. Throwing (the client left, the engine failed) ends the connection.
    typealias Stream = @Sendable (_ send: WebSocketSender) async throws -> String

    let path: String
    let requiresKey: Bool
    /// The stream for an accepted upgrade, or nil to refuse it (an unknown job or session, a
    /// service this server lacks): refused upgrades get the HTTP layer's 400 and no stream.
    let open: @Sendable (WebSocketRequest, RouteServices) async -> Stream?

    init(_ path: String, requiresKey: Bool = true, open: @escaping @Sendable (WebSocketRequest, RouteServices) async -> Stream?) {
        self.path = path
        self.requiresKey = requiresKey
        self.open = open
    }

    /// The path's captures (percent-decoded) when `path` is this route's, else nil.
    func captures(_ path: String) -> [String: String]? {
        let template = self.path.split(separator: "/"), parts = path.split(separator: "/")
        guard template.count == parts.count else { return nil }
        var captures: [String: String] = [:]
        for (pattern, part) in zip(template, parts) {
            if pattern.hasPrefix("{"), pattern.hasSuffix("}") {
                captures[String(pattern.dropFirst().dropLast())] = String(part).removingPercentEncoding ?? String(part)
            } else if pattern != part {
                return nil
            }
        }
        return captures
    }
}

/// What a WebSocket route sees of its upgrade request.
struct WebSocketRequest: Sendable {
    let captures: [String: String]
    let uri: URI
    let principal: Principal?

    func path(_ name: String) -> String { captures[name] ?? "" }
    func query(_ name: String) -> String? { uri.queryParameters.get(name) }

    /// An integer query parameter clamped to `range`; `fallback` when absent or not a number.
    func query(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        min(max(query(name).flatMap { Int($0) } ?? fallback, range.lowerBound), range.upperBound)
    }
}

/// Writes a route's messages with a deadline: a client that has not taken a message within
/// `sendTimeoutMs` (its socket buffers full, NIO's writer suspended) is disconnected, so a
/// slow consumer never makes the server hold more than the message in hand.
struct WebSocketSender: Sendable {
    let outbound: WebSocketOutboundWriter
    let sendTimeoutMs: Int

    struct TooSlow: Error {}

    func send(_ text: String) async throws {
        let outbound = self.outbound, timeoutMs = sendTimeoutMs
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await outbound.write(.text(text)); return true }
            group.addTask { try await Task.sleep(for: .milliseconds(timeoutMs)); return false }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw TooSlow() }
        }
    }
}

/// The server's one WebSocket upgrade hook: finds the declaration for a request, checks its
/// credentials, and runs the stream beside a reader of the client's frames (which is how a
/// close is noticed). At most `connectionsMax` sockets stream at once; more are closed at once
/// with 1013 (try again later). At the server's graceful shutdown every stream ends (the
/// library closes with 1000), so an open dashboard never holds the stop.
final class WebSocketDispatcher: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    static let connectionsMax = 256
    static let sendTimeoutMsDefault = 30_000

    let routes: [WebSocketRoute]
    let services: RouteServices
    /// The principal of a presented key or token on a path; nil when it is neither.
    let authenticate: @Sendable (String, String) async -> Principal?
    let sendTimeoutMs: Int
    private let open = Mutex(0)

    init(routes: [WebSocketRoute], services: RouteServices, sendTimeoutMs: Int = sendTimeoutMsDefault,
         authenticate: @escaping @Sendable (String, String) async -> Principal?) {
        self.routes = routes
        self.services = services
        self.sendTimeoutMs = sendTimeoutMs
        self.authenticate = authenticate
    }

    func shouldUpgrade(_ request: HTTPRequest, _ channel: any Channel, _ logger: Logger) async throws -> ShouldUpgradeResult<Handler> {
        let uri = URI(request.path ?? "")
        guard let (route, captures) = routes.lazy.compactMap({ route in route.captures(uri.path).map { (route, $0) } }).first else {
            return .dontUpgrade
        }
        var principal: Principal?
        if route.requiresKey {
            // Browsers cannot set headers on a WebSocket, hence the query parameter.
            guard let presented = APIKeyMiddleware.presentedKey(request.headerFields) ?? uri.queryParameters.get("api_key"),
                  let found = await authenticate(presented, uri.path) else { return .dontUpgrade }
            principal = found
        }
        guard let stream = await route.open(WebSocketRequest(captures: captures, uri: uri, principal: principal), services) else {
            return .dontUpgrade
        }
        return .upgrade([:]) { [self] inbound, outbound, _ in
            await run(stream, inbound: inbound, outbound: outbound, channel: channel)
        }
    }

    private func run(_ stream: @escaping WebSocketRoute.Stream, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                     channel: any Channel) async {
        let admitted = open.withLock { count -> Bool in
            guard count < Self.connectionsMax else { return false }
            count += 1
            return true
        }
        guard admitted else {
            try? await outbound.close(.init(codeNumber: 1013), reason: "too many live streams; try again later")
            return
        }
        defer { open.withLock { $0 -= 1 } }
        let sender = WebSocketSender(outbound: outbound, sendTimeoutMs: sendTimeoutMs)
        await withTaskGroup(of: Ending.self) { group in
            group.addTask { await Self.send(stream, sender, channel: channel) }
            group.addTask {
                do { for try await _ in inbound {} } catch {}
                return .clientLeft
            }
            // A stream that never ends (the dashboard) must not hold the server's graceful stop:
            // the WebSocket library sends the close frame then, and the handler returns at once
            // rather than waiting for a client that may never answer it.
            group.addTask {
                try? await gracefulShutdown()
                return .serverStopping
            }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private enum Ending { case streamEnded, clientLeft, serverStopping }

    /// Runs the stream and closes: normally when it ends, at once when the client was too slow.
    private static func send(_ stream: WebSocketRoute.Stream, _ sender: WebSocketSender, channel: any Channel) async -> Ending {
        do {
            let reason = try await stream(sender)
            try Task.checkCancellation()  // a stream cut short is not a normal end
            try await sender.outbound.close(.normalClosure, reason: reason)
        } catch is WebSocketSender.TooSlow {
            // A close frame would queue behind what the client is not reading: drop the connection.
            channel.close(promise: nil)
        } catch is CancellationError {
            // The client left or the server is stopping: whoever ended it closes.
        } catch {
            try? await sender.outbound.close(.unexpectedServerError, reason: "stream failed")
        }
        return .streamEnded
    }
}
