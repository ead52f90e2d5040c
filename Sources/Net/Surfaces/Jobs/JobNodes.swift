import Crypto
import Foundation
import VireoQuery
import VireoStorage

/// Registered nodes and their tokens. A token is shown once, at registration; the table
/// keeps only its SHA-256, and every agent call names its node by presenting it.
enum JobNodes {
    static let table = JobsSchema.nodes
    static let tokenHeader = "X-Node-Token"

    struct Registration: Sendable {
        var nodeID: String
        var token: String
    }

    /// Registers `nodeID` (a new id when nil), or registers it again: a new token replaces
    /// the old one, and the jobs the node held go back to pending at once (an agent that
    /// registers again has restarted, so whatever it was running is gone).
    static func register(_ session: Session, nodeID: String?, specs: JSONValue, slots: Int) throws -> Registration {
        let id = nodeID ?? "node-" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
        let token = randomToken()
        let now = JobClock.nowMs()
        try TableSQL.transaction(session) {
            try session.execute("""
                INSERT INTO \(table) (node_id, token_sha256, specs, usage, slots, registered_at, last_seen) VALUES ($1, $2, $3, NULL, $4, $5, $5)
                ON CONFLICT (node_id) DO UPDATE SET token_sha256 = excluded.token_sha256, specs = excluded.specs, slots = excluded.slots,
                  registered_at = excluded.registered_at, last_seen = excluded.last_seen
                """, [.text(id), .text(digest(token)), specs == .null ? .null : .json(specs.text), .int(Int64(slots)), .int(now)])
            _ = try requeueHeld(session, nodeID: id, event: "requeued_node_restarted", at: now)
        }
        return Registration(nodeID: id, token: token)
    }

    /// A node leaving: its token stops working (so a long poll it abandoned cannot take a
    /// job for it any more) and whatever it still holds goes back to pending.
    static func deregister(_ session: Session, nodeID: String) throws -> Int {
        let now = JobClock.nowMs()
        return try TableSQL.transaction(session) {
            try session.execute("UPDATE \(table) SET token_sha256 = $1 WHERE node_id = $2",
                                [.text("revoked:" + randomToken()), .text(nodeID)])
            return try requeueHeld(session, nodeID: nodeID, event: "requeued_node_left", at: now)
        }
    }

    /// Puts back the jobs `nodeID` holds, with `event` in their provenance; returns how many.
    static func requeueHeld(_ session: Session, nodeID: String, event: String, at now: Int64) throws -> Int {
        let held = try session.execute("""
            UPDATE \(JobsSchema.jobs) SET status = 'pending', assigned_node = NULL, lease_expires_at = NULL, started_at = NULL
            WHERE assigned_node = $1 AND status IN ('assigned', 'running') RETURNING job_id, attempt_total
            """, [.text(nodeID)]).rows
        for row in held {
            var cells = RowCells(row)
            try JobQueue.event(session, cells.text() ?? "", event, node: nodeID, attempt: cells.int(), at: now)
        }
        return held.count
    }

    /// The node whose token this is, or a 401.
    static func authenticate(_ session: Session, token: String?) throws -> String {
        guard let token, !token.isEmpty else {
            throw RESTError(.unauthorized, code: "node_token_required", "send the node's token from /api/nodes/register as \(tokenHeader)")
        }
        let rows = try session.execute("SELECT node_id FROM \(table) WHERE token_sha256 = $1", [.text(digest(token))]).rows
        guard case .text(let nodeID)? = rows.first?.first else { throw tokenInvalid }
        return nodeID
    }

    /// Records that the node is alive, with its usage when it sent some.
    static func touch(_ session: Session, nodeID: String, usage: JSONValue?) throws {
        let now = JobClock.nowMs()
        if let usage {
            try session.execute("UPDATE \(table) SET last_seen = $1, usage = $2 WHERE node_id = $3", [.int(now), .json(usage.text), .text(nodeID)])
        } else {
            try session.execute("UPDATE \(table) SET last_seen = $1 WHERE node_id = $2", [.int(now), .text(nodeID)])
        }
    }

    static let tokenInvalid = RESTError(.unauthorized, code: "node_token_invalid", "the node token is not valid (register the node again)")

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
