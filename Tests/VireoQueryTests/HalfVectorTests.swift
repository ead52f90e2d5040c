import Testing
@testable import VireoQuery
@testable import VireoStorage
import Foundation

/// pgvector's `halfvec`: columns, casts, operators, functions and HNSW indexes, each
/// expected result taken from pgvector 0.8.5 running the same statements.
@Suite("SQL: halfvec")
struct HalfVectorTests {
    /// The table pgvector was given: a value rounded on input, an exact one, and one at the
    /// edges of half precision (65504 is the largest half, 1e-5 a subnormal).
    static func makeTable() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE h (id int PRIMARY KEY, e halfvec(3))")
        try db.execute("INSERT INTO h VALUES (1, '[0.1,0.2,0.3]'), (2, '[1,2,3]'), (3, '[1.0001, 65504, -0.00001]')")
        return db
    }

    static func texts(_ db: Database, _ sql: String) throws -> [[String]] {
        try db.execute(sql).rows.map { $0.map { $0.text ?? "NULL" } }
    }

    @Test("values are rounded to half precision on input and print as pgvector prints them")
    func input() throws {
        let db = try Self.makeTable()
        #expect(try Self.texts(db, "SELECT e::text FROM h ORDER BY id") == [
            ["[0.099975586,0.19995117,0.30004883]"], ["[1,2,3]"], ["[1,65504,-1.001358e-05]"],
        ])
        #expect(try Self.texts(db, "SELECT '[0.1,0.2,0.3]'::vector(3)::halfvec(3)::text, ARRAY[0.1,0.2]::halfvec::text") == [
            ["[0.099975586,0.19995117,0.30004883]", "[0.099975586,0.19995117]"],
        ])
        #expect(try Self.texts(db, "SELECT pg_typeof(e), e::vector::text, pg_typeof(e::vector), e::real[]::text FROM h WHERE id = 1") == [
            ["halfvec", "[0.099975586,0.19995117,0.30004883]", "vector", "{0.099975586,0.19995117,0.30004883}"],
        ])
        // A parameter sent as a float32 vector is rounded as the column stores it.
        try db.execute("INSERT INTO h VALUES (4, $1)", [Value.vector([0.1, 0.2, 0.3])])
        #expect(try Self.texts(db, "SELECT e::text FROM h WHERE id = 4") == [["[0.099975586,0.19995117,0.30004883]"]])
        #expect(try Self.texts(db, "SELECT count(*) FROM h WHERE e = '[0.1,0.2,0.3]'") == [["2"]])
    }

    @Test("out-of-range elements, wrong dimensions and bad declarations fail as in pgvector")
    func errors() throws {
        let db = try Self.makeTable()
        let overflow = sqlError(db, "INSERT INTO h VALUES (5, '[1,2,100000]')")
        #expect(overflow?.sqlState == "22003" && overflow?.message == "\"100000\" is out of range for type halfvec")
        #expect(sqlError(db, "SELECT '[0.1, 1e-8, 70000]'::vector::halfvec")?.message == "\"70000\" is out of range for type halfvec")
        #expect(sqlError(db, "INSERT INTO h VALUES (5, '[1,2]')")?.message == "expected 3 dimensions, not 2")
        #expect(sqlError(db, "SELECT '[1,2]'::halfvec(3)")?.message == "expected 3 dimensions, not 2")
        #expect(sqlError(db, "SELECT e + e FROM h WHERE id = 3")?.sqlState == "22003", "65504 + 65504 overflows a half")
        #expect(sqlError(db, "CREATE TABLE hv2 (e halfvec(0))")?.message == "dimensions for type halfvec must be at least 1")
        #expect(try Self.texts(db, "SELECT '[1e-8]'::halfvec::text") == [["[0]"]], "below the smallest subnormal: zero")
    }

    @Test("distances, arithmetic and pgvector's functions of halfvecs")
    func operators() throws {
        let db = try Self.makeTable()
        let distances = try Self.texts(db, "SELECT e <-> '[1,2,3]', e <=> '[1,2,3]', e <#> '[1,2,3]', e <+> '[1,2,3]' FROM h WHERE id = 2")
        #expect(distances == [["0", "0", "-14", "0"]])
        let near = try db.execute("SELECT e <-> '[1,2,3]' FROM h WHERE id = 1").rows[0][0]
        guard case .double(let l2) = near else { Issue.record("got \(near)"); return }
        #expect(abs(l2 - 3.367485157141652) < 1e-9, "from the rounded elements, as pgvector")
        #expect(try Self.texts(db, "SELECT (e + e)::text, pg_typeof(e + '[1,1,1]'), (e * '[0.5,0.5,0.5]')::text FROM h WHERE id = 2") == [
            ["[2,4,6]", "halfvec", "[0.5,1,1.5]"],
        ])
        #expect(try Self.texts(db, "SELECT (e || e)::text FROM h WHERE id = 1") == [
            ["[0.099975586,0.19995117,0.30004883,0.099975586,0.19995117,0.30004883]"],
        ])
        #expect(try Self.texts(db, "SELECT l2_normalize(e)::text, pg_typeof(l2_normalize(e)), subvector(e, 2, 2)::text, l2_norm(e), vector_dims(e) FROM h WHERE id = 2") == [
            ["[0.26733398,0.53466797,0.8017578]", "halfvec", "[2,3]", "3.7416573867739413", "3"],
        ])
        #expect(try Self.texts(db, "SELECT binary_quantize('[1,-2,3]'::halfvec)::text, '[1,2,3]'::halfvec <-> '[1,2,3]'::vector") == [["101", "0"]])
        #expect(try Self.texts(db, "SELECT '[1,2,3]'::halfvec < '[1,2,4]'::halfvec") == [["t"]])
        #expect(try Self.texts(db, "SELECT avg(e)::text, sum(e)::text, pg_typeof(avg(e)) FROM h WHERE id < 3") == [
            ["[0.5498047,1.0996094,1.6503906]", "[1.0996094,2.1992188,3.3007812]", "halfvec"],
        ])
    }

    @Test("an HNSW index over a halfvec column: its operator classes, the plan, the answers and its definition")
    func index() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE items (id int PRIMARY KEY, e halfvec(4))")
        for id in 1...200 {
            let angle = Float(id) * 0.05
            try db.execute("INSERT INTO items VALUES ($1, $2)", id, [cos(angle), sin(angle), Float(id % 7) * 0.1, 1] as [Float])
        }
        let wrongClass = sqlError(db, "CREATE INDEX ON items USING hnsw (e vector_l2_ops)")
        #expect(wrongClass?.sqlState == "42804" && wrongClass?.message == "operator class \"vector_l2_ops\" does not accept data type halfvec")
        try db.execute("CREATE INDEX items_cos ON items USING hnsw (e halfvec_cosine_ops) WITH (m = 8)")
        #expect(try Self.texts(db, "SELECT pg_get_indexdef('items_cos'::regclass)") == [
            ["CREATE INDEX items_cos ON public.items USING hnsw (e halfvec_cosine_ops) WITH (m='8', ef_construction='64')"],
        ])
        let query = "SELECT id FROM items ORDER BY e <=> $1 LIMIT 5"
        let plan = try db.execute("EXPLAIN " + query, [Value.vector([1, 0.1, 0.3, 1])]).rows.map { $0[0].text ?? "" }.joined(separator: "\n")
        #expect(plan.contains("items_cos"), "the index serves the search:\n\(plan)")
        let found = try db.execute(query, [Value.vector([1, 0.1, 0.3, 1])]).rows
        try db.execute("DROP INDEX items_cos")
        let exact = try db.execute(query, [Value.vector([1, 0.1, 0.3, 1])]).rows
        #expect(found == exact, "the index finds what the exact scan finds")
        try db.execute("CREATE INDEX ON items USING hnsw (e halfvec_l2_ops)")
        try db.execute("CREATE INDEX ON items USING hnsw (e halfvec_ip_ops)")
        #expect(try Self.texts(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'e'") == [["halfvec(4)"]])
    }

    @Test("the storage layer refuses a value that is not half precision")
    func storageGuard() throws {
        let definition = ColumnType.halfvec(dimension: 2)
        #expect(definition.storageType == .vector(dimension: 2))
        #expect(throws: VireoError.self) { try StoreTransaction.checkDeclaredType(.vector([0.1, 1]), definition) }
        try StoreTransaction.checkDeclaredType(.vector([Float(Float16(0.1)), 1]), definition)
    }

    @Test("bit(n) and bit varying(n) columns, searched by <~> and <%> as in pgvector's README")
    func bitColumns() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE bits (id bigserial PRIMARY KEY, embedding bit(3), v varbit(4))")
        try db.execute("INSERT INTO bits (embedding, v) VALUES ('000', '1'), ('111', '1011'), ('011', NULL)")
        #expect(try Self.texts(db, "SELECT id, embedding, embedding <~> '101', embedding <%> '101' FROM bits ORDER BY embedding <~> '101', id LIMIT 5") == [
            ["2", "111", "1", "0.33333333333333337"], ["1", "000", "2", "1"], ["3", "011", "2", "0.6666666666666667"],
        ])
        #expect(sqlError(db, "INSERT INTO bits (embedding) VALUES ('10')")?.message == "bit string length 2 does not match type bit(3)")
        #expect(sqlError(db, "INSERT INTO bits (v) VALUES ('10101')")?.message == "bit string too long for type bit varying(4)")
        #expect(sqlError(db, "CREATE TABLE b2 (e bit(0))")?.message == "length for type bit must be at least 1")
        #expect(try Self.texts(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'bits'::regclass AND attnum > 0 ORDER BY attnum") == [
            ["bigint"], ["bit(3)"], ["bit varying(4)"],
        ])
        #expect(try Self.texts(db, "SELECT pg_typeof(embedding), pg_typeof(v) FROM bits LIMIT 1") == [["bit", "bit varying"]])
        #expect(try Self.texts(db, "SELECT binary_quantize('[1,-2,3]'::vector)::bit(3) = embedding FROM bits WHERE id = 1") == [["f"]])
    }

    @Test("vector and halfvec columns without a dimension hold vectors of any dimension, as in pgvector")
    func columnsOfAnyDimension() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE anyv (id int, e vector, h halfvec)")
        try db.execute("INSERT INTO anyv VALUES (1, '[1,2]', '[1,2]'), (2, '[1,2,3]', '[0.1,2,3]')")
        #expect(try Self.texts(db, "SELECT id, e::text, h::text FROM anyv ORDER BY id") == [["1", "[1,2]", "[1,2]"], ["2", "[1,2,3]", "[0.099975586,2,3]"]])
        #expect(try Self.texts(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'anyv'::regclass AND attnum > 0 ORDER BY attnum") == [
            ["integer"], ["vector"], ["halfvec"],
        ])
        let noDimensions = sqlError(db, "CREATE INDEX ON anyv USING hnsw (e vector_l2_ops)")
        #expect(noDimensions?.sqlState == "22023" && noDimensions?.message == "column does not have dimensions")
        #expect(sqlError(db, "SELECT e <-> '[1,2]' FROM anyv")?.message == "different vector dimensions 3 and 2")
        #expect(sqlError(db, "ALTER TABLE anyv ALTER COLUMN e TYPE vector(2)")?.message == "expected 2 dimensions, not 3")
        try db.execute("DELETE FROM anyv WHERE id = 2")
        try db.execute("ALTER TABLE anyv ALTER COLUMN e TYPE vector(2)")
        try db.execute("CREATE INDEX ON anyv USING hnsw (e vector_l2_ops)")
        try db.execute("CREATE TABLE copied AS SELECT e::vector AS e FROM anyv")
        #expect(try Self.texts(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'copied'::regclass AND attnum > 0") == [["vector"]])
    }
}
