import Testing
@testable import VireoQuery
import VireoStorage

/// A statement that would build a value past the per-value limit fails with 54000 instead
/// of aborting the process; the database stays usable. work_mem is set as in PostgreSQL.
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
