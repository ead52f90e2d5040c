import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// CREATE TYPE … AS ENUM: columns of the type order, index and compare by declaration
/// order; ALTER TYPE adds and renames labels without touching rows; errors are PostgreSQL's.
@Suite("Enum types")
struct EnumTypeTests {
    private func moodTable(_ db: Database) throws {
        try db.execute("""
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
            CREATE TABLE people (id int PRIMARY KEY, name text, m mood);
            INSERT INTO people VALUES (1, 'ann', 'happy'), (2, 'bob', 'sad'), (3, 'cy', 'ok'), (4, 'di', NULL), (5, 'ed', 'sad')
            """)
    }

    @Test("values sort, compare, group and aggregate in declaration order, not text order")
    func declarationOrder() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        #expect(try rows(db, "SELECT m FROM people WHERE m IS NOT NULL ORDER BY m, id") == [["sad"], ["sad"], ["ok"], ["happy"]])
        #expect(try rows(db, "SELECT min(m), max(m) FROM people") == [["sad", "happy"]])
        #expect(try rows(db, "SELECT m, count(*) FROM people GROUP BY m ORDER BY m DESC NULLS LAST")
                == [["happy", "1"], ["ok", "1"], ["sad", "2"], ["NULL", "1"]])
        #expect(try rows(db, "SELECT DISTINCT m FROM people WHERE m > 'sad' ORDER BY m") == [["ok"], ["happy"]])
        #expect(try rows(db, "SELECT name FROM people WHERE m = 'ok'") == [["cy"]])
        #expect(try rows(db, "SELECT name FROM people WHERE m IN ('happy', 'ok') ORDER BY m") == [["cy"], ["ann"]])
        #expect(try rows(db, "SELECT name FROM people WHERE m = $1", [.text("happy")]) == [["ann"]])
        #expect(try rows(db, "SELECT m::text || '!', CAST(m AS varchar(2)), pg_typeof(m) FROM people WHERE id = 1") == [["happy!", "ha", "mood"]])
        #expect(try rows(db, "SELECT 'ok'::mood < 'happy'::mood, 'ok'::text < 'happy'::text") == [["t", "f"]])
        #expect(try rows(db, "SELECT enum_first(NULL::mood), enum_last(NULL::mood), enum_range(NULL::mood)") == [["sad", "happy", "{sad,ok,happy}"]])
        let result = try db.execute("SELECT m FROM people WHERE id = 1")
        #expect(result.rows == [[.text("happy")]], "results carry the label")
        guard case .enumeration(let type) = result.columns[0].type else { Issue.record("column type \(result.columns[0].type)"); return }
        #expect(type.name == "mood")
    }

    @Test("an enum value given to text and JSON functions, ||, or stored into a column of another type is its label, never its sort order")
    func labelsWhereverTextIsMade() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        #expect(try rows(db, "SELECT m || '!', '<' || m, concat(m, 'x'), format('%s', m), upper(m::text) FROM people WHERE id = 1")
                == [["happy!", "<happy", "happyx", "happy", "HAPPY"]])
        #expect(try rows(db, "SELECT to_jsonb(m)::text, json_build_object('m', m)->>'m' FROM people WHERE id = 1")
                == [["\"happy\"", "happy"]])
        #expect(try rows(db, "SELECT jsonb_agg(m ORDER BY id)::text FROM people WHERE id <= 2") == [["[\"happy\", \"sad\"]"]])
        try db.execute("CREATE TABLE notes (id int, t text, v varchar(10)); INSERT INTO notes SELECT id, m, m FROM people WHERE id <= 2")
        try db.execute("INSERT INTO notes (id, t) VALUES (9, (SELECT m FROM people WHERE id = 3))")
        try db.execute("UPDATE notes SET v = (SELECT m FROM people WHERE id = 3) WHERE id = 2")
        #expect(try rows(db, "SELECT id, t, v FROM notes ORDER BY id") == [["1", "happy", "happy"], ["2", "sad", "ok"], ["9", "ok", "NULL"]])
        #expect(throws: VireoError.self) { try db.execute("CREATE TABLE counts (n int); INSERT INTO counts SELECT m FROM people WHERE id = 1") }
        let prepared = try db.prepare("SELECT m, m::text FROM people WHERE id = $1")
        #expect(try prepared.execute([.int(1)]).rows == [[.text("happy"), .text("happy")]], "an embedded prepared query's result")
        // Still the enum where the type is kept: a copy into a column of the type, comparisons, min/max.
        try db.execute("CREATE TABLE moods (m mood); INSERT INTO moods SELECT m FROM people")
        #expect(try rows(db, "SELECT max(m), count(*) FROM moods WHERE m > 'sad'") == [["happy", "2"]])
    }

    @Test("input, casts and DDL errors carry PostgreSQL's SQLSTATEs and messages")
    func errors() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        let bad = sqlError(db, "INSERT INTO people VALUES (9, 'x', 'angry')")
        #expect(bad?.sqlState == "22P02" && bad?.message == "invalid input value for enum mood: \"angry\"", "\(String(describing: bad))")
        #expect(sqlError(db, "UPDATE people SET m = 'meh' WHERE id = 1")?.sqlState == "22P02")
        #expect(sqlError(db, "SELECT * FROM people WHERE m = 'nope'")?.sqlState == "22P02")
        #expect(sqlError(db, "SELECT m::int FROM people")?.sqlState == "42846")
        #expect(sqlError(db, "CREATE TYPE mood AS ENUM ('a')")?.message == "type \"mood\" already exists")
        #expect(sqlError(db, "CREATE TYPE text AS ENUM ('a')")?.sqlState == "42710")
        #expect(sqlError(db, "CREATE TYPE twice AS ENUM ('a', 'b', 'a')")?.sqlState == "23505", "as PostgreSQL's unique index on pg_enum reports it")
        let long = sqlError(db, "CREATE TYPE long AS ENUM ('\(String(repeating: "x", count: 64))')")
        #expect(long?.sqlState == "42602" && long?.detail == "Labels must be 63 bytes or less.")
        try db.execute("CREATE TYPE longest AS ENUM ('\(String(repeating: "y", count: 63))')")
        let drop = sqlError(db, "DROP TYPE mood")
        #expect(drop?.sqlState == "2BP01" && drop?.message == "cannot drop type mood because other objects depend on it")
        #expect(drop?.detail == "column m of table people depends on type mood")
        #expect(sqlError(db, "DROP TYPE mood CASCADE")?.sqlState == "0A000")
        #expect(sqlError(db, "DROP TYPE nothing")?.sqlState == "42704")
        try db.execute("DROP TYPE IF EXISTS nothing, longest")
        #expect(sqlError(db, "ALTER TYPE mood ADD VALUE 'ok'")?.message == "enum label \"ok\" already exists")
        try db.execute("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok'")
        #expect(sqlError(db, "ALTER TYPE mood ADD VALUE 'x' BEFORE 'none'")?.message == "\"none\" is not an existing enum label")
        #expect(sqlError(db, "ALTER TYPE mood RENAME VALUE 'none' TO 'x'")?.sqlState == "22023")
        #expect(sqlError(db, "ALTER TYPE mood RENAME VALUE 'ok' TO 'sad'")?.sqlState == "42710")
        #expect(sqlError(db, "CREATE TABLE bad (m nosuchtype)")?.sqlState == "42704")
        try db.execute("CREATE TYPE empty AS ENUM (); DROP TYPE empty")
        #expect(try rows(db, "SELECT count(*) FROM people") == [["5"]], "failed statements changed nothing")
    }

    @Test("ADD VALUE BEFORE/AFTER and RENAME keep stored rows, indexes and unique constraints in declaration order")
    func alterWithIndexes() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        try db.execute("CREATE INDEX people_m ON people (m); CREATE TABLE one_each (m mood UNIQUE)")
        try db.execute("INSERT INTO one_each VALUES ('sad'), ('happy')")
        #expect(sqlError(db, "INSERT INTO one_each VALUES ('sad')")?.detail == "Key (m)=(sad) already exists.")
        try db.execute("ALTER TYPE mood ADD VALUE 'ecstatic' AFTER 'happy'")
        try db.execute("ALTER TYPE mood ADD VALUE 'glum' BEFORE 'ok'")
        try db.execute("ALTER TYPE mood ADD VALUE 'meh' AFTER 'glum'")
        try db.execute("ALTER TYPE mood ADD VALUE 'awful' BEFORE 'sad'")
        try db.execute("ALTER TYPE mood ADD VALUE 'zen'")
        try db.execute("INSERT INTO people VALUES (6, 'fi', 'glum'), (7, 'gu', 'ecstatic'), (8, 'hu', 'awful'), (9, 'io', 'meh'), (10, 'jo', 'zen')")
        try db.execute("INSERT INTO one_each VALUES ('meh'), ('awful')")
        #expect(try rows(db, "SELECT enum_range(NULL::mood)") == [["{awful,sad,glum,meh,ok,happy,ecstatic,zen}"]])
        #expect(try rows(db, "SELECT name FROM people WHERE m IS NOT NULL ORDER BY m, id")
                == [["hu"], ["bob"], ["ed"], ["fi"], ["io"], ["cy"], ["ann"], ["gu"], ["jo"]])
        #expect(try rows(db, "SELECT name FROM people WHERE m BETWEEN 'glum' AND 'ok' ORDER BY m") == [["fi"], ["io"], ["cy"]])
        let plan = try rows(db, "EXPLAIN SELECT name FROM people WHERE m < 'glum'").map { $0[0] }.joined(separator: "\n")
        #expect(plan.contains("people_m"), "the index serves a range: \(plan)")
        #expect(try rows(db, "SELECT name FROM people WHERE m < 'glum' ORDER BY m, id") == [["hu"], ["bob"], ["ed"]])
        #expect(try rows(db, "SELECT m FROM one_each ORDER BY m") == [["awful"], ["sad"], ["meh"], ["happy"]])
        try db.execute("ALTER TYPE mood RENAME VALUE 'meh' TO 'so-so'; ALTER TYPE mood RENAME TO feeling")
        #expect(try rows(db, "SELECT m FROM people WHERE id = 9") == [["so-so"]])
        #expect(try rows(db, "SELECT count(*) FROM people WHERE m = 'so-so'::feeling") == [["1"]])
        #expect(sqlError(db, "SELECT 'ok'::mood")?.sqlState == "42704")
        let report = try db.store.checkIntegrity()
        #expect(report.isSound, "\(report)")
    }

    @Test("ADD COLUMN, CREATE TABLE AS, views and prepared parameters take the type")
    func otherUses() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        try db.execute("ALTER TABLE people ADD COLUMN later mood DEFAULT 'ok'")
        #expect(try rows(db, "SELECT DISTINCT later FROM people") == [["ok"]])
        try db.execute("CREATE TABLE copy AS SELECT id, m FROM people WHERE m IS NOT NULL")
        #expect(try rows(db, "SELECT id FROM copy ORDER BY m DESC, id") == [["1"], ["3"], ["2"], ["5"]])
        try db.execute("CREATE VIEW happy_people AS SELECT name, m FROM people WHERE m >= 'ok'")
        #expect(try rows(db, "SELECT name, m FROM happy_people ORDER BY m") == [["cy", "ok"], ["ann", "happy"]])
        try db.execute("INSERT INTO copy VALUES ($1, $2)", [.int(11), .text("ok")])
        #expect(try rows(db, "SELECT id FROM copy WHERE m = $1 ORDER BY id", [.text("ok")]) == [["3"], ["11"]])
        let drop = sqlError(db, "DROP TYPE mood")
        #expect(drop?.detail?.contains("column m of table copy depends on type mood") == true, "\(String(describing: drop?.detail))")
        try db.execute("ALTER TABLE copy ALTER COLUMN m TYPE text")
        #expect(try rows(db, "SELECT m FROM copy ORDER BY m") == [["happy"], ["ok"], ["ok"], ["sad"], ["sad"]], "as labels, now in text order")
        #expect(sqlError(db, "ALTER TABLE copy ALTER COLUMN m TYPE mood")?.sqlState == "42804")
        try db.execute("ALTER TABLE copy ALTER COLUMN m TYPE mood USING m::mood")
        #expect(try rows(db, "SELECT m FROM copy ORDER BY m DESC LIMIT 1") == [["happy"]])
        #expect(sqlError(db, "CREATE TABLE many (ms mood[])")?.sqlState == "0A000")
    }

    @Test("pg_type, pg_enum, pg_attribute, format_type and regtype describe the type")
    func catalogRows() throws {
        let db = try Database.inMemory()
        try moodTable(db)
        try db.execute("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'")
        let type = try rows(db, "SELECT typname, typtype, typcategory, typlen, oid = 'mood'::regtype FROM pg_type WHERE typname = 'mood'")
        #expect(type == [["mood", "e", "E", "4", "t"]])
        #expect(try rows(db, "SELECT e.enumlabel, e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood' ORDER BY e.enumsortorder")
                == [["sad", "1"], ["meh", "1.5"], ["ok", "2"], ["happy", "3"]])
        #expect(try rows(db, """
            SELECT format_type(a.atttypid, a.atttypmod), a.atttypid::regtype::text FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 'people' AND a.attname = 'm'
            """) == [["mood", "mood"]])
        #expect(try rows(db, "SELECT to_regtype('mood') IS NOT NULL, to_regtype('public.mood') = 'mood'::regtype") == [["t", "t"]])
        #expect(try rows(db, "SELECT data_type, udt_name, udt_schema FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'm'")
                == [["USER-DEFINED", "mood", "public"]])
    }

    @Test("the type survives reopen and a crash; the first enum type raises the file to format version 4")
    func durable() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/enum.vireo"
            var db = try Database.open(path: path)
            try db.execute("CREATE TABLE plain (id int)")
            try db.close()
            #expect(try Self.formatVersion(path) == 3, "a file without enum types stays readable by version-3 builds")
            db = try Database.open(path: path)
            try moodTable(db)
            try db.close()
            #expect(try Self.formatVersion(path) == 4)
            db = try Database.open(path: path)
            defer { try? db.close() }
            try db.execute("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'; INSERT INTO people VALUES (6, 'fi', 'meh')")
            #expect(try rows(db, "SELECT name FROM people WHERE m IS NOT NULL ORDER BY m, id") == [["bob"], ["ed"], ["fi"], ["cy"], ["ann"]])
        }
        let backend = SimulatedBackend(seed: 8)
        let options = StorageOptions(backend: backend)
        var database = try Database.open(path: "/sim/enum.vireo", options: options)
        try moodTable(database)
        try database.execute("ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad'; UPDATE people SET m = 'meh' WHERE id = 5")
        _ = backend.crash()
        database = try Database.open(path: "/sim/enum.vireo", options: options)
        #expect(try rows(database, "SELECT id, m FROM people WHERE m <= 'meh' ORDER BY m") == [["2", "sad"], ["5", "meh"]])
        #expect(try database.store.catalog.enumTypes["mood"]?.labels.map(\.label) == ["sad", "meh", "ok", "happy"])
        try database.close()
    }

    /// The format version in the meta page (offset 32, little-endian) of a closed file.
    private static func formatVersion(_ path: String) throws -> UInt32 {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        return bytes[32..<36].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
}
