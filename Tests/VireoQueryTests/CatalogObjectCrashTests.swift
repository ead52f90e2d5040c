import Testing
@testable import VireoQuery
import VireoStorage

/// The catalog objects PostgreSQL dumps carry beside tables — SQL functions, domains and
/// materialized views — survive a power loss once their statement is acknowledged: the
/// file passes its integrity check and each object works as before the crash.
@Suite("SQL functions, domains and materialized views after a power loss")
struct CatalogObjectCrashTests {
    @Test("acknowledged CREATE FUNCTION, CREATE DOMAIN, CREATE/REFRESH MATERIALIZED VIEW, DROP FUNCTION and CREATE TRIGGER are all there after a crash",
          arguments: [UInt64(5), 17])
    func objectsSurviveACrash(seed: UInt64) throws {
        let backend = SimulatedBackend(seed: seed)
        let options = StorageOptions(backend: backend, walCheckpointBytes: 64 << 10)
        let path = "/sim/objects.vireo"
        var database = try Database.open(path: path, options: options)
        try database.execute("""
            CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
            CREATE TABLE items (id int PRIMARY KEY, qty posint);
            INSERT INTO items SELECT i, i % 9 + 1 FROM generate_series(1, 400) i;
            CREATE FUNCTION doubled(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 2';
            CREATE FUNCTION dropped() RETURNS int LANGUAGE sql AS 'SELECT 1';
            CREATE MATERIALIZED VIEW totals AS SELECT qty, count(*) AS n FROM items GROUP BY qty;
            INSERT INTO items VALUES (401, 9);
            REFRESH MATERIALIZED VIEW totals;
            DROP FUNCTION dropped();
            CREATE FUNCTION tripled(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN n * 3; END $$;
            DO $$ DECLARE i int; BEGIN FOR i IN 402..450 LOOP INSERT INTO items VALUES (i, 1); END LOOP; END $$;
            CREATE TABLE item_log (id int, qty int);
            CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO item_log VALUES (NEW.id, NEW.qty); RETURN NEW; END $$;
            CREATE TRIGGER items_log AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_item();
            INSERT INTO items VALUES (451, 2), (452, 3);
            """)
        // A DO that fails halfway leaves nothing, before the crash and after it.
        #expect(sqlError(database.session(), "DO $$ BEGIN INSERT INTO items VALUES (500, 1); INSERT INTO items VALUES (1, 1); END $$")?.sqlState == "23505")
        let report = backend.crash()
        database = try Database.open(path: path, options: options)
        let integrity = try database.store.checkIntegrity()
        #expect(integrity.isSound, "\(report): \(integrity)")
        let session = database.session()
        #expect(try typedValues(session, "SELECT doubled(21)") == ["42"], "\(report)")
        #expect(try typedValues(session, "SELECT n FROM totals WHERE qty = 9") == ["45"], "\(report): the refreshed rows")
        #expect(sqlError(session, "INSERT INTO items VALUES (402, 0)")?.sqlState == "23514", "\(report): the domain's check")
        #expect(sqlError(session, "SELECT dropped()")?.sqlState == "42883", "\(report): the dropped function stays dropped")
        #expect(try typedValues(session, "SELECT tripled(14), count(*) FILTER (WHERE id BETWEEN 402 AND 450), count(*) FILTER (WHERE id = 500) FROM items")
                == ["42", "49", "0"], "\(report): the DO's 49 rows, none of the failed one's")
        // The trigger's rows were committed with the INSERT that fired them, and it still fires.
        try session.execute("INSERT INTO items VALUES (453, 4)")
        #expect(try typedValues(session, "SELECT string_agg(id || ':' || qty, ',' ORDER BY id) FROM item_log") == ["451:2,452:3,453:4"], "\(report)")
        try database.close()
    }
}
