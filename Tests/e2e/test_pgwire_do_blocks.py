"""DO blocks (PL/pgSQL) over pgwire: psycopg in both protocols, psql running a migration
script twice, asyncpg's prepared path; the block's own queries never reach the client as
rows, its RAISEs arrive as notices and its errors with their SQLSTATEs."""
import asyncio

import asyncpg
import psycopg
import pytest

from conftest import API_KEY
from test_pgwire_notices import collected
from test_pgwire_psql import psql

FILL = """
DO $$
DECLARE
    i int;
    r record;
BEGIN
    FOR i IN 1..20 LOOP
        INSERT INTO do_items VALUES (i, 'item ' || i);
    END LOOP;
    FOR r IN SELECT id, label FROM do_items WHERE id > 18 ORDER BY id LOOP
        RAISE NOTICE 'made % (%)', r.id, r.label;
    END LOOP;
END $$
"""


def test_psycopg_runs_a_block_in_both_protocols(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        notices = collected(conn)
        conn.execute("CREATE TABLE do_items (id int PRIMARY KEY, label text)")
        conn.execute(FILL)
        assert [n[2] for n in notices] == ["made 19 (item 19)", "made 20 (item 20)"]
        assert conn.execute("SELECT count(*) FROM do_items").fetchone() == (20,)
        # The extended protocol (prepare=True): the block's SELECT stays inside it.
        conn.execute("DO $$ BEGIN PERFORM * FROM do_items; UPDATE do_items SET label = 'x' WHERE id = 1; END $$", prepare=True)
        assert conn.execute("SELECT label FROM do_items WHERE id = 1").fetchone() == ("x",)
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("DO $$ BEGIN INSERT INTO do_items VALUES (100, 'new'); INSERT INTO do_items VALUES (1, 'dup'); END $$")
        assert conn.execute("SELECT count(*) FROM do_items WHERE id = 100").fetchone() == (0,), "the failed block left nothing"
        with pytest.raises(psycopg.errors.RaiseException) as raised:
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'stop at %', 3 USING HINT = 'h'; END $$")
        assert raised.value.diag.message_primary == "stop at 3"
        assert raised.value.diag.message_hint == "h"


def test_psql_runs_an_idempotent_migration_twice(server, tmp_path):
    script = tmp_path / "migrate.sql"
    script.write_text("""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'do_mood') THEN
        CREATE TYPE do_mood AS ENUM ('sad', 'ok');
    END IF;
END $$;
DO $$ BEGIN
    CREATE TABLE do_log (id int);
EXCEPTION WHEN duplicate_table THEN RAISE NOTICE 'do_log is there';
END $$;
""")
    first = psql(server, "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert first.returncode == 0, first.stderr
    second = psql(server, "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert second.returncode == 0, second.stderr
    assert "NOTICE:  do_log is there" in second.stderr
    assert second.stdout.count("DO") == 2


def test_asyncpg_executes_a_block(server):
    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", password=API_KEY, database="vireo")
        await conn.execute("CREATE TABLE do_async (n int)")
        await conn.execute("DO $$ DECLARE i int; BEGIN FOR i IN 1..3 LOOP INSERT INTO do_async VALUES (i * i); END LOOP; END $$")
        total = await conn.fetchval("SELECT sum(n) FROM do_async")
        await conn.close()
        return total
    assert asyncio.run(run()) == 14
