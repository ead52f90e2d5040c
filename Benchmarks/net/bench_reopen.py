#!/usr/bin/env python3
"""How a database with a large HNSW index reopens: `vireo serve` (release build) loads N
vectors (binary COPY), builds the index, stops (SIGTERM: checkpoint), starts again, and the
first searches are timed from the moment the new server listens.

A restarted server loads its indexes on a background thread (`Database.loadVectorIndexes`);
a search that arrives first waits for the load. So the figures are: the seconds from the
restart until pgwire listens, the first search's latency sent at once (it pays whatever of
the index load is left), the next searches' median, the server's resident memory after the
first search and its peak (VmHWM), and the database directory's size.

usage: bench_reopen.py --vireo PATH/TO/vireo [--count 1000000] [--dim 384] [--m 16] [--ef-construction 64]
"""
import argparse
import os
import shutil
import signal
import statistics
import tempfile
import time

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from netbench import minilm_like, start_vireo

QUERY = "SELECT id FROM items ORDER BY embedding <=> %s LIMIT 10"
STOP_SECONDS_MAX = 600


def connect(port):
    connection = psycopg.connect(f"host=127.0.0.1 port={port} user=bench dbname=vireo", autocommit=True)
    register_vector(connection)
    return connection


def load(port, count, dim, m, ef_construction, seed):
    """Binary COPY of `count` vectors in chunks (never all in memory), then CREATE INDEX;
    returns the seconds of each."""
    with connect(port) as connection:
        connection.execute(f"CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({dim}))")
        start = time.perf_counter()
        chunk = 50_000
        with connection.cursor().copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for first in range(0, count, chunk):
                vectors = minilm_like(min(chunk, count - first), dim, seed + first)
                for i, vector in enumerate(vectors):
                    copy.write_row((first + i + 1, vector))
                print(f"  loaded {min(first + chunk, count):,} rows ({time.perf_counter() - start:.0f} s)", flush=True)
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        connection.execute(f"CREATE INDEX items_embedding ON items USING hnsw (embedding vector_cosine_ops) "
                           f"WITH (m = {m}, ef_construction = {ef_construction})")
        return load_seconds, time.perf_counter() - start


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def stop(process):
    start = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=STOP_SECONDS_MAX)
    return time.perf_counter() - start


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vireo", required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", default=None, help="Folder for the data directory (default: a temporary one, removed after).")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="vireo-reopen-")
    queries = minilm_like(args.queries + 1, args.dim, seed=999_999_999)
    try:
        process, port, _ = start_vireo(args.vireo, work)
        print(f"loading {args.count:,} x {args.dim} vectors", flush=True)
        load_seconds, build_seconds = load(port, args.count, args.dim, args.m, args.ef_construction, seed=1)
        built_rss = memory_kib(process.pid, "VmRSS")
        build_peak = memory_kib(process.pid, "VmHWM")
        stop_seconds = stop(process)
        data_bytes = directory_bytes(os.path.join(work, "vireo"))

        restart = time.perf_counter()
        process, port, _ = start_vireo(args.vireo, work)
        listening = time.perf_counter() - restart
        with connect(port) as connection:
            start = time.perf_counter()
            connection.execute(QUERY, (queries[0],)).fetchall()
            first = time.perf_counter() - start
            since_restart = time.perf_counter() - restart
            latencies = []
            for vector in queries[1:]:
                start = time.perf_counter()
                connection.execute(QUERY, (vector,)).fetchall()
                latencies.append(time.perf_counter() - start)
        reopened_rss = memory_kib(process.pid, "VmRSS")
        reopened_peak = memory_kib(process.pid, "VmHWM")
        stop(process)

        print()
        print("| vectors | COPY s | CREATE INDEX s | stop (checkpoint) s | data directory MiB | server RSS after build / peak MiB |")
        print("|---:|---:|---:|---:|---:|---:|")
        print(f"| {args.count:,} | {load_seconds:.1f} | {build_seconds:.1f} | {stop_seconds:.1f} | {data_bytes / 2**20:,.0f} | "
              f"{built_rss / 1024:,.0f} / {build_peak / 1024:,.0f} |")
        print()
        print("| restart to listening s | first search ms (sent at once) | restart to first answer s | next searches p50 / p99 ms | server RSS after reopen / peak MiB |")
        print("|---:|---:|---:|---|---:|")
        ordered = sorted(latencies)
        print(f"| {listening:.2f} | {first * 1000:.0f} | {since_restart:.2f} | {statistics.median(ordered) * 1000:.2f} / "
              f"{ordered[int(len(ordered) * 0.99) - 1] * 1000:.2f} | {reopened_rss / 1024:,.0f} / {reopened_peak / 1024:,.0f} |")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
