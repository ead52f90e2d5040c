import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import WSCore
import Logging
import NIOCore
import VireoQuery

/// What a live stream sends: each new report of a session, a heartbeat when a while passed
/// without one, and the session's final status, after which the stream ends.
enum TrainingStreamEvent: Sendable {
    case metrics(StoredReport)
    case heartbeat
    case status(SessionRecord)

    /// As Server-Sent Events: reports carry their row's `seq` as id, so Last-Event-ID resumes after it.
    var serverSentEvent: String {
        switch self {
        case .metrics(let report): "id: \(report.seq)\nevent: metrics\ndata: \(report.json().text)\n\n"
        case .heartbeat: ": keep-alive\n\n"
        case .status(let record): "event: status\ndata: \(TrainingStream.statusJSON(record).text)\n\n"
        }
    }

    /// As a WebSocket text message (nil for heartbeats: WebSocket has its own pings).
    var webSocketMessage: String? {
        switch self {
        case .metrics(let report):
            guard case .object(let fields) = report.json() else { return nil }
            return JSONValue.object([("type", .string("metrics")), ("id", .number(Double(report.seq)))] + fields).text
        case .heartbeat: return nil
        case .status(let record):
            guard case .object(let fields) = TrainingStream.statusJSON(record) else { return nil }
            return JSONValue.object([("type", .string("status"))] + fields).text
        }
    }
}

/// Follows one session for a live stream: reads what is new from the tables at each wake
/// (a report written, the status changed, or the heartbeat), in batches, so a slow consumer
/// holds at most one batch; the writer's backpressure does the rest.
enum TrainingStream {
    /// Reports one read takes.
    static let batchMax = 100
    /// How often a quiet stream sends a heartbeat (and notices a client that left).
    static let heartbeatMs = 15_000
    static let finalStatuses: Set<String> = ["completed", "failed", "stopped"]

    static func statusJSON(_ record: SessionRecord) -> JSONValue {
        .fields(("session_id", .string(record.id)), ("status", .string(record.status)), ("current_epoch", .number(Double(record.currentEpoch))),
                ("total_epochs", .number(Double(record.totalEpochs))), ("exit_code", record.exitCode.map { .number(Double($0)) } ?? .null),
                ("error", record.error.map(JSONValue.string) ?? .null), ("completed_at", JSONValue(record.completedAt)))
    }

    /// Sends the reports after `after`, then each new one as it is written, until the session
    /// reaches a final status (sent last) or is deleted, or `send` throws (the client left).
    static func follow(_ training: TrainingService, _ id: String, after: Int64, heartbeatMs: Int = heartbeatMs,
                       send: (TrainingStreamEvent) async throws -> Void) async throws {
        guard let (token, wakes, continuation) = training.live.subscribe(id) else {
            throw RESTError(.serviceUnavailable, code: "too_many_streams", "too many live streams are open; try again later")
        }
        defer { training.live.unsubscribe(id, token) }
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(heartbeatMs))
                continuation.yield()
            }
        }
        defer { heartbeat.cancel() }
        var last = after
        var iterator = wakes.makeAsyncIterator()
        while true {
            let sent = try await sendNew(training, id, after: &last, send: send)
            guard let record = try? await training.session({ try TrainingSQL.session($0, id) }) else { return }
            if finalStatuses.contains(record.status) {
                _ = try await sendNew(training, id, after: &last, send: send)
                try await send(.status(record))
                return
            }
            if !sent { try await send(.heartbeat) }
            guard await iterator.next() != nil else { return }
        }
    }

    /// Sends every report after `last` in batches; whether there was any.
    private static func sendNew(_ training: TrainingService, _ id: String, after last: inout Int64,
                                send: (TrainingStreamEvent) async throws -> Void) async throws -> Bool {
        var sent = false
        while true {
            let from = last
            let batch = try await training.session { try TrainingSQL.reports($0, sessionID: id, after: from, limit: batchMax) }
            for report in batch {
                try await send(.metrics(report))
                last = report.seq
                sent = true
            }
            if batch.count < batchMax { return sent }
        }
    }
}

extension TrainingRoutes {
    static let sse = RouteDeclaration(
        .get, "/api/v1/sse/training/{session_id}",
        summary: "Server-Sent Events: `metrics` for each report (id: its seq; Last-Event-ID resumes), then `status` when the session ends",
        parameters: [sessionParameter,
                     ParameterDeclaration("last_event_id", in: .query, .integer(range: 0...Int64.max),
                                          summary: "resume after this event id (what the Last-Event-ID header says)")],
        response: .string(), rawResponseType: "text/event-stream"
    ) { input, services in
        let training = try services.training
        let id = input.path("session_id")
        _ = try await training.session { try TrainingSQL.session($0, id) }
        guard !training.live.isFull else {
            throw RESTError(.serviceUnavailable, code: "too_many_streams", "too many live streams are open; try again later")
        }
        let resume = input.headers[HTTPField.Name("Last-Event-ID")!] ?? input.query("last_event_id")
        let after = resume.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            try await TrainingStream.follow(training, id, after: after) { event in
                try await writer.write(ByteBuffer(string: event.serverSentEvent))
            }
            try await writer.finish(nil)
        }
        return RouteOutput(streamed: body, contentType: "text/event-stream", headers: [.cacheControl: "no-cache"])
    }

    /// Plain HTTP on the WebSocket path: 404 for an unknown session, else 426 (the upgrade is answered before routing).
    static let webSocket = RouteDeclaration(
        .get, "/api/v1/ws/training/{session_id}",
        summary: "WebSocket (upgrade): a JSON message for each report ({\"type\": \"metrics\", \"id\", \"epoch\", …}), then {\"type\": \"status\", …}; "
            + "the key may come as ?api_key= since browsers cannot send headers",
        parameters: [sessionParameter], response: .object([("message", .string())], required: ["message"]),
        otherStatuses: [.init(code: 426, reasonPhrase: "Upgrade Required")]
    ) { input, services in
        let id = input.path("session_id")
        _ = try await services.training.session { try TrainingSQL.session($0, id) }
        throw RESTError(.init(code: 426, reasonPhrase: "Upgrade Required"), code: "upgrade_required",
                        "this path speaks WebSocket: send Connection: Upgrade and Upgrade: websocket")
    }
}

/// The WebSocket side of the live streams: `/api/v1/ws/training/{session_id}` for a session
/// that exists, served by the server's one upgrade hook (`WebSocketDispatcher`).
enum TrainingWebSocket {
    static let routes = [
        WebSocketRoute("/api/v1/ws/training/{session_id}") { request, services in
            let id = request.path("session_id")
            guard let training = try? services.training,
                  (try? await training.session({ try TrainingSQL.session($0, id) })) != nil else { return nil }
            return { sender in
                try await TrainingStream.follow(training, id, after: 0) { event in
                    if let message = event.webSocketMessage { try await sender.send(message) }
                }
                return "session ended"
            }
        },
    ]
}
