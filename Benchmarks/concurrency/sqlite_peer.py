"""SQLite as the peer of `vireo bench concurrency`: the same three workloads from N
threads, each with its own connection, WAL mode, synchronous=FULL (an fsync per commit)
and a busy timeout. Prints the same tab-separated lines (fsyncs per commit is SQLite's
design figure, 1, not a measurement)."""
import random
import sqlite3
import sys
import threading
import time

path, sessions_list, workloads, seconds, accounts = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])


def connect():
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


setup = connect()
setup.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL, note TEXT)")
setup.execute("CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, account INTEGER, delta INTEGER)")
setup.execute("BEGIN")
setup.executemany("INSERT INTO accounts VALUES (?, 1000, ?)", ((i, f"account {i}") for i in range(1, accounts + 1)))
setup.execute("COMMIT")


def one(connection, workload, rng):
    pick = lambda: rng.randint(1, accounts)
    connection.execute("BEGIN IMMEDIATE")
    if workload == "insert":
        connection.execute("INSERT INTO history (account, delta) VALUES (?, 1)", (pick(),))
    elif workload == "update10":
        ids = [pick() for _ in range(10)]
        connection.execute(f"UPDATE accounts SET balance = balance + 1 WHERE id IN ({','.join('?' * 10)})", ids)
    else:
        source, target, amount = pick(), pick(), rng.randint(1, 100)
        connection.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amount, source))
        connection.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, target))
        connection.execute("INSERT INTO history (account, delta) VALUES (?, ?)", (source, -amount))
    connection.execute("COMMIT")


def run(workload, sessions):
    deadline = time.monotonic() + seconds
    latencies, failures, lock = [], [0], threading.Lock()

    def worker(seed):
        connection, rng, mine = connect(), random.Random(seed), []
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                one(connection, workload, rng)
                mine.append((time.monotonic() - began) * 1000)
            except sqlite3.OperationalError:
                failures[0] += 1
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
        with lock:
            latencies.extend(mine)

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    latencies.sort()
    pct = lambda f: latencies[min(len(latencies) - 1, int(len(latencies) * f))] if latencies else 0
    print(f"{workload}\t{sessions}\t{len(latencies) / elapsed:.0f}\t{pct(0.5):.2f}\t{pct(0.99):.2f}\t1.00\t{failures[0]}", flush=True)


for workload in workloads.split(","):
    for sessions in map(int, sessions_list.split(",")):
        run(workload, sessions)
