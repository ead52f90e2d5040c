import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// DEFERRABLE FOREIGN KEYs and SET CONSTRAINTS, every answer as PostgreSQL 15's (Django
/// declares each of its foreign keys DEFERRABLE INITIALLY DEFERRED).
@Suite("Deferred FOREIGN KEY checks and SET CONSTRAINTS")
struct DeferredConstraintTests {
    private func database() throws -> Database {
        let db = try Database.inMemory()
        try db.execute("CREATE TABLE p (id int PRIMARY KEY)")
        try db.execute("""
            CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED,
                            qid int REFERENCES p (id) DEFERRABLE, rid int CONSTRAINT c_r REFERENCES p NOT DEFERRABLE)
            """)
        return db
    }

    @Test("the declared modes show in pg_constraint and pg_get_constraintdef")
    func catalog() throws {
        let db = try database()
        #expect(try rows(db, "SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1") == [
            ["c_pid_fkey", "t", "t", "FOREIGN KEY (pid) REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED"],
            ["c_qid_fkey", "t", "f", "FOREIGN KEY (qid) REFERENCES p(id) DEFERRABLE"],
            ["c_r", "f", "f", "FOREIGN KEY (rid) REFERENCES p(id)"],
        ])
        let error = sqlError(db, "CREATE TABLE bad (x int REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED)")
        #expect(error?.sqlState == "42601" && error?.message == "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
        #expect(error?.position == 52)  // INITIALLY, 0-based
        #expect(sqlError(db, "CREATE TABLE bad (x int REFERENCES p DEFERRABLE NOT DEFERRABLE)")?.sqlState == "42601")
        try db.execute("CREATE TABLE implied (x int REFERENCES p INITIALLY DEFERRED)")
        #expect(try rows(db, "SELECT condeferrable, condeferred FROM pg_constraint WHERE conname = 'implied_x_fkey'") == [["t", "t"]])
    }

    @Test("an initially deferred key is checked at COMMIT, which rolls back on failure")
    func checkedAtCommit() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("INSERT INTO c VALUES (1, 5, NULL, NULL)")
        #expect(try rows(session, "SELECT count(*) FROM c") == [["1"]])
        let error = sqlError(session, "COMMIT")
        #expect(error?.sqlState == "23503")
        #expect(error?.message == "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\"")
        #expect(error?.detail == "Key (pid)=(5) is not present in table \"p\".")
        #expect(session.transactionStatus == .idle)
        #expect(try rows(db, "SELECT count(*) FROM c") == [["0"]])

        // Fixed before the commit: the row's parent arrives later in the transaction.
        try session.execute("BEGIN")
        try session.execute("INSERT INTO c VALUES (1, 5, NULL, NULL)")
        try session.execute("INSERT INTO p VALUES (5)")
        try session.execute("COMMIT")
        #expect(try rows(db, "SELECT id, pid FROM c") == [["1", "5"]])
        // Outside a block the statement is its own transaction: checked when it ends.
        #expect(sqlError(db, "INSERT INTO c VALUES (9, 99)")?.sqlState == "23503")
    }

    @Test("SET CONSTRAINTS defers a DEFERRABLE key, checks pending ones when made IMMEDIATE, and refuses others")
    func setConstraints() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("SET CONSTRAINTS c_qid_fkey, public.c_pid_fkey DEFERRED")
        try session.execute("INSERT INTO c VALUES (2, NULL, 7, NULL)")
        #expect(sqlError(session, "SET CONSTRAINTS ALL IMMEDIATE")?.detail == "Key (qid)=(7) is not present in table \"p\".")
        try session.execute("ROLLBACK")

        try session.execute("BEGIN")
        try session.execute("SET CONSTRAINTS ALL DEFERRED")
        try session.execute("INSERT INTO c VALUES (2, NULL, 7, NULL)")
        try session.execute("INSERT INTO p VALUES (7)")
        try session.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try session.execute("COMMIT")

        try session.execute("BEGIN")
        let notDeferrable = sqlError(session, "SET CONSTRAINTS c_r DEFERRED")
        #expect(notDeferrable?.sqlState == "42809" && notDeferrable?.message == "constraint \"c_r\" is not deferrable")
        try session.execute("ROLLBACK")
        try session.execute("BEGIN")
        let missing = sqlError(session, "SET CONSTRAINTS nope DEFERRED")
        #expect(missing?.sqlState == "42704" && missing?.message == "constraint \"nope\" does not exist")
        try session.execute("ROLLBACK")
        // Outside a block it changes nothing (PostgreSQL warns).
        try session.execute("SET CONSTRAINTS ALL DEFERRED")
        #expect(sqlError(session, "INSERT INTO c VALUES (3, NULL, 8, NULL)")?.sqlState == "23503")
        // A setting named constraints is still a setting.
        try session.execute("SET constraints.x = 'y'")
    }

    @Test("NO ACTION's 'still referenced' waits for the commit when deferred; CASCADE and RESTRICT act at once")
    func deletesOfReferencedRows() throws {
        let db = try database()
        try db.execute("INSERT INTO p VALUES (1), (7)")
        try db.execute("INSERT INTO c VALUES (2, NULL, 7, NULL)")
        let session = db.session()
        try session.execute("BEGIN")
        // Immediate (DEFERRABLE INITIALLY IMMEDIATE): checked when the DELETE ends.
        #expect(sqlError(session, "DELETE FROM p WHERE id = 7")?.detail == "Key (id)=(7) is still referenced from table \"c\".")
        try session.execute("ROLLBACK")

        try session.execute("BEGIN")
        try session.execute("SET CONSTRAINTS ALL DEFERRED")
        try session.execute("DELETE FROM p WHERE id = 7")
        try session.execute("INSERT INTO p VALUES (7)")  // the key is back before the commit
        try session.execute("COMMIT")

        try session.execute("BEGIN")
        try session.execute("SET CONSTRAINTS ALL DEFERRED")
        try session.execute("DELETE FROM p WHERE id = 7")
        #expect(sqlError(session, "COMMIT")?.detail == "Key (id)=(7) is still referenced from table \"c\".")
        #expect(try rows(db, "SELECT id FROM p ORDER BY id") == [["1"], ["7"]])

        try db.execute("CREATE TABLE r (id int PRIMARY KEY, pid int REFERENCES p ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED)")
        try db.execute("CREATE TABLE k (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED)")
        try db.execute("INSERT INTO r VALUES (1, 1)")
        try db.execute("INSERT INTO k VALUES (1, 7)")
        try session.execute("BEGIN")
        #expect(sqlError(session, "DELETE FROM p WHERE id = 1")?.sqlState == "23503")  // RESTRICT is never deferred
        try session.execute("ROLLBACK")
        try db.execute("UPDATE c SET qid = NULL")
        try db.execute("DELETE FROM p WHERE id = 7")
        #expect(try rows(db, "SELECT count(*) FROM k") == [["0"]])  // CASCADE acted with the DELETE
    }

    @Test("a put-off check sees the rows as they are at the commit: savepoints, updates, a multi-statement message")
    func checksSeeFinalRows() throws {
        let db = try database()
        let session = db.session()
        try session.execute("BEGIN")
        try session.execute("SAVEPOINT s")
        try session.execute("INSERT INTO c VALUES (1, 5, NULL, NULL)")
        try session.execute("ROLLBACK TO SAVEPOINT s")
        try session.execute("INSERT INTO c VALUES (2, 6, NULL, NULL)")
        try session.execute("UPDATE c SET pid = NULL WHERE id = 2")
        try session.execute("COMMIT")
        #expect(try rows(db, "SELECT id, pid FROM c") == [["2", "NULL"]])
        // One message is one implicit transaction: the parent may come in a later statement.
        for statement in ["INSERT INTO c VALUES (3, 8, NULL, NULL)", "INSERT INTO p VALUES (8)"] {
            try session.beginImplicitBlock()
            try session.execute(statement)
        }
        try session.endImplicitBlock(succeeded: true)
        #expect(try rows(db, "SELECT id, pid FROM c ORDER BY id") == [["2", "NULL"], ["3", "8"]])

        // Tables and columns renamed after the check was queued: it still runs, on the new names.
        try session.execute("BEGIN")
        try session.execute("INSERT INTO c VALUES (4, 99, NULL, NULL)")
        try session.execute("ALTER TABLE c RENAME TO c2")
        try session.execute("ALTER TABLE p RENAME COLUMN id TO pk")
        #expect(sqlError(session, "COMMIT")?.detail == "Key (pid)=(99) is not present in table \"p\".")
        #expect(try rows(db, "SELECT count(*) FROM c WHERE id = 4") == [["0"]])
    }

    @Test("ROLLBACK TO SAVEPOINT undoes a later SET CONSTRAINTS and queues again the checks a later IMMEDIATE took; RELEASE keeps both")
    func savepointsRestoreChecksAndModes() throws {
        let db = try database()
        let session = db.session()
        // The SET CONSTRAINTS after the savepoint is undone: qid is checked at once again.
        try session.execute("BEGIN")
        try session.execute("SAVEPOINT s")
        try session.execute("SET CONSTRAINTS ALL DEFERRED")
        try session.execute("ROLLBACK TO SAVEPOINT s")
        let immediate = sqlError(session, "INSERT INTO c VALUES (1, NULL, 99, NULL)")
        #expect(immediate?.sqlState == "23503" && immediate?.message.contains("c_qid_fkey") == true, "\(String(describing: immediate))")
        try session.execute("ROLLBACK")
        // Released, the savepoint's SET CONSTRAINTS stays.
        try session.execute("BEGIN")
        try session.execute("SAVEPOINT s")
        try session.execute("SET CONSTRAINTS c_qid_fkey DEFERRED")
        try session.execute("RELEASE SAVEPOINT s")
        try session.execute("INSERT INTO c VALUES (1, NULL, 99, NULL)")
        try session.execute("ROLLBACK")
        // The check an IMMEDIATE after the savepoint ran (and failed) is pending again after
        // the rollback to it: COMMIT fails.
        try session.execute("BEGIN")
        try session.execute("INSERT INTO c VALUES (1, 99, NULL, NULL)")
        try session.execute("SAVEPOINT s")
        #expect(sqlError(session, "SET CONSTRAINTS ALL IMMEDIATE")?.sqlState == "23503")
        try session.execute("ROLLBACK TO SAVEPOINT s")
        let atCommit = sqlError(session, "COMMIT")
        #expect(atCommit?.sqlState == "23503" && atCommit?.message.contains("c_pid_fkey") == true, "\(String(describing: atCommit))")
        #expect(try rows(db, "SELECT count(*) FROM c") == [["0"]])
        // … and still deferred: fixed before the commit, it passes.
        try session.execute("BEGIN")
        try session.execute("INSERT INTO c VALUES (1, 99, NULL, NULL)")
        try session.execute("SAVEPOINT s")
        #expect(sqlError(session, "SET CONSTRAINTS ALL IMMEDIATE")?.sqlState == "23503")
        try session.execute("ROLLBACK TO SAVEPOINT s")
        try session.execute("INSERT INTO p VALUES (99)")
        try session.execute("COMMIT")
        #expect(try rows(db, "SELECT id, pid FROM c") == [["1", "99"]])
    }

    @Test("deferrable keys survive a reopen (catalogs written before them read as immediate)")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/deferred.vireo"
            do {
                let db = try Database.open(path: path)
                try db.execute("CREATE TABLE p (id int PRIMARY KEY)")
                try db.execute("CREATE TABLE c (id int, pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED)")
                try db.close()
            }
            let db = try Database.open(path: path)
            let session = db.session()
            try session.execute("BEGIN")
            try session.execute("INSERT INTO c VALUES (1, 1)")
            try session.execute("INSERT INTO p VALUES (1)")
            try session.execute("COMMIT")
            #expect(try rows(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'")
                == [["FOREIGN KEY (pid) REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED"]])
            try db.close()
        }
        let old = #"{"name":"k","columns":["a"],"referencedTable":"p","referencedColumns":["id"],"onDelete":"a","onUpdate":"a"}"#
        let key = try JSONDecoder().decode(ForeignKeyDefinition.self, from: Data(old.utf8))
        #expect(!key.deferrable && !key.initiallyDeferred)
    }
}
