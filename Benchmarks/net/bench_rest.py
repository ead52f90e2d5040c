#!/usr/bin/env python3
"""REST throughput and latency of `vireo serve` (release build): row inserts (single rows
and batches) and similarity search over a table with a vector column and an HNSW index,
at 1, 8 and 64 clients.

The load generator is ours and needs only the standard library (and numpy for the
vectors): asyncio connections speaking HTTP/1.1 with keep-alive, one request in flight per
connection (a closed loop), spread over a few processes so that the client side is not one
Python thread. Every run is bounded by time and by a request count. Latency percentiles
are over every request of a run; a run fails if any answer is not the expected status.

usage: bench_rest.py --vireo PATH/TO/vireo [--rows 20000] [--dim 384] [--clients 1,8,64] [--seconds 5]
Prints a markdown table.
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import shutil
import tempfile
import time
import urllib.request

import numpy as np

from netbench import minilm_like, start_vireo

API_KEY = "bench-rest-key"
TABLE = "items"
BODY_POOL_SIZE = 64
RESPONSE_HEAD_BYTES_MAX = 16384


def request_bytes(method, path, body):
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
    return head + payload


def row(v, n):
    return {"title": f"row {n}", "embedding": [round(float(x), 5) for x in v]}


# --- the load generator --------------------------------------------------------------

async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > RESPONSE_HEAD_BYTES_MAX:
        raise RuntimeError("response head too large")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    body = b""
    while True:  # chunks until the empty one; each at most the reader's limit
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        body += await reader.readexactly(size + 2)
        if size == 0:
            return status, body


async def connection_loop(port, requests, expect, deadline, count_max, latencies, offset):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    i = 0
    try:
        while i < count_max and time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests[(offset + i) % len(requests)])
            status, body = await read_response(reader)
            latencies.append(time.perf_counter() - start)
            if status != expect:
                raise RuntimeError(f"expected {expect}, got {status}: {body[:300]!r}")
            i += 1
    finally:
        writer.close()


async def process_main(port, requests, expect, connections, seconds, count_max, first):
    latencies = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(connection_loop(port, requests, expect, deadline, count_max, latencies, first + n * 7)
                           for n in range(connections)))
    return latencies


def worker(port, requests, expect, connections, seconds, count_max, first, barrier, results):
    barrier.wait()
    try:
        results.put(asyncio.run(process_main(port, requests, expect, connections, seconds, count_max, first)))
    except Exception as error:  # reported by the parent, which fails the run
        results.put(error)


def run_load(port, requests, expect, clients, seconds, count_max, processes_max):
    """`clients` connections over min(clients, processes_max) processes; each connection
    stops after `seconds` or `count_max` requests. Returns requests/s, p50, p90, p99 ms."""
    processes = min(clients, processes_max)
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    barrier, results = mp.Barrier(processes + 1), mp.Queue()
    workers = [mp.Process(target=worker, args=(port, requests, expect, share, seconds, count_max, n * 1009, barrier, results))
               for n, share in enumerate(shares)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    outcomes = [results.get(timeout=seconds + 120) for _ in workers]
    elapsed = time.perf_counter() - start
    for w in workers:
        w.join()
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise SystemExit(f"load run failed: {outcome}")
    ms = np.array([x for outcome in outcomes for x in outcome]) * 1000
    return (len(ms) / elapsed, *np.percentile(ms, [50, 90, 99]))


# --- the server and the table --------------------------------------------------------

def call(port, method, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode(),
                                     headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as answer:
        return json.load(answer)


def create_and_fill(port, base, batch):
    call(port, "POST", "/api/v1/tables", {"name": TABLE, "columns": {"title": "string", "embedding": f"vector({base.shape[1]})"},
                                         "vector_indexes": {"embedding": "cosine"}})
    start = time.perf_counter()
    for first in range(0, len(base), batch):
        call(port, "POST", f"/api/v1/tables/{TABLE}/rows",
             {"rows": [row(v, first + i) for i, v in enumerate(base[first:first + batch])]})
    return time.perf_counter() - start


def workloads(args):
    dim = args.dim
    fresh = minilm_like(BODY_POOL_SIZE * args.batch, dim, seed=3)
    queries = minilm_like(max(BODY_POOL_SIZE, 256), dim, seed=2)
    rows_path = f"/api/v1/tables/{TABLE}/rows"
    return [
        ("search k=10", 1, 200, [request_bytes("POST", f"/api/v1/tables/{TABLE}/search",
                                               {"vector": [round(float(x), 5) for x in q], "k": 10, "metric": "cosine"})
                                 for q in queries]),
        ("insert 1 row", 1, 201, [request_bytes("POST", rows_path, {"rows": [row(v, n)]}) for n, v in enumerate(fresh[:BODY_POOL_SIZE])]),
        (f"insert {args.batch} rows", args.batch, 201,
         [request_bytes("POST", rows_path, {"rows": [row(v, n * args.batch + i) for i, v in enumerate(fresh[n * args.batch:(n + 1) * args.batch])]})
          for n in range(BODY_POOL_SIZE)]),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vireo", required=True, help="the vireo binary (release build)")
    parser.add_argument("--rows", type=int, default=20000, help="rows loaded before the runs")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--batch", type=int, default=100, help="rows per request of the batch insert")
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--requests-per-client-max", type=int, default=100000)
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="vireo-bench-rest-")
    server = None
    try:
        server, _, port = start_vireo(args.vireo, work, {"VIREO_API_KEYS": API_KEY})
        fill_seconds = create_and_fill(port, minilm_like(args.rows, args.dim, seed=1), batch=args.batch)
        print(f"{args.rows} rows of {args.dim}-d MiniLM-like vectors with an HNSW cosine index (m=16, ef_construction=64) "
              f"loaded over REST in {fill_seconds:.1f} s ({args.rows / fill_seconds:.0f} rows/s, batches of {args.batch}, 1 client)\n")
        print("| workload | clients | requests/s | rows/s | p50 ms | p90 ms | p99 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, rows_per_request, expect, requests in workloads(args):
            for clients in [int(c) for c in args.clients.split(",")]:
                rate, p50, p90, p99 = run_load(port, requests, expect, clients, args.seconds,
                                               args.requests_per_client_max, args.processes)
                rows_rate = f"{rate * rows_per_request:.0f}" if expect == 201 else "-"
                print(f"| {name} | {clients} | {rate:.0f} | {rows_rate} | {p50:.2f} | {p90:.2f} | {p99:.2f} |", flush=True)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
