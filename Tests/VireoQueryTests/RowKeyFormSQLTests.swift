import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// A table an older build made (8-byte row keys, KeyCodec+RowID.swift) answers SQL after
/// the compact keys came: every statement kind, after reopen, beside a compact-keyed table.
@Suite("Tables with fixed row keys through SQL")
struct RowKeyFormSQLTests {
    @Test("an older build's table reads, updates, deletes, scans, joins and grows beside a new one")
    func fixedKeyTableThroughSQL() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/old.vireo"
            var db = try Database.open(path: path)
            // The definition an older build stored for `CREATE TABLE items (id bigint PRIMARY
            // KEY, grp int, name text)`: no "rowKeys" field, so 8-byte keys.
            try db.store.write { transaction in
                try transaction.createTable(TableDefinition(name: "items", columns: [
                    ColumnDefinition(name: "id", type: .int, notNull: true), ColumnDefinition(name: "grp", type: .int),
                    ColumnDefinition(name: "name", type: .text),
                ], rowIDColumn: 0, rowKeyForm: .fixed))
            }
            try db.execute("INSERT INTO items VALUES (-5, 1, 'a'), (0, 2, 'b'), (1, 1, 'c'), (300, 2, 'd'), (70000, 1, 'e')")
            try db.execute("CREATE INDEX items_grp ON items (grp)")
            try db.close()

            db = try Database.open(path: path)
            defer { try? db.close() }
            #expect(try db.store.catalog.table("items").rowKeyForm == .fixed)
            #expect(try rows(db, "SELECT id FROM items WHERE id BETWEEN -5 AND 300 ORDER BY id") == [["-5"], ["0"], ["1"], ["300"]])
            #expect(try rows(db, "SELECT name FROM items WHERE id = 70000") == [["e"]])
            try db.execute("UPDATE items SET name = 'z' WHERE id = 1")
            try db.execute("DELETE FROM items WHERE id = 0")
            try db.execute("INSERT INTO items VALUES (2, 2, 'f')")
            #expect(try rows(db, "SELECT id, name FROM items ORDER BY id DESC")
                    == [["70000", "e"], ["300", "d"], ["2", "f"], ["1", "z"], ["-5", "a"]])
            #expect(try rows(db, "SELECT id FROM items WHERE grp = 1 ORDER BY id") == [["-5"], ["1"], ["70000"]])

            try db.execute("CREATE TABLE groups (id bigint PRIMARY KEY, label text); INSERT INTO groups VALUES (1, 'one'), (2, 'two')")
            #expect(try db.store.catalog.table("groups").rowKeyForm == .compact, "a new table gets compact keys")
            #expect(try rows(db, "SELECT i.id, g.label FROM items i JOIN groups g ON g.id = i.grp WHERE i.id BETWEEN 1 AND 300 ORDER BY i.id")
                    == [["1", "one"], ["2", "two"], ["300", "two"]])
            let report = try db.store.checkIntegrity()
            #expect(report.isSound, "\(report)")
        }
    }
}
