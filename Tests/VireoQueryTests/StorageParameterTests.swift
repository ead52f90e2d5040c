import Testing
@testable import VireoQuery
import VireoStorage

/// Table storage parameters: `CREATE TABLE … WITH (…)`, `ALTER TABLE … SET (…) / RESET (…)`,
/// checked with PostgreSQL 15's names, ranges and messages, kept across a reopen and shown in
/// pg_class.reloptions.
@Suite("Storage parameters")
struct StorageParameterTests {
    @Test("WITH, SET and RESET keep reloptions texts in the order written, a later value replacing an earlier")
    func setAndReset() throws {
        try withTemporaryDirectory { directory in
            let database = try reopenedDatabase(directory, "options.vireo", after: """
                CREATE TABLE t (id int) WITH (fillfactor = 70, autovacuum_enabled, toast.autovacuum_enabled = 'false');
                ALTER TABLE t SET (fillfactor = 80, parallel_workers = 2), RESET (autovacuum_enabled);
                CREATE TABLE plain (id int) WITHOUT OIDS;
                """)
            let session = database.session()
            #expect(try typedValues(session, "SELECT reloptions FROM pg_class WHERE relname = 't'")
                    == ["{fillfactor=80,parallel_workers=2}"], "a TOAST table's parameters are not the table's reloptions")
            #expect(try typedValues(session, "SELECT reloptions FROM pg_class WHERE relname = 'plain'") == ["NULL"])
            try session.execute("ALTER TABLE t RESET (fillfactor, parallel_workers, toast.autovacuum_enabled)")
            #expect(try typedValues(session, "SELECT reloptions FROM pg_class WHERE relname = 't'") == ["NULL"])
            try database.close()
        }
    }

    @Test("unknown names, values out of range or of the wrong kind, and repeats are 22023")
    func errors() throws {
        let session = try Database.inMemory().session()
        try session.execute("CREATE TABLE t (id int)")
        let cases: [(String, String)] = [
            ("ALTER TABLE t SET (nosuch = 1)", "unrecognized parameter \"nosuch\""),
            ("ALTER TABLE t SET (fillfactor = 5)", "value 5 out of bounds for option \"fillfactor\""),
            ("ALTER TABLE t SET (fillfactor = 'abc')", "invalid value for integer option \"fillfactor\": abc"),
            ("ALTER TABLE t SET (fillfactor)", "invalid value for integer option \"fillfactor\": true"),
            ("ALTER TABLE t SET (autovacuum_enabled = maybe)", "invalid value for boolean option \"autovacuum_enabled\": maybe"),
            ("ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 200)", "value 200 out of bounds for option \"autovacuum_vacuum_scale_factor\""),
            ("ALTER TABLE t SET (fillfactor = 50, fillfactor = 60)", "parameter \"fillfactor\" specified more than once"),
            ("ALTER TABLE t SET (toast.fillfactor = 50)", "unrecognized parameter \"toast.fillfactor\""),
            ("ALTER TABLE t RESET (nosuch)", "unrecognized parameter \"nosuch\""),
        ]
        for (sql, message) in cases {
            let error = sqlError(session, sql)
            #expect(error?.sqlState == "22023", "\(sql)")
            #expect(error?.message == message, "\(sql)")
        }
        #expect(sqlError(session, "ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 200)")?.detail
                == "Valid values are between \"0.000000\" and \"100.000000\".")
        #expect(sqlError(session, "CREATE TABLE u (id int) WITH (fillfactor = 101)")?.sqlState == "22023")
        #expect(sqlError(session, "SELECT * FROM u")?.sqlState == "42P01", "the failed CREATE made no table")
    }
}
