"""NOTICE and WARNING messages over pgwire, as PostgreSQL 15 sends them: psycopg's notice
handlers get severity, SQLSTATE, message and detail in both protocols; psql prints them;
client_min_messages silences them."""
import asyncio

import asyncpg
import psycopg

from conftest import API_KEY
from test_pgwire_psql import psql


def collected(connection):
    notices = []
    connection.add_notice_handler(lambda diag: notices.append(
        (diag.severity, diag.sqlstate, diag.message_primary, diag.message_detail)))
    return notices


def test_psycopg_receives_notices_in_both_protocols(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        notices = collected(conn)
        conn.execute("DROP TABLE IF EXISTS never_made")  # no parameters: the simple protocol
        conn.execute("CREATE TABLE IF NOT EXISTS noticed (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE IF NOT EXISTS noticed (id int PRIMARY KEY)")
        conn.execute("SELECT %s::int", (1,))  # the extended protocol, nothing to say
        conn.execute("CREATE TABLE child (id int, pid int REFERENCES noticed (id))")
        conn.execute("CREATE VIEW noticed_ids AS SELECT id FROM noticed")
        conn.execute("DROP TABLE noticed CASCADE", prepare=True)
        conn.execute("COMMIT")
        assert notices == [
            ("NOTICE", "00000", 'table "never_made" does not exist, skipping', None),
            ("NOTICE", "42P07", 'relation "noticed" already exists, skipping', None),
            ("NOTICE", "00000", "drop cascades to 2 other objects",
             "drop cascades to constraint child_pid_fkey on table child\ndrop cascades to view noticed_ids"),
            ("WARNING", "25P01", "there is no transaction in progress", None),
        ]
        notices.clear()
        conn.execute("SET client_min_messages = warning")
        conn.execute("DROP TABLE IF EXISTS never_made")
        conn.execute("ROLLBACK")
        assert notices == [("WARNING", "25P01", "there is no transaction in progress", None)]


def test_a_notice_before_an_error_arrives_with_it(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        notices = collected(conn)
        try:
            conn.execute("DROP TABLE IF EXISTS gone; SELECT * FROM missing_table")
        except psycopg.errors.UndefinedTable:
            pass
        else:
            raise AssertionError("the SELECT of a missing table succeeded")
        assert [n[2] for n in notices] == ['table "gone" does not exist, skipping']


def test_psql_prints_notices_and_warnings(server):
    result = psql(server, "-c", "DROP VIEW IF EXISTS nowhere_view", "-c", "BEGIN", "-c", "BEGIN", "-c", "COMMIT")
    assert result.returncode == 0, result.stderr
    assert 'NOTICE:  view "nowhere_view" does not exist, skipping' in result.stderr
    assert "WARNING:  there is already a transaction in progress" in result.stderr


def test_asyncpg_log_listener_receives_notices(server):
    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", password=API_KEY, database="vireo")
        messages = []
        conn.add_log_listener(lambda _, message: messages.append((message.severity, message.sqlstate, message.message)))
        await conn.execute("DROP SEQUENCE IF EXISTS no_such_sequence")
        await asyncio.sleep(0.05)  # listeners are called soon after, not inside, the statement
        await conn.close()
        return messages
    assert asyncio.run(run()) == [("NOTICE", "00000", 'sequence "no_such_sequence" does not exist, skipping')]
