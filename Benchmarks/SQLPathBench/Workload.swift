import Foundation
import VireoStorage

/// The sizes of one run, from the command line.
struct WorkloadSizes {
    var rowCount = 100_000
    var batchRowCount = 1_000
    var parameterRowCount = 20_000
    var lookupCount = 20_000
    var rangeCount = 2_000
    var rangeRowCount = 100
    var joinCount = 1_000
    var aggregateCount = 10
    var seed: UInt64 = 42
}

/// One timed phase: its label in the table, the SQL it runs, and how many operations it counts.
struct Phase {
    let label: String
    let sql: String
    let operationCount: Int
    let unit: String
    let body: (any SQLSubject) throws -> Checksum
}

/// The SQL every system runs. The tables differ only in the spelling of the 64-bit key:
/// `INTEGER PRIMARY KEY` is SQLite's row id, `bigint PRIMARY KEY` is Vireo's.
struct Workload {
    let sizes: WorkloadSizes
    static let groupCount = 100

    static func schema(integerKey: String) -> String {
        let columns = "grp int NOT NULL, name text NOT NULL, score double precision NOT NULL"
        return """
            CREATE TABLE items (id \(integerKey) PRIMARY KEY, \(columns));
            CREATE TABLE items_param (id \(integerKey) PRIMARY KEY, \(columns));
            CREATE TABLE groups (id \(integerKey) PRIMARY KEY, label text NOT NULL);
            """
    }

    /// The 100 groups the join reads, as one INSERT.
    var groupsInsert: String {
        let rows = (0..<Self.groupCount).map { "(\($0), 'group-\($0)')" }
        return "INSERT INTO groups (id, label) VALUES " + rows.joined(separator: ", ")
    }

    /// Row `id`'s values: a group, a 14-byte name and a score with an exact binary value,
    /// so sums agree to the last bit whatever order a system adds them in.
    static func row(_ id: Int64) -> (group: Int64, name: String, score: Double) {
        let mixed = (UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15) >> 40
        return (Int64(mixed % UInt64(groupCount)), String(format: "item-%09lld", id), Double(mixed % 100_000) / 4)
    }

    /// The bulk INSERT statements: one per batch, each a VALUES list of `batchRowCount` rows.
    func bulkInserts() -> [String] {
        stride(from: 1, through: sizes.rowCount, by: sizes.batchRowCount).map { first in
            let last = min(first + sizes.batchRowCount - 1, sizes.rowCount)
            let values = (first...last).map { id -> String in
                let row = Self.row(Int64(id))
                return "(\(id), \(row.group), '\(row.name)', \(row.score))"
            }
            return "INSERT INTO items (id, grp, name, score) VALUES " + values.joined(separator: ", ")
        }
    }

    /// Each phase in the order it runs; the reads run after the bulk insert filled `items`.
    func phases() -> [Phase] {
        let inserts = bulkInserts()
        var random = SplitMix64(seed: sizes.seed)
        let lookupIDs = (0..<sizes.lookupCount).map { _ in Int64.random(in: 1...Int64(sizes.rowCount), using: &random) }
        let lastStart = Int64(max(1, sizes.rowCount - sizes.rangeRowCount + 1))
        let rangeStarts = (0..<max(sizes.rangeCount, sizes.joinCount)).map { _ in Int64.random(in: 1...lastStart, using: &random) }
        let span = Int64(sizes.rangeRowCount - 1)
        let insertSQL = "INSERT INTO items_param (id, grp, name, score) VALUES ($1, $2, $3, $4)"
        // Made before the clock starts, as the bulk INSERT's text is: the phase times the systems.
        let parameterRows: [[BenchParameter]] = (1...Int64(sizes.parameterRowCount)).map { id in
            let row = Self.row(id)
            return [.int(id), .int(row.group), .text(row.name), .double(row.score)]
        }
        return [
            Phase(label: "bulk INSERT, \(sizes.batchRowCount)-row VALUES lists, one transaction each",
                  sql: "INSERT INTO items (id, grp, name, score) VALUES (…), (…), …", operationCount: sizes.rowCount, unit: "rows/s") { subject in
                for statement in inserts { try subject.run(statement) }
                return Checksum(rows: sizes.rowCount)
            },
            Phase(label: "INSERT with parameters, \(sizes.batchRowCount) per transaction", sql: insertSQL,
                  operationCount: sizes.parameterRowCount, unit: "rows/s") { subject in
                try insertWithParameters(subject, insertSQL, parameterRows)
            },
            readPhase("point SELECT by primary key", "SELECT name, score FROM items WHERE id = $1", lookupIDs.map { [.int($0)] }, "queries/s"),
            readPhase("range scan of \(sizes.rangeRowCount) rows", "SELECT id, score FROM items WHERE id BETWEEN $1 AND $2",
                      rangeStarts.prefix(sizes.rangeCount).map { [.int($0), .int($0 + span)] }, "queries/s"),
            readPhase("join of \(sizes.rangeRowCount) rows to their group",
                      "SELECT i.id, g.label FROM items i JOIN groups g ON g.id = i.grp WHERE i.id BETWEEN $1 AND $2",
                      rangeStarts.prefix(sizes.joinCount).map { [.int($0), .int($0 + span)] }, "queries/s"),
            readPhase("aggregate over all rows", "SELECT grp, count(*), sum(score) FROM items GROUP BY grp",
                      Array(repeating: [], count: sizes.aggregateCount), "queries/s"),
        ]
    }

    private func readPhase(_ label: String, _ sql: String, _ parameters: [[BenchParameter]], _ unit: String) -> Phase {
        Phase(label: label, sql: sql, operationCount: parameters.count, unit: unit) { subject in
            let statement = try subject.prepare(sql)
            var checksum = Checksum()
            for values in parameters { checksum = checksum + (try statement.run(values)) }
            return checksum
        }
    }

    private func insertWithParameters(_ subject: any SQLSubject, _ sql: String, _ rows: [[BenchParameter]]) throws -> Checksum {
        let statement = try subject.prepare(sql)
        for first in stride(from: 0, to: rows.count, by: sizes.batchRowCount) {
            try subject.run("BEGIN")
            for row in rows[first..<min(first + sizes.batchRowCount, rows.count)] { _ = try statement.run(row) }
            try subject.run("COMMIT")
        }
        return Checksum(rows: rows.count)
    }
}
