import Foundation
import Testing
@testable import VireoStorage

@Suite("Store: tables, rows, indexes and reopen")
struct StoreTests {
    static let itemColumns = [
        ColumnDefinition(name: "id", type: .int, notNull: true),
        ColumnDefinition(name: "name", type: .text),
        ColumnDefinition(name: "embedding", type: .vector(dimension: 3072)),
        ColumnDefinition(name: "body", type: .text),
    ]

    static func createItems(_ store: Store) throws {
        try store.write { transaction in
            try transaction.createTable(TableDefinition(name: "items", columns: itemColumns, rowIDColumn: 0,
                                                        indexes: [IndexDefinition(name: "items_name", columns: ["name"])]))
        }
    }

    @Test("rows with a 1 MiB text and a 3072-float vector survive close and reopen", arguments: BackendKind.allCases)
    func largeValuesSurviveReopen(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let path = directory + "/large.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try Self.createItems(store)
            let vector = (0..<3072).map { Float($0) * 0.5 }
            let body = String(repeating: "vireo ", count: (1 << 20) / 6)
            let rows: [[Value]] = (1...5).map { [.int(Int64($0)), .text("item \($0)"), .vector(vector), .text(body)] }
            try store.write { transaction in for row in rows { try transaction.insert(into: "items", row: row) } }
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            let stored = try store.read { snapshot in
                try (1...5).map { try snapshot.row(snapshot.table("items"), rowID: Int64($0)) }
            }
            #expect(stored == rows.map { Optional($0) }, "rows read back after reopen differ from those written")
            try expectSound(store)
            try store.close()
        }
    }

    @Test("a rolled back transaction leaves no trace")
    func rollbackLeavesNothing() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/rollback.vireo", options: testOptions(backend))
            try Self.createItems(store)
            let transaction = try store.beginWrite()
            try transaction.insert(into: "items", row: [.int(1), .text("gone"), .null, .null])
            try transaction.createTable(TableDefinition(name: "scratch", columns: Self.itemColumns))
            transaction.rollback()
            #expect(store.catalog.tables["scratch"] == nil)
            let count = try store.read { try $0.rowCount($0.table("items")) }
            #expect(count == 0, "expected no rows after rollback, found \(count)")
            try expectSound(store)
        }
    }

    @Test("unique, not-null and type constraints give their error codes and abort the transaction")
    func constraints() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/constraints.vireo", options: testOptions(backend))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(
                    name: "users", columns: [ColumnDefinition(name: "id", type: .int, notNull: true),
                                             ColumnDefinition(name: "email", type: .text, notNull: true)],
                    rowIDColumn: 0, indexes: [IndexDefinition(name: "users_email_key", columns: ["email"], isUnique: true)]))
                try transaction.insert(into: "users", row: [.int(1), .text("a@x")])
            }
            let cases: [([Value], VireoError.Code)] = [
                ([.int(1), .text("b@x")], .uniqueViolation),
                ([.int(2), .text("a@x")], .uniqueViolation),
                ([.int(3), .null], .notNullViolation),
                ([.int(4), .int(5)], .typeMismatch),
            ]
            for (row, code) in cases {
                let transaction = try store.beginWrite()
                let error = expectVireoError { try transaction.insert(into: "users", row: row) }
                #expect(error?.code == code, "inserting \(row): expected \(code), got \(String(describing: error))")
                let next = expectVireoError { try transaction.insert(into: "users", row: [.int(9), .text("z@x")]) }
                #expect(next?.code == .inFailedTransaction, "an aborted transaction must refuse further writes")
                transaction.rollback()
            }
            let rows = try store.read { try $0.rowCount($0.table("users")) }
            #expect(rows == 1)
            try expectSound(store)
        }
    }

    @Test("secondary index lookups and ranges follow inserts, updates and deletes")
    func secondaryIndex() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/index.vireo", options: testOptions(backend))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(
                    name: "t", columns: [ColumnDefinition(name: "k", type: .int), ColumnDefinition(name: "v", type: .text)],
                    indexes: [IndexDefinition(name: "t_k", columns: ["k"])]))
                for number in 0..<3_000 { try transaction.insert(into: "t", row: [.int(Int64(number % 100)), .text("row \(number)")]) }
            }
            try store.write { transaction in
                try transaction.update("t", rowID: 1, to: [.int(500), .text("moved")])  // k was 0
                try transaction.delete(from: "t", rowID: 2)  // k was 1
            }
            try store.read { snapshot in
                let index = try snapshot.table("t").indexes[0]
                #expect(try snapshot.lookupIndex(index, equalTo: [.int(0)]).count == 29)
                #expect(try snapshot.lookupIndex(index, equalTo: [.int(1)]).count == 29)
                #expect(try snapshot.lookupIndex(index, equalTo: [.int(500)]) == [1])
                var inRange = 0
                try snapshot.scanIndex(index, from: ValueBound([.int(10)], inclusive: false), to: ValueBound([.int(12)])) { _ in
                    inRange += 1
                    return true
                }
                #expect(inRange == 60, "rows with 10 < k <= 12: expected 60, got \(inRange)")
            }
            try expectSound(store)
        }
    }

    @Test("deleted space is reused: refilling a table does not grow the file")
    func freeSpaceIsReused() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/reuse.vireo", options: testOptions(backend))
            try Self.createItems(store)
            let fill = { (transaction: StoreTransaction) in
                for number in 1...2_000 { try transaction.insert(into: "items", row: [.int(Int64(number)), .text("n\(number)"), .null, .text(String(repeating: "x", count: 300))]) }
            }
            try store.write(fill)
            let pagesAfterFirstFill = try store.checkIntegrity().pageCount
            try store.write { transaction in for number in 1...2_000 { try transaction.delete(from: "items", rowID: Int64(number)) } }
            let afterDelete = try store.checkIntegrity()
            #expect(afterDelete.isSound, "\(afterDelete)")
            #expect(afterDelete.freePageCount > pagesAfterFirstFill / 2, "deleting every row should free most pages: \(afterDelete)")
            try store.write(fill)
            let pagesAfterRefill = try store.checkIntegrity().pageCount
            #expect(pagesAfterRefill <= pagesAfterFirstFill + 2, "file grew from \(pagesAfterFirstFill) to \(pagesAfterRefill) pages")
        }
    }

    @Test("schema changes persist: rename, add and drop columns, drop index and table")
    func schemaChanges() throws {
        try withBackend(.posix) { backend, directory in
            let path = directory + "/schema.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try Self.createItems(store)
            try store.write { transaction in
                try transaction.insert(into: "items", row: [.int(1), .text("a"), .null, .null])
                try transaction.renameTable("items", to: "things")
                try transaction.addColumn(ColumnDefinition(name: "score", type: .double), to: "things", fill: .double(1.5))
                try transaction.dropColumn("body", from: "things")
                try transaction.renameColumn("name", to: "title", in: "things")
                try transaction.dropIndex("items_name")
                try transaction.createTable(TableDefinition(name: "doomed", columns: Self.itemColumns))
                try transaction.dropTable("doomed")
            }
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend))
            let table = try store.catalog.table("things")
            #expect(table.columns.map(\.name) == ["id", "title", "embedding", "score"])
            #expect(table.indexes.isEmpty && store.catalog.tables["items"] == nil && store.catalog.tables["doomed"] == nil)
            #expect(try store.read { try $0.row(table, rowID: 1) } == [.int(1), .text("a"), .null, .double(1.5)])
            try expectSound(store)
        }
    }
}

@Suite("Buffer pool budget")
struct BufferPoolTests {
    @Test("scanning a table larger than the pool keeps the pool within its budget", arguments: [BackendKind.uring, .posix])
    func staysWithinBudget(kind: BackendKind) throws {
        try withBackend(kind) { backend, directory in
            let path = directory + "/budget.vireo"
            var store = try Store.open(path: path, options: testOptions(backend, poolPages: 16))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "v", type: .text)]))
                for number in 0..<3_000 { try transaction.insert(into: "t", row: [.text(String(repeating: "p", count: 200) + "\(number)")]) }
            }
            try store.close()
            store = try Store.open(path: path, options: testOptions(backend, poolPages: 16))
            var scanned = 0
            var largestPool = 0
            try store.read { snapshot in
                try snapshot.scanRows(snapshot.table("t")) { _, _ in
                    scanned += 1
                    largestPool = max(largestPool, store.pager.pool.countPages)
                    return true
                }
            }
            #expect(scanned == 3_000)
            // A scan pins at most one leaf and its overflow pages at a time.
            #expect(largestPool <= 16 + 2, "pool grew to \(largestPool) pages with a budget of 16")
            try store.close()
        }
    }

    @Test("a commit of far more pages than the pool holds sweeps the clock a bounded number of times, not once per new page")
    func largeCommitSweepsLinearly() throws {
        try withBackend(.posix) { backend, directory in
            let store = try Store.open(path: directory + "/large-commit.vireo", options: testOptions(backend, poolPages: 16))
            defer { try? store.close() }
            let text = String(repeating: "q", count: 3_000)
            try store.write { transaction in
                try transaction.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "v", type: .text)]))
                for number in 0..<2_000 { try transaction.insert(into: "t", row: [.text(text + "\(number)")]) }
            }
            // Before: every new page of the commit swept up to twice the pool's slots, all
            // dirty by then, about four million slots for this commit.
            let swept = store.pager.pool.sweptSlotCount  // before the walk below reads pages
            let pages = try store.relationSizes(store.catalog.table("t")).table / StorageFormat.pageSizeBytes
            #expect(pages > 500, "the commit should have written hundreds of pages, found \(pages)")
            #expect(swept <= 20 * pages, "the clock examined \(swept) slots for a commit of about \(pages) pages")
            let report = try store.checkIntegrity()
            #expect(report.isSound, "\(report.problems)")
        }
    }
}

@Suite("Row ids")
struct RowIDTests {
    private static func idTable(_ name: String) -> TableDefinition {
        TableDefinition(name: name, columns: [ColumnDefinition(name: "id", type: .int)], rowIDColumn: 0)
    }

    @Test("a concurrent transaction's new row ids pass the ids an open one inserted, table after table and across a schema change")
    func concurrentTransactionsPassInsertedIDs() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/ids.vireo", options: testOptions(backend))
            try store.write { transaction in
                for name in ["a", "b"] { try transaction.createTable(Self.idTable(name)) }
            }
            let first = try store.beginTransaction()
            let second = try store.beginTransaction()
            for id: Int64 in [3, 7, 5] { try first.insert(into: "a", row: [.int(id)]) }
            try first.insert(into: "b", row: [.int(20)])
            try first.insert(into: "a", row: [.int(9)])
            // The second sees none of the first's rows; its new ids pass them all the same.
            #expect(try second.insert(into: "a", row: [.null]) == 10)
            #expect(try second.insert(into: "b", row: [.null]) == 21)
            // The first's new ids follow its own rows and the second's ids.
            #expect(try first.insert(into: "a", row: [.null]) == 11)
            #expect(try first.insert(into: "b", row: [.null]) == 22)
            // A schema change of a retires a's floor; an id the first inserts afterwards
            // raises the new floor, and the second's next id passes it.
            try store.write { try $0.addColumn(ColumnDefinition(name: "x", type: .int), to: "a") }
            try first.insert(into: "a", row: [.int(50)])
            #expect(try second.insert(into: "a", row: [.null]) == 51)
            #expect(try second.insert(into: "b", row: [.null]) == 23)
            first.rollback()
            second.rollback()
            try store.close()
        }
    }

    @Test("a table dropped and created again under its name numbers its rows from 1, whatever an open transaction inserted into the old one")
    func recreatedTableStartsAfresh() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/ids.vireo", options: testOptions(backend))
            try store.write { try $0.createTable(Self.idTable("t")) }
            let open = try store.beginTransaction()
            try open.insert(into: "t", row: [.int(100)])
            try store.write { transaction in
                try transaction.dropTable("t")
                try transaction.createTable(Self.idTable("t"))
            }
            let fresh = try store.beginTransaction()
            #expect(try fresh.insert(into: "t", row: [.null]) == 1)
            #expect(try fresh.insert(into: "t", row: [.null]) == 2)
            fresh.rollback()
            open.rollback()
            try store.close()
        }
    }

    @Test("a row id inserted into a gap below the last row does not make the next new id fall into the rows above it")
    func insertedIDBelowLastRow() throws {
        try withBackend(.simulated) { backend, directory in
            let path = directory + "/ids.vireo"
            var store = try Store.open(path: path, options: testOptions(backend))
            try store.write { transaction in
                try transaction.createTable(Self.idTable("t"))
                for id: Int64 in [1, 2, 10] { try transaction.insert(into: "t", row: [.int(id)]) }
            }
            try store.close()
            // Reopened: the store remembers no row id of t, only its tree knows them.
            store = try Store.open(path: path, options: testOptions(backend))
            try store.write { transaction in
                try transaction.insert(into: "t", row: [.int(5)])
                #expect(try transaction.insert(into: "t", row: [.null]) == 11)
                #expect(try transaction.insert(into: "t", row: [.null]) == 12)
            }
            try store.close()
        }
    }

    @Test("after the largest row id is used, a new row gets limit_exceeded, not a duplicate key")
    func lastRowID() throws {
        try withBackend(.simulated) { backend, directory in
            let store = try Store.open(path: directory + "/ids.vireo", options: testOptions(backend))
            try store.write { transaction in
                try transaction.createTable(TableDefinition(name: "t", columns: [ColumnDefinition(name: "id", type: .int)], rowIDColumn: 0))
                try transaction.insert(into: "t", row: [.int(5)])
                #expect(try transaction.insert(into: "t", row: [.null]) == 6)
                try transaction.insert(into: "t", row: [.int(Int64.max)])
            }
            let transaction = try store.beginWrite()
            let error = expectVireoError { try transaction.insert(into: "t", row: [.null]) }
            #expect(error?.code == .limitExceeded, "got \(String(describing: error))")
            transaction.rollback()
        }
    }
}
