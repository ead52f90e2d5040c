"""SIGKILL of `vireo serve` while clients run MERGE statements over psycopg.

Each MERGE touches every row of a 300-row table in one statement: the first inserts them, the
later ones update a row when its key is there and insert it when not, and delete every tenth
row by a clause of its own, so one MERGE takes all three paths of the shared write path. Every
MERGE writes its own number into each row it keeps. After the kill a new server on the same
data directory must show one MERGE's whole effect on every row (the rows agree on the number,
their balances are what that many MERGEs give) and at least every MERGE the server
acknowledged: never half of one, never less than what a client was told was committed."""
import os
import random
import signal
import tempfile
import threading
import time

import psycopg

from conftest import Server

ROWS = 300
KILLS = 10


def merge(number):
    """The `number`th MERGE: upsert ids 1..ROWS, each row's balance +1; every tenth row whose
    balance reached a multiple of 5 is deleted, and is inserted afresh by a later MERGE."""
    return f"""
        MERGE INTO accounts a
        USING (SELECT g AS id FROM generate_series(1, {ROWS}) g) s ON a.id = s.id
        WHEN MATCHED AND a.id % 10 = 0 AND (a.balance + 1) % 5 = 0 THEN DELETE
        WHEN MATCHED THEN UPDATE SET balance = a.balance + 1, merge_number = {number}
        WHEN NOT MATCHED THEN INSERT (id, balance, merge_number) VALUES (s.id, 1, {number})"""


def run_merges(dsn, first, acknowledged, stop):
    """Runs MERGE first, first + 1, … until the connection dies; records each acknowledged one."""
    try:
        with psycopg.connect(dsn, autocommit=True) as connection:
            number = first
            while not stop.is_set():
                connection.execute(merge(number))
                acknowledged.append(number)
                number += 1
    except psycopg.Error:
        pass


def expected_rows(merges):
    """The table after `merges` MERGEs (numbered from 1), as id → (balance, merge_number)."""
    rows = {}
    for number in range(1, merges + 1):
        for row_id in range(1, ROWS + 1):
            if row_id not in rows:
                rows[row_id] = (1, number)
            elif row_id % 10 == 0 and (rows[row_id][0] + 1) % 5 == 0:
                del rows[row_id]
            else:
                rows[row_id] = (rows[row_id][0] + 1, number)
    return rows


def test_sigkill_during_merge():
    rng = random.Random(int(os.environ.get("VIREO_CRASH_SEED", "0")) or random.randrange(1 << 30))
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-merge-crash-") as data_dir:
        server = Server(data_dir)
        with psycopg.connect(server.dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, merge_number int NOT NULL)")
        applied, outcomes = 0, []
        for kill in range(KILLS):
            acknowledged, stop = [], threading.Event()
            writer = threading.Thread(target=run_merges, args=(server.dsn, applied + 1, acknowledged, stop))
            writer.start()
            # Let a few MERGEs commit, then kill in the middle of the next ones.
            deadline = time.monotonic() + 60
            while len(acknowledged) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.5))
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=30)
            stop.set()
            writer.join(timeout=60)
            assert acknowledged, f"kill {kill}: no MERGE was acknowledged before the kill"

            server = Server(data_dir)
            with psycopg.connect(server.dsn, autocommit=True) as connection:
                rows = {row_id: (balance, number) for row_id, balance, number in
                        connection.execute("SELECT id, balance, merge_number FROM accounts")}
            numbers = {number for _, number in rows.values()}
            assert len(numbers) == 1, f"kill {kill}: rows from several MERGEs, a MERGE was torn: {sorted(numbers)}"
            applied = numbers.pop()
            assert applied >= acknowledged[-1], f"kill {kill}: MERGE {acknowledged[-1]} was acknowledged, the table holds {applied}"
            assert applied <= acknowledged[-1] + 1, f"kill {kill}: the table holds MERGE {applied}, never sent"
            assert rows == expected_rows(applied), f"kill {kill}: the rows are not those of {applied} whole MERGEs"
            outcomes.append((acknowledged[-1], applied))
        code, output = server.stop()
        assert code == 0, output
        print("kills (last acknowledged MERGE, MERGEs in the table):", outcomes)
