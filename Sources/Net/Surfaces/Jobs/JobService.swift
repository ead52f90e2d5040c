import Foundation
import Logging
import Synchronization
import VireoQuery
import VireoStorage

/// Settings of the job queue; `vireo serve` takes them from flags and VIREO_JOB_* variables.
public struct JobsConfiguration: Sendable {
    /// How long an assignment lasts without an ack or a heartbeat before the job goes back.
    public var leaseMs = 60_000
    /// Assignments of one job (since creation or restart) before a lost lease fails it.
    public var attemptsMax = 3
    /// The longest `wait` a poll may ask for.
    public var pollWaitSecondsMax = 30
    /// A node not seen for this long is inactive.
    public var nodeInactiveAfterMs = 60_000
    /// Largest script and requirements, in UTF-8 bytes.
    public var scriptBytesMax = 1 << 20
    public var requirementsBytesMax = 64 << 10
    /// Lines one stream-log call carries, and bytes of one line.
    public var logBatchLinesMax = 1000
    public var logLineBytesMax = 16 << 10

    public init() {}

    /// Heartbeats a node should send per lease: three, so that one lost does not cost the job.
    public var heartbeatIntervalMs: Int { max(leaseMs / 3, 100) }
    /// How often expired leases are looked for.
    var sweepIntervalMs: Int { max(min(leaseMs / 4, 5_000), 50) }
}

/// The job queue beside the REST routes: its tables, the lease sweeper and the signal that
/// wakes long polls. All state is in the engine; this holds only what wakes waiters.
public final class JobService: Sendable {
    public let configuration: JobsConfiguration
    let engine: EngineAccess
    let work = WorkSignal()
    /// Moves on whenever a job or node changes, for the live dashboard and node streams.
    let changes = WorkSignal()
    /// Moves on whenever log lines are stored, for the live log streams.
    let logLines = WorkSignal()
    private let schemaReady = Mutex(false)
    private let stopping = Mutex(false)
    let logger = Logger(label: "vireo.jobs")

    /// Embeds log lines for semantic search; nil: no log search.
    let embedder: (any Embedder)?

    public init(engine: EngineAccess, configuration: JobsConfiguration = JobsConfiguration(), embedder: (any Embedder)? = nil) {
        self.engine = engine
        self.configuration = configuration
        self.embedder = embedder
    }

    /// Creates the tables that are missing.
    public func prepare() async throws {
        if schemaReady.withLock({ $0 }) { return }
        let dimension = embedder?.dimension
        try await engine.session { try JobsSchema.create($0, embeddingDimension: dimension) }
        schemaReady.withLock { $0 = true }
    }

    /// Runs `body` with a fresh session once the tables exist; work that lost a write
    /// conflict (40001) to a concurrent commit runs again, up to `conflictAttemptsMax` times.
    func session<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        try await prepare()
        for attempt in 1... {
            do {
                return try await engine.session(body)
            } catch let error as VireoError where error.code == .undefinedTable && attempt == 1 {
                schemaReady.withLock { $0 = false }
                try await prepare()
            } catch let error as VireoError where error.code == .serializationFailure && attempt < Self.conflictAttemptsMax {
                // Spread the retries of many agents that collided on one row.
                try await Task.sleep(for: .microseconds(Int.random(in: 0...(500 * attempt))))
            }
        }
        preconditionFailure("the loop returns or throws by its last attempt")
    }

    static let conflictAttemptsMax = 32

    /// `session` for work that changes jobs or nodes: the live streams hear of it.
    func changing<Result: Sendable>(_ body: @escaping @Sendable (Session) throws -> Result) async throws -> Result {
        let result = try await session(body)
        changes.notify()
        return result
    }

    /// Expired leases go back to pending (or fail after the last attempt) until cancelled.
    /// At start, every held lease gets a full term: nodes were not heard while the server was
    /// down, which is not their fault.
    public func runUntilCancelled() async {
        let leaseMs = configuration.leaseMs
        do {
            let renewed = try await session { try JobQueue.renewAllLeases($0, leaseMs: leaseMs) }
            if renewed > 0 { logger.info("renewed the leases of \(renewed) jobs held when the server stopped") }
        } catch {
            logger.error("could not renew leases at start: \(error)")
        }
        let embedding = Task { await embedLogsUntilCancelled() }
        defer { embedding.cancel() }
        while !Task.isCancelled {
            do {
                _ = try await expireLeases()
            } catch {
                logger.error("lease sweep failed: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(configuration.sweepIntervalMs))
        }
    }

    /// The server is stopping: long polls answer at once (no job) instead of holding the
    /// graceful shutdown for their whole wait.
    public func stopPolls() {
        stopping.withLock { $0 = true }
        work.notify()
    }

    var isStopping: Bool { stopping.withLock { $0 } }

    /// Puts back the jobs whose lease ran out and wakes the pollers and dashboards when
    /// there were any; returns how many.
    func expireLeases() async throws -> Int {
        let expired = try await session { try JobQueue.expireLeases($0, now: JobClock.nowMs()) }
        if expired > 0 { work.notify(); changes.notify() }
        return expired
    }
}

/// Wall-clock milliseconds, the unit every job table keeps.
enum JobClock {
    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
