import CSQLite
import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// Issue 4's differential test: every statement of Differential/corpus.sql runs on Vireo and
/// on SQLite; the two answers must agree unless Differential/expected-differences.md lists the
/// statement with the reason the dialects (or a known Vireo bug) differ.
@Suite("SQL: differential test against SQLite")
struct DifferentialTests {
    @Test("the corpus gives the same answers on Vireo and SQLite, or a listed difference")
    func corpusAgrees() throws {
        let corpus = try DifferentialCorpus.load()
        let expected = try ExpectedDifferences.load()
        let vireo = try VireoRunner()
        let sqlite = try SQLiteRunner()
        let verbose = ProcessInfo.processInfo.environment["VIREO_DIFF_VERBOSE"] != nil
        var agreeing = 0
        var justified = 0
        for statement in corpus {
            let (vireoOutcome, sqliteOutcome) = (vireo.run(statement.sql), sqlite.run(statement.sql))
            if verbose { print("[\(statement.line)] \(statement.sql)\n  Vireo:  \(vireoOutcome)\n  SQLite: \(sqliteOutcome)") }
            let same = vireoOutcome.agrees(with: sqliteOutcome, ordered: statement.isOrdered)
            switch (same, expected.reasons[statement.key] != nil) {
            case (true, false): agreeing += 1
            case (false, true): justified += 1
            case (false, false):
                Issue.record("unexplained difference (line \(statement.line)): \(statement.sql)\n  Vireo:  \(vireoOutcome)\n  SQLite: \(sqliteOutcome)")
            case (true, true):
                Issue.record("listed in expected-differences.md but the answers agree now (line \(statement.line)): \(statement.sql)\n  both: \(vireoOutcome)")
            }
        }
        expected.checkAllListed(in: corpus)
        print("differential: \(corpus.count) statements, \(agreeing) agree, \(justified) listed differences")
        #expect(corpus.count >= 300, "expected a corpus of at least 300 statements, got \(corpus.count)")
    }

    @Test("outcomes: booleans, numbers within a tolerance, and order only when asked")
    func outcomeComparison() {
        let vireo = Outcome.rows([[.integer(1), .real(0.30000000000000004)], [.null, .text("a")]])
        let sqlite = Outcome.rows([[.null, .text("a")], [.integer(1), .real(0.3)]])
        #expect(vireo.agrees(with: sqlite, ordered: false))
        #expect(!vireo.agrees(with: sqlite, ordered: true))
        #expect(Outcome.error("22012") .agrees(with: .error("boom"), ordered: false))
        #expect(!Outcome.changes(2).agrees(with: .changes(3), ordered: false))
        #expect(Cell(Value.bool(true)) == .integer(1))
        #expect(!Outcome.rows([[.text("1")]]).agrees(with: .rows([[.integer(1)]]), ordered: false))
    }
}

// MARK: - Corpus

/// One statement of the corpus and how to compare its answers.
struct CorpusStatement {
    /// The statement without its final semicolon.
    var sql: String
    /// 1-based line where it starts in corpus.sql.
    var line: Int
    /// Whether rows compare in order: a top-level ORDER BY (unless marked `-- @unordered`).
    var isOrdered: Bool
    /// The statement with runs of white space collapsed: the key in expected-differences.md.
    var key: String { DifferentialCorpus.collapse(sql) }
}

/// Reads Differential/corpus.sql: statements end with `;` at the end of a line; lines
/// starting with `--` are comments, and `-- @unordered` marks the next statement's ORDER BY
/// as leaving ties.
enum DifferentialCorpus {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Differential")

    static func load() throws -> [CorpusStatement] {
        let text = try String(contentsOf: directory.appendingPathComponent("corpus.sql"), encoding: .utf8)
        var statements: [CorpusStatement] = []
        var pending: [String] = []
        var start = 0
        var unordered = false
        for (index, line) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("--")) {
                if trimmed == "-- @unordered" { unordered = true }
                continue
            }
            if pending.isEmpty { start = index + 1 }
            pending.append(line)
            guard trimmed.hasSuffix(";") else { continue }
            var sql = pending.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            sql.removeLast()
            statements.append(CorpusStatement(sql: sql, line: start, isOrdered: !unordered && hasTopLevelOrderBy(sql)))
            pending = []
            unordered = false
        }
        return statements
    }

    static func collapse(_ sql: String) -> String {
        sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }

    /// Whether `ORDER BY` appears outside parentheses and quotes.
    static func hasTopLevelOrderBy(_ sql: String) -> Bool {
        var depth = 0
        var inString = false
        var outside = ""
        for character in sql {
            if character == "'" { inString.toggle(); continue }
            if inString { continue }
            if character == "(" { depth += 1 } else if character == ")" { depth -= 1 } else if depth == 0 { outside.append(character) }
        }
        return collapse(outside).uppercased().contains("ORDER BY")
    }
}

/// Differential/expected-differences.md: each difference is a list item whose first line is
/// the statement in backticks (`- \`SELECT 7 / 0\``), followed by the reason.
struct ExpectedDifferences {
    var reasons: [String: String] = [:]

    static func load() throws -> ExpectedDifferences {
        let url = DifferentialCorpus.directory.appendingPathComponent("expected-differences.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        var result = ExpectedDifferences()
        var current: String?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("- `"), let close = line.lastIndex(of: "`"), close > line.index(line.startIndex, offsetBy: 2) {
                let open = line.index(line.startIndex, offsetBy: 3)
                current = DifferentialCorpus.collapse(String(line[open..<close]))
                if let current { result.reasons[current] = "" }
            } else if let key = current, line.hasPrefix("  ") {
                result.reasons[key, default: ""] += line.trimmingCharacters(in: .whitespaces) + " "
            } else if !line.hasPrefix("  ") {
                current = nil
            }
        }
        for (key, reason) in result.reasons where reason.trimmingCharacters(in: .whitespaces).isEmpty {
            Issue.record("expected-differences.md: no reason given for \(key)")
        }
        return result
    }

    /// Records an issue for every listed statement the corpus does not have.
    func checkAllListed(in corpus: [CorpusStatement]) {
        let keys = Set(corpus.map(\.key))
        for stale in reasons.keys where !keys.contains(stale) {
            Issue.record("expected-differences.md lists a statement the corpus does not have: \(stale)")
        }
    }
}

// MARK: - Outcomes

/// A value as both engines can give it: booleans become 1/0 (SQLite has no boolean type).
enum Cell: Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .int(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        // SQLite has no exact decimals: a numeric compares with its REAL by value.
        case .numeric(let number): self = .real(number.double)
        case .text(let string): self = .text(string)
        default: self = .text(value.text ?? "")
        }
    }

    var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        default: nil
        }
    }

    /// Equal, with numbers compared by value (an integer 3 equals a real 3.0) within a
    /// relative tolerance of 1e-9.
    func matches(_ other: Cell) -> Bool {
        switch (self, other) {
        case (.integer(let left), .integer(let right)): return left == right
        case (.text(let left), .text(let right)): return left == right
        case (.null, .null): return true
        default:
            guard let left = number, let right = other.number else { return false }
            if left == right { return true }
            return abs(left - right) <= 1e-9 * max(1, abs(left), abs(right))
        }
    }

    /// A key for sorting unordered results into the same order on both sides.
    var sortKey: String {
        switch self {
        case .null: "0"
        case .integer, .real: "1" + String(format: "%.6e", number ?? 0)
        case .text(let value): "2" + value
        }
    }

    var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'" + value + "'"
        }
    }
}

/// What a statement did on one engine.
enum Outcome: CustomStringConvertible {
    /// A query's (or RETURNING's) rows.
    case rows([[Cell]])
    /// Rows changed by INSERT, UPDATE or DELETE.
    case changes(Int)
    /// Any other statement that succeeded.
    case done
    case error(String)

    func agrees(with other: Outcome, ordered: Bool) -> Bool {
        switch (self, other) {
        case (.rows(let left), .rows(let right)):
            guard left.count == right.count else { return false }
            let (first, second) = ordered ? (left, right) : (Self.sorted(left), Self.sorted(right))
            return zip(first, second).allSatisfy { row in
                row.0.count == row.1.count && zip(row.0, row.1).allSatisfy { $0.matches($1) }
            }
        case (.changes(let left), .changes(let right)): return left == right
        case (.done, .done), (.error, .error): return true
        default: return false
        }
    }

    static func sorted(_ rows: [[Cell]]) -> [[Cell]] {
        rows.sorted { $0.map(\.sortKey).lexicographicallyPrecedes($1.map(\.sortKey)) }
    }

    var description: String {
        switch self {
        case .rows(let rows):
            let shown = rows.prefix(12).map { "(" + $0.map(\.description).joined(separator: ", ") + ")" }
            return "\(rows.count) rows: " + shown.joined(separator: " ") + (rows.count > 12 ? " …" : "")
        case .changes(let count): return "\(count) rows changed"
        case .done: return "ok"
        case .error(let message): return "ERROR " + message
        }
    }

    /// INSERT, UPDATE and DELETE without RETURNING report how many rows they changed.
    static func changesRows(_ sql: String) -> Bool {
        let first = sql.prefix { !$0.isWhitespace }.uppercased()
        return ["INSERT", "UPDATE", "DELETE"].contains(first) && !sql.uppercased().contains("RETURNING")
    }
}

// MARK: - Engines

/// Vireo through one session (so BEGIN … ROLLBACK spans statements).
struct VireoRunner {
    let database: Database
    let session: Session

    init() throws {
        database = try Database.inMemory()
        session = database.session()
    }

    func run(_ sql: String) -> Outcome {
        do {
            let result = try session.execute(sql)
            if result.returnsRows { return .rows(result.rows.map { $0.map(Cell.init) }) }
            return Outcome.changesRows(sql) ? .changes(result.rowCount) : .done
        } catch let error as VireoError {
            return .error("\(error.sqlState) \(error.message)")
        } catch {
            return .error("\(error)")
        }
    }
}

/// SQLite in memory, with case-sensitive LIKE as in PostgreSQL.
final class SQLiteRunner {
    private var handle: OpaquePointer?

    init() throws {
        guard sqlite3_open(":memory:", &handle) == SQLITE_OK else {
            throw VireoError(.ioError, "cannot open an in-memory SQLite database")
        }
        _ = run("PRAGMA case_sensitive_like = ON")
    }

    deinit { sqlite3_close(handle) }

    func run(_ sql: String) -> Outcome {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            return .error(message)
        }
        defer { sqlite3_finalize(statement) }
        let columns = sqlite3_column_count(statement)
        var rows: [[Cell]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { return .error(message) }
            rows.append((0..<columns).map { cell(statement, $0) })
        }
        if columns > 0 { return .rows(rows) }
        return Outcome.changesRows(sql) ? .changes(Int(sqlite3_changes(handle))) : .done
    }

    private var message: String { String(cString: sqlite3_errmsg(handle)) }

    private func cell(_ statement: OpaquePointer, _ column: Int32) -> Cell {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
        case SQLITE_NULL: .null
        default: .text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
        }
    }
}
