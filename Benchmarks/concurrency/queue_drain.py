"""A job queue drained by worker threads over pgwire, on Vireo and on PostgreSQL 15: each
worker repeats BEGIN; SELECT id … ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED; UPDATE that
row; COMMIT until no job is left. Prints jobs per second, how many jobs were taken twice
or never (both must be 0), and errors, one line per server and worker count.

    python queue_drain.py --dsn "host=127.0.0.1 port=5433 …" [--dsn …] [--jobs 5000] [--workers 1,4,16]
"""
import argparse
import threading
import time

import psycopg


def drain(dsn, jobs, workers):
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS bench_queue")
        setup.execute("CREATE TABLE bench_queue (id int PRIMARY KEY, state text NOT NULL, worker int)")
        setup.execute("INSERT INTO bench_queue SELECT g, 'queued', NULL FROM generate_series(1, %s) g", (jobs,))
    taken, errors, lock = [], [], threading.Lock()
    connections = [psycopg.connect(dsn, autocommit=True) for _ in range(workers)]

    def work(number, conn):
        mine = []
        try:
            for _ in range(jobs + 1):  # bounded: one more round than there are jobs
                with conn.transaction():
                    row = conn.execute("SELECT id FROM bench_queue WHERE state = 'queued' ORDER BY id LIMIT 1 "
                                       "FOR UPDATE SKIP LOCKED").fetchone()
                    if row is None:
                        break
                    conn.execute("UPDATE bench_queue SET state = 'done', worker = %s WHERE id = %s", (number, row[0]))
                mine.append(row[0])
        except Exception as error:  # counted and printed: a benchmark reports, it does not stop
            with lock:
                errors.append(repr(error))
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=work, args=(number, conn)) for number, conn in enumerate(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for conn in connections:
        conn.close()
    twice = len(taken) - len(set(taken))
    never = jobs - len(set(taken))
    return len(taken) / elapsed, twice, never, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", action="append", required=True, help="libpq connection string; repeat for several servers")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", default="1,4,16")
    arguments = parser.parse_args()
    print("server\tworkers\tjobs/s\ttaken twice\tnever taken\terrors")
    for dsn in arguments.dsn:
        with psycopg.connect(dsn) as probe:
            name = probe.execute("SELECT version()").fetchone()[0].split(" on ")[0]
        for workers in (int(value) for value in arguments.workers.split(",")):
            rate, twice, never, errors = drain(dsn, arguments.jobs, workers)
            print(f"{name[:24]}\t{workers}\t{rate:.0f}\t{twice}\t{never}\t{len(errors)}" + (f"\t{errors[0]}" if errors else ""))


if __name__ == "__main__":
    main()
