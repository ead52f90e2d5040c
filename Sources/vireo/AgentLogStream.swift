import Foundation
import Synchronization
import VireoQuery

/// The lines of one attempt on their way to /api/jobs/stream-log: numbered as they are
/// read (so a batch sent twice is stored once), sent in batches every `flushIntervalMs` or
/// when `batchLinesMax` are waiting. At most `pendingLinesMax` wait; beyond that lines are
/// counted and dropped, and a line saying how many goes in their place.
final class AgentLogStream: Sendable {
    static let batchLinesMax = 500
    static let pendingLinesMax = 100_000
    static let flushIntervalMs = 200
    /// How long a batch is retried while the server is away before the run gives up on logs.
    static let sendGiveUpMs = 120_000

    struct Line: Sendable {
        var lineNo: Int
        var stream: String
        var text: String
        var atSeconds: Double
    }

    private struct State {
        var pending: [Line] = []
        var nextLineNo = 1
        var dropped = 0
        var closed = false
    }

    let jobID: String
    let attempt: Int
    let client: AgentClient
    private let state = Mutex(State())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    init(jobID: String, attempt: Int, client: AgentClient) {
        self.jobID = jobID
        self.attempt = attempt
        self.client = client
        (wakes, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Adds a line (from a reader thread or the agent itself).
    func append(_ stream: String, _ text: String) {
        let full = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            guard state.pending.count < Self.pendingLinesMax else {
                state.dropped += 1
                return true
            }
            if state.dropped > 0 {
                state.pending.append(Line(lineNo: state.nextLineNo, stream: "system", text: "[agent] \(state.dropped) lines dropped: the server was not taking them",
                                          atSeconds: Date().timeIntervalSince1970))
                state.nextLineNo += 1
                state.dropped = 0
            }
            state.pending.append(Line(lineNo: state.nextLineNo, stream: stream, text: text, atSeconds: Date().timeIntervalSince1970))
            state.nextLineNo += 1
            return state.pending.count >= Self.batchLinesMax
        }
        if full { wake.yield() }
    }

    /// No more lines; `run` sends what waits and returns.
    func close() {
        state.withLock { $0.closed = true }
        wake.yield()
    }

    /// Sends batches until closed and empty. Returns false when the server refused the lines
    /// (the job is no longer this node's: stop it).
    func run() async -> Bool {
        while true {
            let (batch, done) = state.withLock { state in (Array(state.pending.prefix(Self.batchLinesMax)), state.closed && state.pending.isEmpty) }
            if done { return true }
            if batch.isEmpty {
                await waitForLines()
                continue
            }
            do {
                _ = try await client.callRetrying("POST", "/api/jobs/stream-log", body(batch), giveUpAfterMs: Self.sendGiveUpMs)
                state.withLock { $0.pending.removeFirst(min(batch.count, $0.pending.count)) }
            } catch is CancellationError {
                return true
            } catch {
                FileHandle.standardError.write(Data("vireo agent: logs of \(jobID) not stored: \(error)\n".utf8))
                state.withLock { $0.pending.removeAll(); $0.closed = true }
                return false
            }
            if batch.count < Self.batchLinesMax { try? await Task.sleep(for: .milliseconds(Self.flushIntervalMs)) }
        }
    }

    private func waitForLines() async {
        await withTaskGroup(of: Void.self) { group in
            let wakes = self.wakes
            group.addTask { for await _ in wakes { return } }
            group.addTask { try? await Task.sleep(for: .milliseconds(Self.flushIntervalMs)) }
            await group.next()
            group.cancelAll()
        }
    }

    private func body(_ batch: [Line]) -> JSONValue {
        .object([("jobId", .string(jobID)), ("attempt", .number(Double(attempt))), ("lines", .array(batch.map { line in
            .object([("line", .string(line.text)), ("stream", .string(line.stream)), ("lineNo", .number(Double(line.lineNo))),
                     ("timestamp", .number(line.atSeconds))])
        }))])
    }
}
