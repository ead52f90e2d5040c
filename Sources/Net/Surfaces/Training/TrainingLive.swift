import Foundation
import Synchronization

/// Wakes the live streams of a session when a report is written or its status changes.
/// A wake carries nothing: a stream reads what is new from the tables, so a slow consumer
/// costs one pending wake (the buffer keeps the newest), never a growing queue.
final class TrainingLive: Sendable {
    /// Live streams at once; more are refused (503) rather than letting watchers pile up.
    static let subscribersMax = 256
    private let subscribers = Mutex<[String: [UUID: AsyncStream<Void>.Continuation]]>([:])

    /// A stream woken at each change of `sessionID` (and by whoever holds its continuation:
    /// a heartbeat); nil when too many streams are open.
    func subscribe(_ sessionID: String) -> (UUID, AsyncStream<Void>, AsyncStream<Void>.Continuation)? {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let token = UUID()
        let added = subscribers.withLock { table -> Bool in
            guard table.values.reduce(0, { $0 + $1.count }) < Self.subscribersMax else { return false }
            table[sessionID, default: [:]][token] = continuation
            return true
        }
        return added ? (token, stream, continuation) : nil
    }

    /// Whether another stream would be refused (checked before an answer's headers go out).
    var isFull: Bool { subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } >= Self.subscribersMax } }

    func unsubscribe(_ sessionID: String, _ token: UUID) {
        let continuation = subscribers.withLock { table -> AsyncStream<Void>.Continuation? in
            let removed = table[sessionID]?.removeValue(forKey: token)
            if table[sessionID]?.isEmpty == true { table[sessionID] = nil }
            return removed
        }
        continuation?.finish()
    }

    func notify(_ sessionID: String) {
        let continuations = subscribers.withLock { $0[sessionID].map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield() }
    }
}
