import Testing
@testable import VireoQuery
import VireoStorage

/// A lookup by one primary-key value (`WHERE id = $1`) does not check the key's equality
/// again on the row it found by that key, when that is exact: the key value is an integer
/// (not a float, a numeric or text converted to one) and the row holds it
/// (`TableScan.filterBesideKey`). Everything else of the WHERE clause is still checked.
@Suite("Point lookups: the key's equality is not checked again on the row found by it, when exact")
struct PointLookupFilterTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("""
            CREATE TABLE k (id bigint PRIMARY KEY, v text);
            INSERT INTO k VALUES (1, 'one'), (2, 'two'), (3, NULL), (9007199254740992, 'big'), (-5, 'minus five');
            CREATE TABLE n (id numeric PRIMARY KEY, v text);
            INSERT INTO n VALUES (1, 'one'), (2.5, 'two and a half');
            """)
        return db
    }

    /// The plan's rows for a lookup of `key` in table k, whose filter is `filter` and, beside
    /// the key, `besides`: a filter that rejects every row shows which of the two was checked.
    private func lookUp(_ db: Database, key: Value, filter: BoundExpression?, besides: BoundExpression??) throws -> [[Value]] {
        try db.store.read { snapshot in
            let scan = TableScan(table: try snapshot.catalog.table("k"), filter: filter, reason: "test", filterBesideKey: besides)
            let context = ExecutionContext(data: .snapshot(snapshot), parameters: [], vectorIndexes: nil, efSearch: 40,
                                           workMemory: WorkMemory(kilobytesMax: Settings.workMemKilobytesDefault), cancel: nil)
            return try PlanExecutor.materialize(.rowIDLookup(scan, rowIDs: [.constant(key)]), context, for: .result)
        }
    }

    @Test("an integer key found in the row skips the key's equality; a float, numeric, text or NULL key does not")
    func skipsOnlyForExactIntegerKeys() throws {
        let db = try database()
        let rejectsAll = BoundExpression.constant(.bool(false))
        #expect(try lookUp(db, key: .int(2), filter: rejectsAll, besides: .some(nil)).map { $0[1] } == [.text("two")],
                "an integer key: only what is beside the key (nothing) is checked")
        #expect(try lookUp(db, key: .int(2), filter: rejectsAll, besides: .some(rejectsAll)).isEmpty,
                "what is beside the key is still checked")
        #expect(try lookUp(db, key: .int(2), filter: rejectsAll, besides: nil).isEmpty, "no filterBesideKey: the whole filter")
        #expect(try lookUp(db, key: .int(4), filter: nil, besides: .some(nil)).isEmpty, "no row 4")
        for inexact: Value in [.double(2.0), .numeric(Numeric(Int64(2))), .text("2")] {
            #expect(try lookUp(db, key: inexact, filter: rejectsAll, besides: .some(nil)).isEmpty,
                    "a key of \(inexact) converted to the row id: the whole filter is checked")
        }
        #expect(try lookUp(db, key: .null, filter: nil, besides: .some(nil)).isEmpty, "NULL finds no row")
    }

    @Test("the planner keeps the rest of the WHERE clause beside a constant or parameter key, and nothing beside another")
    func planKeepsTheRest() throws {
        let db = try database()
        func scan(_ sql: String) throws -> TableScan? {
            try db.store.read { snapshot in
                let (plan, _) = try Binder(catalog: snapshot.catalog).bindQuery(try Parser.parseStatement(sql).body.selectQuery)
                return plan.firstRowIDLookup
            }
        }
        func besides(_ scan: TableScan) -> String {
            switch scan.filterBesideKey {
            case .none: "the whole filter"
            case .some(.none): "nothing"
            case .some(.some): "a filter"
            }
        }
        #expect(besides(try #require(try scan("SELECT v FROM k WHERE id = $1::bigint"))) == "nothing")
        #expect(besides(try #require(try scan("SELECT v FROM k WHERE id = 2"))) == "nothing")
        #expect(besides(try #require(try scan("SELECT v FROM k WHERE v <> 'x' AND id = 2"))) == "a filter")
        #expect(besides(try #require(try scan("SELECT v FROM k WHERE id = $1::bigint + 1"))) == "the whole filter",
                "a key computed from a parameter is not counted as fixed")
    }

    /// The answers of prepared lookups with every kind of parameter value, beside the same
    /// query written so that no lookup runs (`id + 0`), run by execute and executeImmediately.
    @Test("lookups answer as a scan with the same WHERE clause does, for integer, float, numeric, text and NULL parameters")
    func answersAsAScan() throws {
        let db = try database()
        let session = db.session()
        let queries = [
            "SELECT id, v FROM k WHERE id = $1",
            "SELECT id, v FROM k WHERE $1 = id",
            "SELECT id, v FROM k WHERE id = $1 AND v IS NOT NULL",
            "SELECT id, v FROM k WHERE id = $1 AND v <> 'two'",
            "SELECT id, v FROM k WHERE id = $1::double precision",
            "SELECT id, v FROM k WHERE id = $1::numeric",
        ]
        let parameters: [Value] = [.int(2), .int(3), .int(4), .int(-5), .double(2.0), .double(2.5), .text("2"), .text("-5"),
                                   .numeric(Numeric(Int64(2))), .null, .int(9007199254740992), .double(9007199254740992.0)]
        for query in queries {
            let scanned = query.replacingOccurrences(of: "WHERE id =", with: "WHERE id + 0 =").replacingOccurrences(of: "= id", with: "= id + 0")
            for parameter in parameters {
                let expected = try? session.execute(Parser.parseStatement(scanned), [parameter]).rows
                let looked = try? session.execute(Parser.parseStatement(query), [parameter]).rows
                #expect(looked == expected, "\(query) with \(parameter)")
                if let immediate = try? session.executeImmediately(Parser.parseStatement(query), [parameter], planCache: PlanCache()) {
                    #expect(immediate.rows == expected, "\(query) with \(parameter), run immediately")
                }
            }
        }
        #expect(try rows(db, "SELECT v FROM n WHERE id = 2.5") == [["two and a half"]], "a numeric key is not a row id")
        #expect(try rows(db, "SELECT v FROM n WHERE id = 1.0") == [["one"]])
    }
}

extension PlanNode {
    /// The scan of the first primary-key lookup in the plan, depth first.
    var firstRowIDLookup: TableScan? {
        if case .rowIDLookup(let scan, _) = self { return scan }
        switch self {
        case .project(let input, _), .filter(let input, _), .limit(let input, _, _): return input.firstRowIDLookup
        default: return nil
        }
    }
}
