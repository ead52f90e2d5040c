import ArgumentParser
import Foundation
import VireoIndex
import VireoQuery
import VireoStorage

/// `vireo bench sql`: what the SQL layer costs. Parse and plan time per statement, and
/// nearest-neighbour queries through `Database.query` against the same HNSW index
/// searched directly.
struct BenchSQL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Parse/plan time per statement, and SQL vector queries against the raw index.")

    @Option(help: "Rows in the vector table.") var count: Int = 20_000
    @Option(help: "Vector dimension.") var dim: Int = 128
    @Option(name: .customLong("query-count"), help: "Vector queries timed.") var queryCount: Int = 2_000
    @Option(name: .customLong("ef-search")) var efSearch: Int = 40
    @Option(help: "Repetitions of each statement for parse/plan timing.") var repetitions: Int = 2_000
    @Option(help: "Rounds of the vector-query comparison, the two paths alternating.") var rounds: Int = 7

    static let statements = [
        "SELECT id FROM items ORDER BY embedding <=> $1 LIMIT 10",
        "SELECT id, body FROM items WHERE id = $1",
        "SELECT category, count(*), avg(id) FROM items WHERE id > 100 GROUP BY category HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5",
        "INSERT INTO items (category, body, embedding) VALUES ($1, $2, $3) RETURNING id",
        "UPDATE items SET body = upper(body) WHERE category = 3 AND id BETWEEN 10 AND 20",
    ]

    func run() throws {
        let db = try Database.inMemory()
        let vectors = try populate(db)
        print("| statement | parse µs | parse+plan µs |")
        print("|---|---:|---:|")
        for statement in Self.statements {
            let (parse, plan) = try timeParseAndPlan(db, statement)
            print("| `\(statement.prefix(60))…` | \(String(format: "%.1f", parse)) | \(String(format: "%.1f", plan)) |")
        }
        try compareWithIndex(db, vectors)
    }

    private func populate(_ db: Database) throws -> [[Float]] {
        try db.execute("CREATE TABLE items (id bigserial PRIMARY KEY, category int, body text, embedding vector(\(dim)))")
        var random = SystemRandomNumberGenerator()
        let vectors = (0..<(count + queryCount)).map { _ in (0..<dim).map { _ in Float.random(in: -1...1, using: &random) } }
        try db.transaction { session in
            for (row, vector) in vectors.prefix(count).enumerated() {
                try session.execute("INSERT INTO items (category, body, embedding) VALUES ($1, $2, $3)", row % 50, "row \(row)", vector)
            }
        }
        try db.execute("CREATE INDEX items_embedding ON items USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)")
        try db.execute("SET hnsw.ef_search = \(efSearch)")
        return Array(vectors.suffix(queryCount))
    }

    private func timeParseAndPlan(_ db: Database, _ statement: String) throws -> (Double, Double) {
        let start = Date()
        for _ in 0..<repetitions { _ = try Parser.parseStatement(statement) }
        let parse = Date().timeIntervalSince(start) / Double(repetitions) * 1e6
        let explain = "EXPLAIN " + statement
        let planStart = Date()
        for _ in 0..<repetitions { _ = try db.execute(explain, [.vector(Array(repeating: 0.5, count: dim))]) }
        let plan = Date().timeIntervalSince(planStart) / Double(repetitions) * 1e6
        return (parse, plan)
    }

    private func compareWithIndex(_ db: Database, _ queries: [[Float]]) throws {
        let index = try db.vectorIndex("items_embedding")
        let sql = try db.prepare("SELECT id FROM items ORDER BY embedding <=> $1 LIMIT 10")
        for query in queries.prefix(100) { _ = try index.search(query, k: 10, efSearch: efSearch); _ = try sql.execute([.vector(query)]) }
        // Alternate the two paths, each going first in every other round, so that neither
        // pays for the other's cache misses or for a burst of background load alone. Thread
        // CPU time is kept beside wall time: another process taking the core stretches the
        // wall clock of a round but not the CPU time the queries themselves used.
        var raw: [PathRound] = [], prepared: [PathRound] = []
        // Read once: an @Option's getter goes through ArgumentParser's storage at each call,
        // which charged the raw path for work the SQL path does not do (0.4% of its samples).
        let ef = efSearch
        for round in 0..<rounds {
            let runRaw = { raw.append(try PathRound.time(queries.count) { for query in queries { _ = try index.search(query, k: 10, efSearch: ef) } }) }
            let runSQL = { prepared.append(try PathRound.time(queries.count) { for query in queries { _ = try sql.execute([.vector(query)]) } }) }
            if round % 2 == 0 { try runRaw(); try runSQL() } else { try runSQL(); try runRaw() }
        }
        print("")
        print("| path | QPS, median (range) of \(rounds) rounds | CPU µs per query, median (range) |")
        print("|---|---:|---:|")
        print("| HNSWIndex.search | \(PathRound.summary(raw)) |")
        print("| Database: prepared `SELECT id … ORDER BY embedding <=> $1 LIMIT 10` | \(PathRound.summary(prepared)) |")
        print("")
        let wall = 1 - PathRound.median(prepared.map(\.qps)) / PathRound.median(raw.map(\.qps))
        let cpu = PathRound.median(prepared.map(\.cpuMicros)) / PathRound.median(raw.map(\.cpuMicros)) - 1
        print(String(format: "SQL overhead: %.1f%% of the raw index's QPS by wall clock, %.1f%% more CPU per query (%d rows × %d dims, ef_search %d, medians of %d rounds)",
                     wall * 100, cpu * 100, count, dim, efSearch, rounds))
    }
}

/// One timed round of one path of `vireo bench sql`'s comparison.
private struct PathRound {
    var qps: Double
    var cpuMicros: Double

    static func time(_ queries: Int, _ body: () throws -> Void) rethrows -> PathRound {
        let (wallStart, cpuStart) = (Date(), threadCPUSeconds())
        try body()
        let (wall, cpu) = (Date().timeIntervalSince(wallStart), threadCPUSeconds() - cpuStart)
        return PathRound(qps: Double(queries) / wall, cpuMicros: cpu / Double(queries) * 1e6)
    }

    /// The calling thread's CPU time, user and system.
    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func summary(_ rounds: [PathRound]) -> String {
        let (qps, cpu) = (rounds.map(\.qps), rounds.map(\.cpuMicros))
        return String(format: "%.0f (%.0f–%.0f) | %.2f (%.2f–%.2f)", median(qps), qps.min() ?? 0, qps.max() ?? 0,
                      median(cpu), cpu.min() ?? 0, cpu.max() ?? 0)
    }
}
