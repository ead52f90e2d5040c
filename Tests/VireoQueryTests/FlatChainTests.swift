import Foundation
import Testing
import VireoStorage
@testable import VireoQuery

/// Flat runs of thousands of OR / AND / + / UNION ALL terms (issue 10: only real nesting
/// counts against the depth limit). They parse into one wide node and bind, plan and run
/// without recursing per term, so they also run on a thread with a small stack.
@Suite("flat operator chains")
struct FlatChainTests {
    /// Runs `body` on a thread with a stack of `stackSizeBytes` and waits for it.
    private func onThread(stackSizeBytes: Int, _ body: @escaping @Sendable () throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = LockedBox<Error?>(nil)
        let thread = Thread {
            do { try body() } catch { failure.value = error }
            done.signal()
        }
        thread.stackSize = stackSizeBytes
        thread.start()
        done.wait()
        if let error = failure.value { throw error }
    }

    private static func terms(_ count: Int, _ term: (Int) -> String, _ separator: String) -> String {
        (0..<count).map(term).joined(separator: separator)
    }

    @Test("a chain of 20,000 terms is one node, prints and parses back to itself", arguments: [" OR ", " AND ", " + ", " || "])
    func parsesFlat(separator: String) throws {
        let text = Self.terms(20_000, { "a\($0)" }, separator)
        let expression = try Parser.parseExpression(text)
        guard case .chain(let first, let links) = expression else {
            Issue.record("expected one chain node, got \(String(describing: expression).prefix(80))")
            return
        }
        #expect(first == .column(ColumnReference("a0")))
        #expect(links.count == 19_999)
        #expect(try Parser.parseExpression(expression.sql) == expression)
    }

    @Test("5,000 and 20,000 OR and AND terms in WHERE, and 1 + 1 + … + 1, run on a 512 KiB stack", arguments: [5_000, 20_000])
    func expressionsRun(count: Int) throws {
        try onThread(stackSizeBytes: 512 << 10) {
            let database = try Database.inMemory()
            try database.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
            try database.execute("INSERT INTO t SELECT g, g % 7 FROM generate_series(1, 50) g")
            let ors = Self.terms(count, { "id = \($0 * 3)" }, " OR ")
            #expect(try rows(database, "SELECT count(*) FROM t WHERE " + ors) == [["16"]])
            let ands = Self.terms(count, { "id <> \($0 * 2 + 1)" }, " AND ")
            #expect(try rows(database, "SELECT count(*) FROM t WHERE " + ands) == [["25"]])
            let sum = Self.terms(count, { _ in "1" }, "+")
            #expect(try rows(database, "SELECT " + sum) == [["\(count)"]])
            // Not constant: the chain is evaluated for each row.
            let perRow = Self.terms(count, { _ in "v" }, " + ")
            #expect(try rows(database, "SELECT sum(\(perRow)) FROM t") == [["\(count * (0..<50).map { ($0 + 1) % 7 }.reduce(0, +))"]])
        }
    }

    @Test("5,000 and 20,000 UNION ALL and UNION branches run on a 512 KiB stack", arguments: [5_000, 20_000])
    func unionsRun(count: Int) throws {
        try onThread(stackSizeBytes: 512 << 10) {
            let database = try Database.inMemory()
            let all = Self.terms(count, { "SELECT \($0) AS n" }, " UNION ALL ")
            #expect(try rows(database, "SELECT count(*), sum(n) FROM (\(all)) s") == [["\(count)", "\(count * (count - 1) / 2)"]])
            let distinct = Self.terms(count, { "SELECT \($0 % 10)" }, " UNION ")
            #expect(try rows(database, "SELECT count(*) FROM (\(distinct)) s") == [["10"]])
            let explained = try rows(database, "EXPLAIN " + Self.terms(3, { "SELECT \($0)" }, " UNION ALL "))
            #expect(explained.filter { $0[0].contains("Union All") }.count == 1, "one node for the run: \(explained)")
        }
    }

    @Test("each step of a chain gets the types and checks of its pair, as in PostgreSQL")
    func chainSemantics() throws {
        let database = try Database.inMemory()
        #expect(try rows(database, "SELECT 1 + 2 * 3 - 4, 10 - 2 - 3, 2 ^ 3 ^ 2, 100 / 10 / 5") == [["3", "5", "64", "2"]])
        #expect(try rows(database, "SELECT pg_typeof(1 + 1 + 1.5), pg_typeof(1::smallint + 1::smallint + 1::smallint)")
                == [["numeric", "smallint"]])
        #expect(try rows(database, "SELECT 1 + (2 + 3 + 4) + 5, 'a' || 'b' || 1 || NULL::text IS NULL") == [["15", "t"]])
        #expect(try rows(database, "SELECT (date '2024-02-27' + 1 + 1 + 1)::text, '{\"a\":{\"b\":[1,2]}}'::jsonb -> 'a' -> 'b' ->> 1")
                == [["2024-03-01", "2"]])
        #expect(sqlError(database, "SELECT 2147483000 + 600 + 100")?.sqlState == "22003")
        #expect(try rows(database, "SELECT NULL AND false AND true, NULL OR false OR false, true AND NULL, false OR NULL OR true")
                == [["f", "NULL", "NULL", "t"]])
        #expect(try rows(database, "SELECT 1 UNION SELECT 2 UNION SELECT 1 ORDER BY 1") == [["1"], ["2"]])
        #expect(try rows(database, "SELECT * FROM (SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 2 UNION ALL SELECT 3) s ORDER BY 1")
                == [["1"], ["3"]])
        #expect(try rows(database, "(SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 2) INTERSECT ALL (SELECT 1 UNION ALL SELECT 2)")
                .sorted { $0[0] < $1[0] } == [["1"], ["2"]])
    }

    @Test("real nesting still meets the limit: 10,000 parentheses, signs or alternating set operators are refused with 54000")
    func realNestingRefused() throws {
        let database = try Database.inMemory()
        let parentheses = "SELECT " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(sqlError(database, parentheses)?.code == .limitExceeded)
        let alternating = Self.terms(10_000, { $0 % 2 == 0 ? "SELECT 1 UNION" : "SELECT 1 EXCEPT" }, " ") + " SELECT 1"
        #expect(sqlError(database, alternating)?.code == .limitExceeded)
        let grouped = "SELECT " + String(repeating: "(1 + ", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(sqlError(database, grouped)?.code == .limitExceeded)
    }
}

/// A value shared with another thread under a lock.
private final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
