"""Row locks over pgwire with psycopg 3: a FOR UPDATE that waits for another connection's
lock and then reads its commit, NOWAIT and lock_timeout errors, a deadlock, and a job queue
drained by threads with FOR UPDATE SKIP LOCKED (docs/transactions.md, "Row locks")."""
import threading
import time

import psycopg
import pytest

WAIT_S = 30


def connect(server):
    return psycopg.connect(server.dsn, autocommit=True)


def wait_until_blocked(thread, server_side_wait_s=0.3):
    """The waiter shows it is blocked by not finishing; give it a moment to reach the lock."""
    thread.join(timeout=server_side_wait_s)
    assert thread.is_alive(), "the second FOR UPDATE should wait for the first transaction"


def test_for_update_waits_for_the_holder_then_reads_its_commit(server):
    with connect(server) as setup:
        setup.execute("CREATE TABLE lock_acct (id int PRIMARY KEY, balance int)")
        setup.execute("INSERT INTO lock_acct VALUES (1, 100)")
    with connect(server) as first, connect(server) as second:
        first.execute("BEGIN")
        assert first.execute("SELECT balance FROM lock_acct WHERE id = 1 FOR UPDATE").fetchone() == (100,)
        seen = {}

        def waiter():
            with second.transaction():
                seen["balance"] = second.execute("SELECT balance FROM lock_acct WHERE id = %s FOR UPDATE", (1,)).fetchone()[0]
                second.execute("UPDATE lock_acct SET balance = %s WHERE id = 1", (seen["balance"] - 10,))

        thread = threading.Thread(target=waiter)
        thread.start()
        wait_until_blocked(thread)
        first.execute("UPDATE lock_acct SET balance = balance - 50 WHERE id = 1")
        first.execute("COMMIT")
        thread.join(timeout=WAIT_S)
        assert not thread.is_alive()
        assert seen["balance"] == 50, "the waiter reads the balance the holder committed"
        assert first.execute("SELECT balance FROM lock_acct WHERE id = 1").fetchone() == (40,), "no update lost"


def test_nowait_and_lock_timeout_are_55P03(server):
    with connect(server) as setup:
        setup.execute("CREATE TABLE lock_nowait (id int PRIMARY KEY)")
        setup.execute("INSERT INTO lock_nowait VALUES (1)")
    with connect(server) as holder, connect(server) as other:
        holder.execute("BEGIN")
        holder.execute("SELECT id FROM lock_nowait FOR UPDATE")
        with pytest.raises(psycopg.errors.LockNotAvailable, match='could not obtain lock on row in relation "lock_nowait"'):
            other.execute("SELECT id FROM lock_nowait WHERE id = 1 FOR UPDATE NOWAIT")
        other.execute("SET lock_timeout = '100ms'")
        started = time.monotonic()
        with pytest.raises(psycopg.errors.LockNotAvailable, match="lock timeout"):
            other.execute("UPDATE lock_nowait SET id = 2 WHERE id = 1")
        assert time.monotonic() - started < 10
        holder.execute("ROLLBACK")
        assert other.execute("SELECT id FROM lock_nowait FOR UPDATE NOWAIT").fetchall() == [(1,)]


def test_deadlock_is_40P01_for_one_side(server):
    with connect(server) as setup:
        setup.execute("CREATE TABLE lock_dead (id int PRIMARY KEY)")
        setup.execute("INSERT INTO lock_dead VALUES (1), (2)")
    with connect(server) as first, connect(server) as second:
        first.execute("BEGIN")
        first.execute("SELECT id FROM lock_dead WHERE id = 1 FOR UPDATE")
        second.execute("BEGIN")
        second.execute("SELECT id FROM lock_dead WHERE id = 2 FOR UPDATE")
        outcome = {}

        def first_waits():
            outcome["rows"] = first.execute("SELECT id FROM lock_dead WHERE id = 2 FOR UPDATE").fetchall()

        thread = threading.Thread(target=first_waits)
        thread.start()
        wait_until_blocked(thread)
        with pytest.raises(psycopg.errors.DeadlockDetected):
            second.execute("SELECT id FROM lock_dead WHERE id = 1 FOR UPDATE")
        second.execute("ROLLBACK")
        thread.join(timeout=WAIT_S)
        assert outcome["rows"] == [(2,)]
        first.execute("COMMIT")


def test_skip_locked_queue_drained_by_threads_takes_each_job_once(server):
    jobs, workers = 200, 6
    with connect(server) as setup:
        setup.execute("CREATE TABLE lock_jobs (id int PRIMARY KEY, state text, worker int)")
        setup.execute("INSERT INTO lock_jobs SELECT g, 'queued', NULL FROM generate_series(1, %s) g", (jobs,))
    taken, errors = [], []
    lock = threading.Lock()

    def work(number):
        try:
            with connect(server) as conn:
                for _ in range(jobs + 1):
                    with conn.transaction():
                        row = conn.execute("SELECT id FROM lock_jobs WHERE state = 'queued' ORDER BY id LIMIT 1 "
                                           "FOR UPDATE SKIP LOCKED").fetchone()
                        if row is None:
                            return
                        conn.execute("UPDATE lock_jobs SET state = 'done', worker = %s WHERE id = %s", (number, row[0]))
                    with lock:
                        taken.append(row[0])
        except Exception as error:  # reported below, with the worker that met it
            with lock:
                errors.append(f"worker {number}: {error!r}")

    threads = [threading.Thread(target=work, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(taken) == list(range(1, jobs + 1)), "every job taken exactly once"
    with connect(server) as check:
        assert check.execute("SELECT count(*) FROM lock_jobs WHERE state = 'done'").fetchone() == (jobs,)
        assert check.execute("SELECT count(DISTINCT worker) FROM lock_jobs").fetchone()[0] > 1, "the work was shared"


def test_queue_drain_benchmark_script_runs_and_takes_every_job_once(server):
    """Benchmarks/concurrency/queue_drain.py (the same drain, timed, beside PostgreSQL) does not rot."""
    import os
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks", "concurrency", "queue_drain.py")
    result = subprocess.run([sys.executable, script, "--dsn", server.dsn, "--jobs", "40", "--workers", "1,3"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert [row[1] for row in rows] == ["1", "3"], result.stdout
    assert all(float(row[2]) > 0 and row[3:6] == ["0", "0", "0"] for row in rows), result.stdout
