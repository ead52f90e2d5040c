"""Shutdown by signal: the first SIGTERM or SIGINT finishes in-flight work (bounded by the
grace period); a second one, of either kind, exits at once with status 130, and the next
server opens the same data directory with every commit (the WAL keeps them)."""
import signal
import tempfile
import threading
import time

import psycopg
import pytest

from conftest import Server


@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGINT), (signal.SIGINT, signal.SIGTERM),
                                           (signal.SIGTERM, signal.SIGTERM)])
def test_a_second_signal_of_either_kind_exits_at_once(first, second):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-signals-") as data_dir:
        server = Server(data_dir)
        with psycopg.connect(server.dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (id int PRIMARY KEY)")
            connection.execute("INSERT INTO kept VALUES (1), (2)")
        # A statement in flight keeps the first signal's graceful shutdown waiting.
        sleeper = threading.Thread(target=sleep_on, args=(server.dsn,), daemon=True)
        sleeper.start()
        time.sleep(0.5)
        server.process.send_signal(first)
        time.sleep(0.5)
        assert server.process.poll() is None, "the first signal must wait for the statement in flight"
        sent = time.monotonic()
        server.process.send_signal(second)
        server.process.wait(timeout=5)
        assert time.monotonic() - sent < 3, "the second signal did not exit at once"
        assert server.process.returncode == 130, "".join(server.output)

        again = Server(data_dir)
        try:
            with psycopg.connect(again.dsn, autocommit=True) as connection:
                assert connection.execute("SELECT count(*) FROM kept").fetchone() == (2,)
        finally:
            code, output = again.stop()
            assert code == 0, output


def sleep_on(dsn):
    try:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("SELECT pg_sleep(20)")
    except psycopg.Error:
        pass  # the server went away under it
