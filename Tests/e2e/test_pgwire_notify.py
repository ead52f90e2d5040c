"""LISTEN/NOTIFY and pg_stat_activity against a real `vireo serve`, as drivers and
monitoring tools use them: psycopg's `notifies()` on an idle listening connection,
asyncpg's `add_listener`, psql's LISTEN; pg_stat_activity's view of another connection."""
import asyncio
import os
import subprocess
import threading
import time

import asyncpg
import psycopg

from conftest import API_KEY


def test_psycopg_idle_listener_receives_committed_notifications(server):
    with psycopg.connect(server.dsn, autocommit=True) as listener, psycopg.connect(server.dsn, autocommit=True) as sender:
        listener.execute("LISTEN jobs")
        pid = sender.info.backend_pid
        sender.execute("NOTIFY jobs, 'first'")
        with sender.transaction():
            sender.execute("SELECT pg_notify('jobs', 'twice')")
            sender.execute("NOTIFY jobs, 'twice'")
            sender.execute("NOTIFY jobs, 'second'")
        with sender.transaction():
            sender.execute("NOTIFY jobs, 'rolled back'")
            raise psycopg.Rollback()
        sender.execute("NOTIFY Jobs, 'folded channel name'")
        sender.execute("NOTIFY other, 'not listened to'")
        sender.execute("NOTIFY jobs, 'last'")
        # The listener sends nothing: the server writes each notification to the idle connection.
        received = [(n.channel, n.payload, n.pid) for n in listener.notifies(timeout=30, stop_after=5)]
        assert received == [("jobs", "first", pid), ("jobs", "twice", pid), ("jobs", "second", pid),
                            ("jobs", "folded channel name", pid), ("jobs", "last", pid)]
        assert listener.execute("SELECT pg_listening_channels()").fetchall() == [("jobs",)]


def test_psycopg_listener_in_a_transaction_block_gets_them_at_its_end(server):
    with psycopg.connect(server.dsn, autocommit=True) as listener, psycopg.connect(server.dsn, autocommit=True) as sender:
        received = []
        listener.add_notify_handler(lambda notification: received.append(notification.payload))
        listener.execute("LISTEN blocked")
        with listener.transaction():
            listener.execute("SELECT 1")
            sender.execute("NOTIFY blocked, 'during the block'")
            listener.execute("SELECT 1")
            assert received == [], "PostgreSQL holds notifications until the listener's transaction ends"
        assert received == ["during the block"], "delivered with the COMMIT's answer"
        listener.execute("UNLISTEN *")
        sender.execute("NOTIFY blocked, 'after unlisten'")
        listener.execute("SELECT 1")
        assert received == ["during the block"]


def test_notify_errors_carry_postgresql_sqlstates(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        for sql, parameters in [("SELECT pg_notify('c', %s)", ("x" * 8000,)), ("SELECT pg_notify('', 'x')", None)]:
            try:
                conn.execute(sql, parameters)
                raise AssertionError(f"{sql} was accepted")
            except psycopg.Error as error:
                assert error.sqlstate == "22023", error
        assert conn.execute("SELECT pg_notify('c', %s)", ("x" * 7999,)).fetchone() == (None,)


def test_asyncpg_add_listener(server):
    async def connect():
        return await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", database="vireo", password=API_KEY, ssl=False)

    async def scenario():
        listener, sender = await connect(), await connect()
        try:
            got = asyncio.Queue()

            def callback(_, pid, channel, payload):
                got.put_nowait((pid, channel, payload))

            await listener.add_listener("Apg Channel", callback)
            assert await listener.fetchval("SELECT count(*) FROM pg_listening_channels()") == 1
            await sender.execute("NOTIFY \"Apg Channel\", 'hello'")
            await sender.execute("SELECT pg_notify($1, $2)", "Apg Channel", "with parameters")
            pid = sender.get_server_pid()
            assert await asyncio.wait_for(got.get(), 30) == (pid, "Apg Channel", "hello")
            assert await asyncio.wait_for(got.get(), 30) == (pid, "Apg Channel", "with parameters")
            await listener.remove_listener("Apg Channel", callback)
            assert await listener.fetchval("SELECT count(*) FROM pg_listening_channels()") == 0
        finally:
            await listener.close()
            await sender.close()

    asyncio.run(scenario())


def test_psql_listen_prints_the_notification(server):
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-v", "ON_ERROR_STOP=1"],
        input="LISTEN psql_channel;\nNOTIFY psql_channel, 'from psql';\nSELECT pg_backend_pid();\n",
        capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    pid = result.stdout.split("pg_backend_pid")[1].split()[1]
    assert (f'Asynchronous notification "psql_channel" with payload "from psql" received from server process with PID {pid}.'
            in result.stdout), result.stdout


def test_pg_stat_activity_shows_a_running_statement_whose_pid_cancels_it(server):
    with psycopg.connect(server.dsn, autocommit=True) as admin, \
            psycopg.connect(server.dsn + " application_name=sleeper", autocommit=True) as busy:
        outcome = {}

        def sleep():
            try:
                busy.execute("SELECT pg_sleep(60)")
            except psycopg.Error as error:
                outcome["sqlstate"] = error.sqlstate

        idle_row = admin.execute("SELECT state, application_name, usename, client_addr, backend_type FROM pg_stat_activity "
                                 "WHERE pid = %s", (busy.info.backend_pid,)).fetchone()
        assert idle_row == ("idle", "sleeper", "vireo", "127.0.0.1", "client backend")
        sleeper = threading.Thread(target=sleep)
        sleeper.start()
        deadline = time.monotonic() + 60
        row = None
        while time.monotonic() < deadline:
            row = admin.execute("SELECT pid, state, query, query_start IS NOT NULL, xact_start IS NOT NULL FROM pg_stat_activity "
                                "WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'").fetchone()
            if row:
                break
            time.sleep(0.02)
        assert row == (busy.info.backend_pid, "active", "SELECT pg_sleep(60)", True, True)
        mine = admin.execute("SELECT state, query FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchone()
        assert mine == ("active", "SELECT state, query FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        assert admin.execute("SELECT pg_cancel_backend(%s)", (row[0],)).fetchone() == (True,)
        sleeper.join(timeout=60)
        assert outcome == {"sqlstate": "57014"}
        with busy.transaction():
            busy.execute("SELECT 1")
            state = admin.execute("SELECT state, xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = %s",
                                  (busy.info.backend_pid,)).fetchone()
            assert state == ("idle in transaction", True)
