import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import VireoQuery
import VireoStorage

/// Webhooks any surface can fire: registrations (url, events, secret) and deliveries are rows,
/// so a delivery waiting for its retry survives a restart. `emit` only writes rows and wakes
/// the sender; requests never wait for a receiver.
///
/// A delivery is a POST of `{"event", "timestamp", "data"}` with
/// `X-Vireo-Signature: sha256=HEX` — HMAC-SHA256 under the webhook's secret of
/// `TIMESTAMP + "." + BODY` — and `X-Vireo-Timestamp` (Unix seconds), `X-Vireo-Event`,
/// `X-Vireo-Delivery`. A 2xx answer delivers it; anything else is retried after 1, 2, 4 …
/// seconds (`backoffBaseMs`) up to `attemptsMax` attempts, each recorded (status code,
/// latency, attempts, error). Events are free names: seed 002 sends `training_completed`,
/// seed 001's `pipeline.completed` registers the same way; `*` takes every event.
public final class WebhookDispatcher: Sendable {
    static let webhooks = "vireo_webhooks"
    static let deliveries = "vireo_webhook_deliveries"
    public static let attemptsMax = 6
    /// Deliveries one round sends.
    static let batchMax = 32
    static let timeoutMs: Int64 = 10_000
    static let urlCharactersMax = 2048

    let engine: EngineAccess
    let backoffBaseMs: Int
    let logger = Logger(label: "vireo.webhooks")
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let schemaReady = Mutex(false)

    public init(engine: EngineAccess, backoffBaseMs: Int = 1000) {
        self.engine = engine
        self.backoffBaseMs = backoffBaseMs
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS \(webhooks) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, url text NOT NULL, events jsonb NOT NULL,
          secret text, status text NOT NULL, created_at timestamptz NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS \(deliveries) (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, webhook_id text NOT NULL,
          event text NOT NULL, payload text NOT NULL, status text NOT NULL, attempts bigint NOT NULL, status_code bigint,
          latency_ms double precision, error text, next_attempt_at timestamptz NOT NULL, created_at timestamptz NOT NULL,
          delivered_at timestamptz)
        """,
        "CREATE INDEX IF NOT EXISTS \(deliveries)_webhook ON \(deliveries) (webhook_id)",
    ]

    func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        if !schemaReady.withLock({ $0 }) {
            try await engine.session { session in for statement in Self.statements { try session.execute(statement) } }
            schemaReady.withLock { $0 = true }
        }
        return try await engine.session(body)
    }

    static func now() -> Value { .timestamp(Int64(Date().timeIntervalSince1970 * 1_000_000)) }

    static func newID(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// An http or https URL with a host, or a 422 naming `url`.
    static func checkURL(_ text: String) throws -> URL {
        guard text.count <= urlCharactersMax, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty else {
            throw RESTError.invalid("url", "must be an http or https URL with a host")
        }
        return url
    }

    // MARK: Registrations

    static let columns = "id, url, events, status, created_at, secret IS NOT NULL"

    static func json(_ row: [Value]) -> JSONValue {
        .fields(("webhook_id", JSONValue(row[0])), ("id", JSONValue(row[0])), ("url", JSONValue(row[1])), ("events", JSONValue(row[2])),
                ("status", JSONValue(row[3])), ("created_at", JSONValue(row[4])), ("has_secret", JSONValue(row[5])))
    }

    public func register(url: String, events: [String], secret: String?) async throws -> JSONValue {
        _ = try Self.checkURL(url)
        let id = Self.newID("webhook")
        return try await session { session in
            try session.execute("""
                INSERT INTO \(Self.webhooks) (id, url, events, secret, status, created_at) VALUES ($1, $2, $3, $4, 'active', $5)
                RETURNING \(Self.columns)
                """, [.text(id), .text(url), .json(JSONValue.array(events.map(JSONValue.string)).text), secret.map(Value.text) ?? .null,
                      Self.now()]).rows.first.map(Self.json) ?? .null
        }
    }

    public func list() async throws -> [JSONValue] {
        try await session { try $0.execute("SELECT \(Self.columns) FROM \(Self.webhooks) ORDER BY seq").rows.map(Self.json) }
    }

    public func delete(_ id: String) async throws {
        try await session { session in
            guard try session.execute("DELETE FROM \(Self.webhooks) WHERE id = $1", [.text(id)]).rowCount == 1 else { throw Self.notFound(id) }
            try session.execute("DELETE FROM \(Self.deliveries) WHERE webhook_id = $1", [.text(id)])
        }
    }

    static func notFound(_ id: String) -> RESTError { .notFound("no webhook '\(id)'", field: "webhook_id") }

    public func deliveries(_ id: String, limit: Int) async throws -> [JSONValue] {
        try await session { session in
            guard try !session.execute("SELECT 1 FROM \(Self.webhooks) WHERE id = $1", [.text(id)]).rows.isEmpty else { throw Self.notFound(id) }
            return try session.execute("""
                SELECT id, event, status, attempts, status_code, latency_ms, error, created_at, delivered_at FROM \(Self.deliveries)
                WHERE webhook_id = $1 ORDER BY seq DESC LIMIT \(limit)
                """, [.text(id)]).rows.map { row in
                .fields(("delivery_id", JSONValue(row[0])), ("event", JSONValue(row[1])), ("status", JSONValue(row[2])),
                        ("attempts", JSONValue(row[3])), ("status_code", JSONValue(row[4])), ("latency_ms", JSONValue(row[5])),
                        ("error", JSONValue(row[6])), ("created_at", JSONValue(row[7])), ("delivered_at", JSONValue(row[8])))
            }
        }
    }

    // MARK: Deliveries

    /// A delivery row for each active webhook that takes `event`; the sender is woken.
    public func emit(_ event: String, data: JSONValue) async {
        let payload = JSONValue.object([("event", .string(event)), ("timestamp", JSONValue(Self.now())), ("data", data)]).text
        do {
            try await session { session in
                let hooks = try session.execute("SELECT id, events FROM \(Self.webhooks) WHERE status = 'active'").rows
                for hook in hooks {
                    guard case .array(let events) = JSONValue(hook[1]),
                          events.contains(where: { $0.unquotedText == event || $0.unquotedText == "*" }) else { continue }
                    try session.execute("""
                        INSERT INTO \(Self.deliveries) (id, webhook_id, event, payload, status, attempts, next_attempt_at, created_at)
                        VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)
                        """, [.text(Self.newID("dlv")), hook[0], .text(event), .text(payload), Self.now()])
                }
            }
            wakeContinuation.yield()
        } catch {
            logger.error("webhook event \(event) could not be queued: \(error)")
        }
    }

    /// One signed POST; (status code, latency ms), or the error.
    public func send(url: String, secret: String?, event: String, deliveryID: String, payload: String) async -> (Int?, Double, String?) {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Vireo-Webhooks/\(VireoVersion.text)")
        request.headers.add(name: "X-Vireo-Event", value: event)
        request.headers.add(name: "X-Vireo-Delivery", value: deliveryID)
        request.headers.add(name: "X-Vireo-Timestamp", value: timestamp)
        if let secret { request.headers.add(name: "X-Vireo-Signature", value: "sha256=" + Self.signature(secret: secret, timestamp: timestamp, body: payload)) }
        request.body = .bytes(ByteBuffer(string: payload))
        let started = ContinuousClock.now
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Self.timeoutMs))
            _ = try? await response.body.collect(upTo: 64 << 10)
            return (Int(response.status.code), Self.milliseconds(since: started), nil)
        } catch {
            return (nil, Self.milliseconds(since: started), "\(error)")
        }
    }

    /// Hex HMAC-SHA256 of `timestamp.body` under `secret`: what a receiver recomputes to trust a delivery.
    public static func signature(secret: String, timestamp: String, body: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "." + body).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15 * 10).rounded() / 10
    }

    /// Sends a test event now and answers how it went (seed 002's `/test`).
    public func test(_ id: String) async throws -> JSONValue {
        let hook = try await session { session in
            guard let row = try session.execute("SELECT url, secret FROM \(Self.webhooks) WHERE id = $1", [.text(id)]).rows.first else {
                throw Self.notFound(id)
            }
            return (row[0].textValue ?? "", row[1].textValue)
        }
        let payload = JSONValue.object([("event", .string("test")), ("timestamp", JSONValue(Self.now())),
                                        ("data", .fields(("webhook_id", .string(id)), ("message", .string("a test delivery from Vireo"))))]).text
        let (code, latency, error) = await send(url: hook.0, secret: hook.1, event: "test", deliveryID: Self.newID("dlv"), payload: payload)
        return .fields(("success", .bool(code.map { (200..<300).contains($0) } ?? false)), ("status_code", code.map { .number(Double($0)) } ?? .null),
                       ("response_time_ms", .number(latency)), ("error", error.map(JSONValue.string) ?? .null))
    }

    /// Sends what is due, until cancelled: woken by `emit`, and once a second for retries.
    public func runUntilCancelled() async {
        let ticker = Task { [wakeContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                wakeContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        await withTaskCancellationHandler {
            for await _ in wakeStream {
                do { try await sendDue() } catch { logger.error("webhook deliveries: \(error)") }
            }
        } onCancel: { [wakeContinuation] in
            wakeContinuation.finish()
        }
    }

    /// Sends the pending deliveries whose time has come, recording each attempt.
    func sendDue() async throws {
        let due = try await session { session in
            try session.execute("""
                SELECT d.id, d.event, d.payload, d.attempts, w.url, w.secret FROM \(Self.deliveries) d JOIN \(Self.webhooks) w ON w.id = d.webhook_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.seq LIMIT \(Self.batchMax)
                """, [Self.now()]).rows
        }
        for row in due {
            guard let id = row[0].textValue, let event = row[1].textValue, let payload = row[2].textValue, let url = row[4].textValue else { continue }
            let attempts = (row[3].intValue ?? 0) + 1
            let (code, latency, error) = await send(url: url, secret: row[5].textValue, event: event, deliveryID: id, payload: payload)
            let delivered = code.map { (200..<300).contains($0) } ?? false
            let status = delivered ? "delivered" : attempts >= Int64(Self.attemptsMax) ? "failed" : "pending"
            let retryMs = Double(backoffBaseMs) * pow(2, Double(attempts - 1))
            let next = Value.timestamp(Int64((Date().timeIntervalSince1970 + retryMs / 1000) * 1_000_000))
            _ = try await session { session in
                try session.execute("""
                    UPDATE \(Self.deliveries) SET status = $1, attempts = $2, status_code = $3, latency_ms = $4, error = $5, next_attempt_at = $6,
                      delivered_at = $7 WHERE id = $8
                    """, [.text(status), .int(attempts), code.map { .int(Int64($0)) } ?? .null, .double(latency),
                          (error ?? (delivered ? nil : "HTTP \(code ?? 0)")).map(Value.text) ?? .null, next,
                          delivered ? Self.now() : .null, .text(id)])
            }
        }
    }
}
