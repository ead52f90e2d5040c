"""psycopg 3 against a real `vireo serve`: a connection's own objects — temporary tables
and SQL-level PREPARE / EXECUTE sharing one namespace with psycopg's prepared statements."""
import time

import psycopg
import pytest


def test_temporary_tables_belong_to_their_connection_and_end_with_it(server):
    with psycopg.connect(server.dsn, autocommit=True) as other:
        other.execute("CREATE TABLE shared_name (v text)")
        other.execute("INSERT INTO shared_name VALUES ('permanent')")
        with psycopg.connect(server.dsn, autocommit=True) as owner:
            owner.execute("CREATE TEMP TABLE shared_name (v text)")
            owner.execute("INSERT INTO shared_name VALUES (%s)", ("temporary",))
            assert owner.execute("SELECT v FROM shared_name").fetchall() == [("temporary",)]
            assert other.execute("SELECT v FROM shared_name").fetchall() == [("permanent",)]
            persistence = owner.execute(
                "SELECT c.relpersistence, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = 'shared_name' ORDER BY 1").fetchall()
            assert [row[0] for row in persistence] == ["p", "t"] and persistence[1][1].startswith("pg_temp_")
            with owner.transaction():
                owner.execute("CREATE TEMP TABLE per_commit (n int) ON COMMIT DELETE ROWS")
                owner.execute("INSERT INTO per_commit SELECT generate_series(1, 3)")
                assert owner.execute("SELECT count(*) FROM per_commit").fetchone() == (3,)
            assert owner.execute("SELECT count(*) FROM per_commit").fetchone() == (0,)
            with pytest.raises(psycopg.errors.UndefinedTable):
                other.execute("SELECT * FROM per_commit")
            owner.execute("SELECT v INTO TEMP copied FROM shared_name")
            assert owner.execute("SELECT v FROM copied").fetchall() == [("temporary",)]
        # The owner disconnected: the server drops its temporary tables as the connection ends
        # (after the client has gone), so wait for that, boundedly.
        deadline = time.monotonic() + 10
        while other.execute("SELECT count(*) FROM pg_class WHERE relpersistence = 't'").fetchone() != (0,):
            assert time.monotonic() < deadline, "the temporary tables outlived their connection"
            time.sleep(0.02)


def test_prepare_execute_and_psycopg_prepared_statements_share_one_namespace(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE prepared_rows (id int PRIMARY KEY, label text)")
        conn.execute("PREPARE add_row (int, text) AS INSERT INTO prepared_rows VALUES ($1, $2)")
        cursor = conn.execute("EXECUTE add_row (1, 'one')")
        assert cursor.statusmessage == "INSERT 0 1"
        conn.execute("EXECUTE add_row (%s, %s)", (2, "two"))
        conn.execute("PREPARE by_id AS SELECT label FROM prepared_rows WHERE id = $1")
        assert conn.execute("EXECUTE by_id (2)").fetchall() == [("two",)]
        # psycopg prepares a statement it runs often (prepare_threshold) under a name _pg3_…
        for _ in range(6):
            conn.execute("SELECT count(*) FROM prepared_rows WHERE id > %s", (0,))
        names = conn.execute("SELECT name, from_sql FROM pg_prepared_statements ORDER BY from_sql, name").fetchall()
        assert ("add_row", True) in names and ("by_id", True) in names
        assert any(not from_sql and name.startswith("_pg3_") for name, from_sql in names), names
        with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
            conn.execute("PREPARE by_id AS SELECT 1")
        with pytest.raises(psycopg.errors.SyntaxError) as raised:
            conn.execute("EXECUTE by_id (1, 2)")
        assert raised.value.diag.message_detail == "Expected 1 parameters but got 2."
        conn.execute("DEALLOCATE by_id")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("EXECUTE by_id (1)")
