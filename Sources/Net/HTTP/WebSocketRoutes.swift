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
        try await within(sendTimeoutMs) { try await $0.write(.text(text)) }
    }

    /// A normal close (1000), under the same kind of deadline (the server's stop gives a shorter one).
    func close(reason: String, timeoutMs: Int) async throws {
        try await within(timeoutMs) { try await $0.close(.normalClosure, reason: reason) }
    }

    private func within(_ timeoutMs: Int, _ write: @escaping @Sendable (WebSocketOutboundWriter) async throws -> Void) async throws {
        let outbound = self.outbound
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await write(outbound); return true }
            group.addTask { try await Task.sleep(for: .milliseconds(timeoutMs)); return false }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw TooSlow() }
        }
    }
}

/// The open WebSockets as the server's stop sees them. `vireo serve` calls `closeAll` at the
/// stop signal, before the HTTP server's own graceful stop: every socket then writes its close
/// frame (1000) itself, after its stream's last frame, and `closeAll` returns once every
/// handler has returned. Left to the HTTP server's stop, the close raced the handler's return:
/// the WebSocket library's shutdown task and the handler's return both close, the loser goes on
/// to finish the writer and close the channel, and when the library's task had won but not yet
/// queued its frame the frame was dropped (the client saw the connection end with no close).
public final class WebSocketStop: Sendable {
    private struct State {
        var stopping = false
        var open = 0
        var nextWaiterID = 0
        /// Sockets waiting for the stop.
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        /// `closeAll` callers waiting for the last socket to end.
        var closing: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Closes every open socket and returns when none is left; a socket upgraded after this
    /// began is closed at once. Bounded: each socket's close frame has `stopCloseTimeoutMs`.
    public func closeAll() async {
        let sockets = state.withLock { state in
            state.stopping = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        sockets.forEach { $0.resume() }
        await withCheckedContinuation { continuation in
            let none = state.withLock { state in
                if state.open > 0 { state.closing.append(continuation) }
                return state.open == 0
            }
            if none { continuation.resume() }
        }
    }

    /// Counts a socket in, unless `max` are open.
    func admit(max: Int) -> Bool {
        state.withLock { state in
            guard state.open < max else { return false }
            state.open += 1
            return true
        }
    }

    /// A socket `admit` counted in has ended.
    func ended() {
        let closers = state.withLock { state in
            state.open -= 1
            defer { if state.open == 0 { state.closing = [] } }
            return state.open == 0 ? state.closing : []
        }
        closers.forEach { $0.resume() }
    }

    /// Returns when the stop begins (at once if it has), or when the task is cancelled.
    func requested() async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if !state.stopping && !Task.isCancelled { state.waiting[id] = continuation }
                    return state.stopping || Task.isCancelled
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
    }
}

/// The server's one WebSocket upgrade hook: finds the declaration for a request, checks its
/// credentials, and runs the stream beside a reader of the client's frames (which is how a
/// close is noticed). At most `connectionsMax` sockets stream at once; more are closed at once
/// with 1013 (try again later). When the server stops (`stop.closeAll`, else the graceful
/// shutdown of the application run on its own) every stream ends and its socket is closed with
/// 1000 at once, without waiting for the client's answer, so an open dashboard never holds the stop.
final class WebSocketDispatcher: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    static let connectionsMax = 256
    static let sendTimeoutMsDefault = 30_000
    /// How long a socket's close frame may take at the server's stop before the connection is
    /// dropped (a client that takes nothing, its buffers full): the stop waits no longer.
    static let stopCloseTimeoutMs = 1_000

    let routes: [WebSocketRoute]
    let services: RouteServices
    /// The principal of a presented key or token on a path; nil when it is neither.
    let authenticate: @Sendable (String, String) async -> Principal?
    let sendTimeoutMs: Int
    let stop: WebSocketStop

    init(routes: [WebSocketRoute], services: RouteServices, sendTimeoutMs: Int = sendTimeoutMsDefault, stop: WebSocketStop = WebSocketStop(),
         authenticate: @escaping @Sendable (String, String) async -> Principal?) {
        self.routes = routes
        self.services = services
        self.sendTimeoutMs = sendTimeoutMs
        self.stop = stop
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
        guard stop.admit(max: Self.connectionsMax) else {
            try? await outbound.close(.init(codeNumber: 1013), reason: "too many live streams; try again later")
            return
        }
        defer { stop.ended() }
        let sender = WebSocketSender(outbound: outbound, sendTimeoutMs: sendTimeoutMs)
        let ending = await withTaskGroup(of: Ending.self) { [stop] group in
            group.addTask { await Self.send(stream, sender, channel: channel) }
            group.addTask {
                do { for try await _ in inbound {} } catch {}
                return .clientLeft
            }
            // A stream that never ends (the dashboard) must not hold the server's stop.
            group.addTask {
                await stop.requested()
                return .serverStopping
            }
            group.addTask {
                try? await gracefulShutdown()
                return .serverStopping
            }
            let ending = await group.next() ?? .streamEnded
            group.cancelAll()
            return ending
        }
        guard ending == .serverStopping else { return }
        // Closed here, after the stream's last frame, and only then does the handler return (the
        // library then closes the connection at once: the reader is gone, nobody waits for the
        // client's answer). Within the bound, so a client that takes nothing is just dropped.
        do {
            try await sender.close(reason: "server stopping", timeoutMs: min(sendTimeoutMs, Self.stopCloseTimeoutMs))
        } catch {
            channel.close(promise: nil)
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
