import Testing
@testable import VireoQuery
import VireoStorage

/// A statement that would build a value past the per-value limit, or hold more rows than
/// work_mem allows, fails with 54000 instead of aborting the process; the database stays usable.
@Suite("SQL: value size limit and work_mem")
struct ValueLimitTests {
    /// Expects `sql` to fail with 54000 and a message containing `fragment`.
    private func expectLimitExceeded(_ db: Database, _ sql: String, _ fragment: String,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        let error = sqlError(db, sql, sourceLocation: sourceLocation)
        #expect(error?.sqlState == "54000", "\(sql): expected 54000, got \(String(describing: error))",
                sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(sql): expected a message with \"\(fragment)\", got \(String(describing: error?.message))",
                sourceLocation: sourceLocation)
    }

    /// The database answers a fresh statement after a failed one.
    private func expectUsable(_ db: Database, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let got = try rows(db, "SELECT 1 + 1")
        #expect(got == [["2"]], "expected the database to answer [[2]] afterwards, got \(got)", sourceLocation: sourceLocation)
    }

    // MARK: One value

    @Test("replace() whose result would be 10 GB fails with 54000 before allocating, and the database stays usable")
    func replaceResultPastLimit() throws {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1)")
        expectLimitExceeded(db, "SELECT length(replace(repeat('x',10000000),'x',repeat('y',1000)))",
                            "result of replace() would be 10000000000 bytes, more than the 1073741824-byte limit for one value")
        try expectUsable(db)
        #expect(try rows(db, "SELECT id FROM kept") == [["1"]])
    }

    @Test("replace() counts bytes as it replaces: shrinking, growing, multi-byte and empty patterns")
    func replaceStillReplaces() throws {
        let db = try Database.inMemory()
        let cases: [(String, String)] = [
            ("SELECT replace('abcabc', 'b', 'XY')", "aXYcaXYc"), ("SELECT replace('aaaa', 'aa', 'a')", "aa"),
            ("SELECT replace('aaa', 'a', 'bb')", "bbbbbb"), ("SELECT replace('abc', '', 'x')", "abc"),
            ("SELECT replace('', 'a', 'b')", ""), ("SELECT replace('héllo wörld', 'ö', 'oe')", "héllo woerld"),
            ("SELECT replace('abc', 'abcd', 'x')", "abc"), ("SELECT replace('abc', 'b', '')", "ac"),
        ]
        for (sql, expected) in cases {
            let got = try rows(db, sql)
            #expect(got == [[expected]], "\(sql): expected \(expected), got \(got)")
        }
    }

    @Test("|| of two strings whose sum passes the limit fails with 54000")
    func concatOperatorPastLimit() throws {
        let db = try Database.inMemory()
        // One operand of just over half the limit, used twice: 512 MB allocated, never 1 GB.
        let half = ValueLimits.valueSizeBytesMax / 2 + 1
        expectLimitExceeded(db, "SELECT length(s || s) FROM (SELECT repeat('x', \(half)) AS s) t",
                            "result of || would be \(2 * half) bytes, more than the 1073741824-byte limit")
        try expectUsable(db)
    }

    @Test("concat() and concat_ws() of many strings whose sum passes the limit fail with 54000")
    func concatFunctionsPastLimit() throws {
        let db = try Database.inMemory()
        // 100 arguments of 11 MB: 1.1 GB asked for, 11 MB allocated.
        let arguments = Array(repeating: "s", count: 100).joined(separator: ", ")
        expectLimitExceeded(db, "SELECT length(concat(\(arguments))) FROM (SELECT repeat('x', 11000000) AS s) t",
                            "result of concat() would be 1100000000 bytes")
        // A 6 MB separator between 99 parts of 6 MB: 1.18 GB asked for (concat_ws takes 100 arguments).
        let parts = Array(repeating: "s", count: 99).joined(separator: ", ")
        expectLimitExceeded(db, "SELECT length(concat_ws(s, \(parts))) FROM (SELECT repeat('x', 6000000) AS s) t",
                            "result of concat_ws() would be 1182000000 bytes")
        #expect(try rows(db, "SELECT concat('a', NULL, 'b', 1), concat_ws('-', 'a', NULL, 'b')") == [["ab1", "a-b"]])
        try expectUsable(db)
    }

    @Test("repeat() past the limit names the limit, and a count that overflows is caught too")
    func repeatPastLimit() throws {
        let db = try Database.inMemory()
        expectLimitExceeded(db, "SELECT repeat('ab', 600000000)", "result of repeat() would be 1200000000 bytes")
        expectLimitExceeded(db, "SELECT repeat('ab', 9223372036854775807)", "result of repeat() would be larger than")
        #expect(try rows(db, "SELECT repeat('ab', 3), repeat('ab', -1)") == [["ababab", ""]])
    }

    // MARK: work_mem

    /// A table of 2,000 distinct 1 KB strings: about 2 MB, well past a work_mem of 1MB.
    private func databaseWithWideRows() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE wide (id int PRIMARY KEY, s text)")
        let values = (1...2000).map { "(\($0), '\($0)' || repeat('x', 1000))" }.joined(separator: ", ")
        try db.execute("INSERT INTO wide VALUES \(values)")
        return db
    }

    @Test("a sort, GROUP BY, DISTINCT, hash join, set operation and result set past work_mem = 1MB fail with 54000; under the default they succeed")
    func operationsPastWorkMem() throws {
        let db = try databaseWithWideRows()
        let queries: [(sql: String, expected: [[String]])] = [
            ("SELECT count(*) FROM (SELECT id FROM wide ORDER BY s) sorted", [["2000"]]),
            ("SELECT count(*) FROM (SELECT s FROM wide GROUP BY s) grouped", [["2000"]]),
            ("SELECT count(*) FROM (SELECT DISTINCT s FROM wide) distinct_rows", [["2000"]]),
            ("SELECT count(*) FROM wide a JOIN wide b ON a.s = b.s", [["2000"]]),
            ("SELECT count(*) FROM (SELECT s FROM wide UNION SELECT s FROM wide) both_sides", [["2000"]]),
            ("SELECT count(*) FROM wide WHERE s IN (SELECT s FROM wide)", [["2000"]]),
        ]
        try db.execute("SET work_mem = '1MB'")
        for query in queries {
            expectLimitExceeded(db, query.sql, "work_mem")
        }
        expectLimitExceeded(db, "SELECT s FROM wide", "SET work_mem")
        try expectUsable(db)
        try db.execute("RESET work_mem")
        for query in queries {
            let got = try rows(db, query.sql)
            #expect(got == query.expected, "\(query.sql) under the default work_mem: expected \(query.expected), got \(got)")
        }
        #expect(try rows(db, "SELECT s FROM wide").count == 2000)
    }

    @Test("the work_mem error names the setting's value and how to raise it")
    func workMemMessage() throws {
        let db = try databaseWithWideRows()
        try db.execute("SET work_mem = '1MB'")
        let error = sqlError(db, "SELECT id FROM wide ORDER BY s")
        let expected = "the statement needs more than work_mem (1MB) for sorting; raise it with SET work_mem = '2MB' (or more)"
        #expect(error?.message == expected, "expected \(expected), got \(String(describing: error?.message))")
    }

    @Test("a LIMIT under ORDER BY keeps only its rows, so it fits a small work_mem")
    func topKFitsWorkMem() throws {
        let db = try databaseWithWideRows()
        try db.execute("SET work_mem = '1MB'")
        let got = try rows(db, "SELECT id FROM wide ORDER BY s DESC LIMIT 3")
        // '9x…' sorts after '99x…', which sorts after '999x…'.
        #expect(got == [["9"], ["99"], ["999"]], "expected [[9], [99], [999]], got \(got)")
    }

    @Test("the budget is per statement: statements that each fit run one after another")
    func budgetIsPerStatement() throws {
        let db = try databaseWithWideRows()
        try db.execute("SET work_mem = '1MB'")
        for _ in 0..<5 {
            // About 0.4 MB each; five of them would pass 1MB if the budget carried over.
            let got = try rows(db, "SELECT count(*) FROM (SELECT id FROM wide WHERE id <= 200 ORDER BY s) part")
            #expect(got == [["200"]], "expected [[200]], got \(got)")
        }
    }

    @Test("SET work_mem takes PostgreSQL's units, SHOW prints the largest exact one, RESET and DEFAULT restore 1GB")
    func workMemSetting() throws {
        let db = try Database.inMemory()
        #expect(try rows(db, "SHOW work_mem") == [["1GB"]])
        let cases: [(String, String)] = [
            ("'64MB'", "64MB"), ("65536", "64MB"), ("'1024kB'", "1MB"), ("'1536kB'", "1536kB"), ("'1.5MB'", "1536kB"),
            ("'2GB'", "2GB"), ("'64 MB'", "64MB"), ("'1TB'", "1TB"), ("'131072B'", "128kB"), ("'64kB'", "64kB"),
        ]
        for (value, expected) in cases {
            try db.execute("SET work_mem = \(value)")
            let got = try rows(db, "SHOW work_mem")
            #expect(got == [[expected]], "SET work_mem = \(value): expected SHOW to give \(expected), got \(got)")
        }
        try db.execute("RESET work_mem")
        #expect(try rows(db, "SHOW work_mem") == [["1GB"]])
        try db.execute("SET work_mem = '8MB'; SET work_mem TO DEFAULT")
        #expect(try rows(db, "SHOW work_mem") == [["1GB"]])
    }

    @Test("invalid work_mem values give 22023 and leave the setting as it was")
    func workMemInvalid() throws {
        let db = try Database.inMemory()
        try db.execute("SET work_mem = '4MB'")
        let cases: [(String, String)] = [
            ("'abc'", "invalid value for parameter \"work_mem\": \"abc\""),
            ("'64mb'", "(valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\""),
            ("'10kB'", "10 kB is outside the valid range for parameter \"work_mem\" (64 kB .. 2147483647 kB)"),
            ("-1", "-1 kB is outside the valid range"),
            ("'3000TB'", "invalid value for parameter \"work_mem\": \"3000TB\" (value exceeds integer range)"),
            ("on", "invalid value for parameter \"work_mem\": \"on\""),
            ("''", "invalid value for parameter \"work_mem\": \"\""),
        ]
        for (value, fragment) in cases {
            let error = sqlError(db, "SET work_mem = \(value)")
            #expect(error?.sqlState == "22023", "SET work_mem = \(value): expected 22023, got \(String(describing: error))")
            #expect(error?.message.contains(fragment) == true, "SET work_mem = \(value): expected \"\(fragment)\" in \(String(describing: error?.message))")
        }
        #expect(try rows(db, "SHOW work_mem") == [["4MB"]])
    }

    @Test("SET LOCAL work_mem lasts until the transaction ends")
    func workMemLocal() throws {
        let db = try Database.inMemory()
        let session = db.session()
        try session.execute("BEGIN; SET LOCAL work_mem = '2MB'")
        #expect(try session.execute("SHOW work_mem").rows == [[.text("2MB")]])
        try session.execute("COMMIT")
        #expect(try session.execute("SHOW work_mem").rows == [[.text("1GB")]])
    }
}

@Suite("Value limits: case mappings and bytea as text")
struct CaseMappingLimitTests {
    @Test("upper() of a text whose mapping would pass the limit is 54000 before it is built; ordinary texts map as before")
    func upperIsSizedFirst() throws {
        #expect(try TextBuilding.changedCase("straße", upper: true) == "STRAßE", "one code point at a time, as PostgreSQL")
        #expect(try TextBuilding.changedCase("ÀB", upper: false) == "àb")
        // ɐ (2 bytes) upper-cases to Ɐ (3 bytes): 300 of them fit in 1000 bytes, 400 do not.
        #expect(throws: VireoError.self) { _ = try TextBuilding.changedCase(String(repeating: "ɐ", count: 400), upper: true, bytesMax: 1000) }
        #expect(try TextBuilding.changedCase(String(repeating: "ɐ", count: 300), upper: true, bytesMax: 1000).utf8.count == 900)
        // ŉ's full upper case is ʼN, its simple one ŉ itself: 400 of them stay 800 bytes.
        #expect(try TextBuilding.changedCase(String(repeating: "ŉ", count: 400), upper: true, bytesMax: 1000).utf8.count == 800)
    }

    @Test("bytea as text is sized as 2 + 2n bytes")
    func byteaTextIsSized() throws {
        try TextBuilding.checkHexText(ofBytes: 1000)
        #expect(throws: VireoError.self) { try TextBuilding.checkHexText(ofBytes: ValueLimits.valueSizeBytesMax / 2) }
    }
}
