import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import VireoQuery

/// `vireo agent`: a compute node of the jobs surface (seed 003). It registers with the
/// machine's specs, heartbeats, long-polls for jobs, runs each in a fresh directory and
/// streams its output; it rides out server restarts, and on SIGTERM stops taking work,
/// lets running jobs end for `--drain-seconds`, then hands back what is left.
struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run jobs of a vireo server as a compute node.",
        discussion: "The API key may come from VIREO_API_KEY instead of --api-key (ps shows flags).")

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8000.")
    var server: String
    @Option(help: "An API key of the server (needed to register).")
    var apiKey: String?
    @Option(help: "Directory for the jobs' working directories (default: a new one under the system's temporary directory).")
    var workDir: String?
    @Option(help: "Jobs run at once.")
    var slots = 1
    @Option(help: "This node's id (default: the host name and a random suffix).")
    var nodeId: String?
    @Option(help: "Seconds a poll waits for work.")
    var pollWaitSeconds = 20
    @Option(help: "Time limit of a job: its runtimeMinutesEstimate times this.")
    var timeLimitFactor = 2.0
    @Option(help: "Shortest time limit, in seconds.")
    var timeLimitMinSeconds = 5.0
    @Option(help: "Time limit of a job without an estimate, in minutes.")
    var defaultTimeLimitMinutes = 60.0
    @Option(help: "Virtual memory limit of a job in MB (ulimit -v; default: none).")
    var memoryLimitMb: Int?
    @Option(help: "Python interpreter for .py entrypoints.")
    var python = "python3"
    @Option(help: "After SIGTERM: seconds running jobs may take to end before they are handed back.")
    var drainSeconds = 10.0

    func validate() throws {
        guard (1...256).contains(slots) else { throw ValidationError("--slots must be from 1 to 256") }
        guard (0...3600).contains(pollWaitSeconds) else { throw ValidationError("--poll-wait-seconds must be from 0 to 3600") }
        guard timeLimitFactor > 0, timeLimitMinSeconds > 0, defaultTimeLimitMinutes > 0, drainSeconds >= 0 else {
            throw ValidationError("time limits must be positive")
        }
        guard apiKey ?? ProcessInfo.processInfo.environment["VIREO_API_KEY"] != nil else { throw ValidationError("give --api-key or VIREO_API_KEY") }
    }

    func run() async throws {
        let key = apiKey ?? ProcessInfo.processInfo.environment["VIREO_API_KEY"] ?? ""
        let directory = workDir ?? NSTemporaryDirectory() + "vireo-agent-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let settings = AgentRunSettings(workDirectory: directory, python: python, timeLimitFactor: timeLimitFactor,
                                        timeLimitSecondsMin: timeLimitMinSeconds, timeLimitSecondsDefault: defaultTimeLimitMinutes * 60,
                                        memoryLimitMB: memoryLimitMb)
        let node = AgentNode(client: AgentClient(baseURL: server, apiKey: key), settings: settings, slots: slots,
                             nodeID: nodeId ?? Self.defaultNodeID(), pollWaitSeconds: pollWaitSeconds, drainSeconds: drainSeconds)
        AgentSignals.install { node.stop() }
        await node.run()
        say("vireo agent: stopped")
    }

    static func defaultNodeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        return host + "-" + UUID().uuidString.prefix(6).lowercased()
    }
}

/// SIGTERM and SIGINT through a handler that writes a byte to a pipe, read by a thread that
/// calls `onSignal`. A caught signal (unlike an ignored one, which DispatchSource needs)
/// is reset to its default in the jobs the agent starts, so a job still dies of SIGTERM.
enum AgentSignals {
    nonisolated(unsafe) static var writeDescriptor: Int32 = -1

    static func install(_ onSignal: @escaping @Sendable () -> Void) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return }
        writeDescriptor = descriptors[1]
        let readDescriptor = descriptors[0]
        for number in [SIGTERM, SIGINT] {
            signal(number) { _ in
                var byte: UInt8 = 1
                _ = write(AgentSignals.writeDescriptor, &byte, 1)
            }
        }
        Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readDescriptor, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                onSignal()
            }
        }.start()
    }
}

/// The node's life: registration, the heartbeat, one polling loop per slot, and shutdown.
final class AgentNode: Sendable {
    private struct State {
        var stopping = false
        var stops = 0
        var runs: [String: AgentJobRun] = [:]
        var polls: [Int: PollOutcome] = [:]
        /// Set once the node is deregistering: the heartbeat sends no more and registers no more.
        var leaving = false
        var heartbeatMs = 10_000
        var tokenGeneration = 0
    }

    let client: AgentClient
    let settings: AgentRunSettings
    let slots: Int
    let nodeID: String
    let pollWaitSeconds: Int
    let drainSeconds: Double
    let machine = AgentMachine()
    private let state = Mutex(State())
    private let registering = Mutex(false)

    init(client: AgentClient, settings: AgentRunSettings, slots: Int, nodeID: String, pollWaitSeconds: Int, drainSeconds: Double) {
        self.client = client
        self.settings = settings
        self.slots = slots
        self.nodeID = nodeID
        self.pollWaitSeconds = pollWaitSeconds
        self.drainSeconds = drainSeconds
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// First signal: stop taking work (the slots stop waiting for their polls). Second: hand back now.
    func stop() {
        let (polls, runs, count) = state.withLock { state in
            state.stopping = true
            state.stops += 1
            return (Array(state.polls.values), Array(state.runs.values), state.stops)
        }
        polls.forEach { $0.abandon() }
        say(count == 1 ? "vireo agent: stopping; running jobs get \(Int(drainSeconds)) s to end" : "vireo agent: handing back running jobs")
        if count > 1 { runs.forEach { $0.handBack() } }
    }

    func run() async {
        guard await register() else { return }
        Task { await heartbeatLoop() }
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<slots { group.addTask { await self.slotLoop(slot) } }
            group.addTask { await self.drainAfterStop() }
        }
        // The heartbeat is not cancelled (see PollOutcome: a cancelled request may never
        // return): it stops at its next beat, and the process ends without waiting for it.
        state.withLock { $0.leaving = true }
        // Leaving: a poll the server still holds for this node must not take a job for it.
        _ = try? await client.call("POST", "/api/nodes/deregister", timeoutSeconds: 5)
    }

    /// Registers (again), retrying while the server is away; false when stopping first.
    @discardableResult
    func register() async -> Bool {
        let generation = state.withLock { $0.tokenGeneration }
        let already = registering.withLock { busy -> Bool in
            defer { busy = true }
            return busy
        }
        if already {
            while registering.withLock({ $0 }) && !isStopping { try? await Task.sleep(for: .milliseconds(50)) }
            return !isStopping
        }
        defer { registering.withLock { $0 = false } }
        if state.withLock({ $0.tokenGeneration }) != generation { return true }
        let body = JSONValue.object([("nodeId", .string(nodeID)), ("specs", machine.specs(slots: slots)), ("slots", .number(Double(slots)))])
        while !isStopping {
            do {
                let answer = try await client.callRetrying("POST", "/api/nodes/register", body) { error in
                    say("vireo agent: \(error); retrying")
                    if self.isStopping { throw CancellationError() }
                }
                client.setToken(answer.string("token") ?? "")
                let heartbeatMs = Int((answer.double("heartbeatSeconds") ?? 10) * 1000)
                state.withLock { $0.heartbeatMs = max(heartbeatMs, 50); $0.tokenGeneration += 1 }
                say("vireo agent: registered as \(nodeID) with \(slots) slots at \(client.baseURL)")
                return true
            } catch {
                if isStopping { return false }
                say("vireo agent: registration failed: \(error); retrying in 5 s")
                try? await Task.sleep(for: .seconds(5))
            }
        }
        return false
    }

    private func heartbeatLoop() async {
        while !state.withLock({ $0.leaving }) {
            let (intervalMs, running) = state.withLock { ($0.heartbeatMs, Array($0.runs.keys)) }
            let body = JSONValue.object([("usage", machine.usage()), ("jobs", .array(running.map(JSONValue.string)))])
            do {
                let answer = try await client.call("POST", "/api/nodes/heartbeat", body, timeoutSeconds: Double(intervalMs) / 1000 + 5)
                for jobID in (answer.field(.text("cancel"))?.items ?? []).compactMap({ $0.unquotedText }) {
                    state.withLock { $0.runs[jobID] }?.cancel()
                }
            } catch AgentCallError.unauthorized {
                if !state.withLock({ $0.leaving }) { await register() }
            } catch {
                // The server is away; the next beat tries again, and leases outlast a few.
            }
            try? await Task.sleep(for: .milliseconds(intervalMs))
        }
    }

    private func slotLoop(_ slot: Int) async {
        var backoffMs = AgentClient.backoffMsInitial
        while !isStopping {
            do {
                let asked = ContinuousClock.now
                guard let job = try await poll(slot) else {
                    // An empty answer well before the wait (a stopping server answers at once):
                    // back off rather than poll in a tight loop.
                    if ContinuousClock.now - asked < .seconds(min(1, pollWaitSeconds)) || pollWaitSeconds == 0 {
                        try? await Task.sleep(for: .milliseconds(AgentClient.backoffMsInitial))
                    }
                    continue
                }
                backoffMs = AgentClient.backoffMsInitial
                await runJob(job)
            } catch AgentCallError.unauthorized {
                await register()
            } catch is CancellationError {
                continue
            } catch {
                if isStopping { break }
                say("vireo agent: poll failed: \(error)")
                try? await Task.sleep(for: .milliseconds(Int.random(in: backoffMs / 2...backoffMs)))
                backoffMs = min(backoffMs * 2, AgentClient.backoffMsMax)
            }
        }
    }

    /// One long poll, which `stop` abandons: nil then, and a job the request still brings
    /// is given back.
    private func poll(_ slot: Int) async throws -> JSONValue? {
        let wait = pollWaitSeconds, client = self.client
        let outcome = PollOutcome()
        Task {
            let result: Result<JSONValue, any Error>
            do {
                result = .success(try await client.call("GET", "/api/jobs/poll?wait=\(wait)", timeoutSeconds: Double(wait) + 30))
            } catch {
                result = .failure(error)
            }
            if !outcome.deliver(result), case .success(let answer) = result { await Self.release(answer, client) }
        }
        let stopping = state.withLock { state -> Bool in
            state.polls[slot] = outcome
            return state.stopping
        }
        if stopping { outcome.abandon() }
        defer { state.withLock { _ = $0.polls.removeValue(forKey: slot) } }
        guard let answer = try await outcome.value() else { return nil }
        if isStopping {
            // Taken as the stop came: give it back untouched.
            await Self.release(answer, client)
            return nil
        }
        guard let job = answer.field(.text("job")), job != .null else { return nil }
        return job
    }

    /// Gives back the job a poll's `answer` holds, if any.
    private static func release(_ answer: JSONValue, _ client: AgentClient) async {
        guard let job = answer.field(.text("job")), job != .null else { return }
        let reference = JSONValue.object([("jobId", job.field(.text("jobId")) ?? .null), ("attempt", job.field(.text("attempt")) ?? .null)])
        _ = try? await client.call("POST", "/api/jobs/release", reference)
    }

    private func runJob(_ job: JSONValue) async {
        let run = AgentJobRun(job: job, client: client, settings: settings)
        do {
            _ = try await client.callRetrying("POST", "/api/jobs/ack", run.reference, giveUpAfterMs: 30_000)
        } catch {
            say("vireo agent: ack of \(run.jobID) failed: \(error)")
            return
        }
        state.withLock { $0.runs[run.jobID] = run }
        say("vireo agent: running \(run.jobID) (attempt \(run.attempt))")
        await run.run()
        state.withLock { _ = $0.runs.removeValue(forKey: run.jobID) }
        say("vireo agent: \(run.jobID) ended (\(run.stopReason))")
    }

    /// After the first stop: running jobs get `drainSeconds`, then are handed back.
    private func drainAfterStop() async {
        while !isStopping { try? await Task.sleep(for: .milliseconds(100)) }
        let deadline = ContinuousClock.now + .milliseconds(Int(drainSeconds * 1000))
        while ContinuousClock.now < deadline, !state.withLock({ $0.runs.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        state.withLock { Array($0.runs.values) }.forEach { $0.handBack() }
    }
}

/// A long poll's answer, waited for by its slot. `stop` abandons it instead of cancelling
/// the request: cancelling URLSession's async `data(for:)` on Linux can leave it never
/// returning (swift-corelibs-foundation #5412), and a slot stuck there kept a stopped agent
/// alive. The request runs on to its own timeout; what it brings after the abandon is the
/// caller's to give back (`deliver` answers false).
final class PollOutcome: Sendable {
    private enum State {
        case pending(CheckedContinuation<JSONValue?, any Error>?)
        case delivered(Result<JSONValue, any Error>)
        case abandoned
    }

    private let state = Mutex(State.pending(nil))

    /// The answer, or nil once abandoned.
    func value() async throws -> JSONValue? {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<JSONValue?, any Error>? = state.withLock { state in
                switch state {
                case .pending: state = .pending(continuation); return nil
                case .delivered(let result): return result.map { Optional($0) }
                case .abandoned: return .success(nil)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Hands the request's result to the slot; false when the slot no longer waits for it.
    func deliver(_ result: Result<JSONValue, any Error>) -> Bool {
        let (taken, waiter): (Bool, CheckedContinuation<JSONValue?, any Error>?) = state.withLock { state in
            guard case .pending(let waiter) = state else { return (false, nil) }
            state = .delivered(result)
            return (true, waiter)
        }
        waiter?.resume(with: result.map { Optional($0) })
        return taken
    }

    /// The slot stops waiting: `value` returns nil (now, or when it is called).
    func abandon() {
        let waiter: CheckedContinuation<JSONValue?, any Error>? = state.withLock { state in
            guard case .pending(let waiter) = state else { return nil }
            state = .abandoned
            return waiter
        }
        waiter?.resume(returning: nil)
    }
}
