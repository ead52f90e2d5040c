"""Load test of the jobs surface: N jobs (default 1,000) run by M real `vireo agent`
processes (default 8) against one `vireo serve`. It checks that no job is lost or run twice
(each ends once, with one assignment) and prints the poll → ack latency percentiles, read
with SQL over pgwire from the provenance table.

    VIREO_BIN=.build/release/vireo .venv/bin/python Benchmarks/jobs_load.py [--jobs 1000] [--agents 8]
"""
import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import psycopg

KEY = "load-test-key"
DEADLINE_S = 900


def start_server(binary, data_dir):
    process = subprocess.Popen([binary, "serve", "--data", data_dir, "--pg-port", "0", "--http-port", "0", "--api-key", KEY,
                                "--embedder", "hashing"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    http_port = pg_port = None
    while http_port is None or pg_port is None:
        line = process.stdout.readline()
        if not line:
            sys.exit("vireo serve exited before listening")
        if match := re.search(r"REST listening on http://[\d.]+:(\d+)", line):
            http_port = int(match.group(1))
        if match := re.search(r"pgwire listening on [\d.]+:(\d+)", line):
            pg_port = int(match.group(1))
    subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)  # keep its pipe drained
    return process, f"http://127.0.0.1:{http_port}", pg_port


def call(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"X-API-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def create(base, index):
    job_id = f"load-{index:05d}"
    call(base, "/api/jobs/create", {"jobId": job_id, "runtimeMinutesEstimate": 1})
    call(base, "/api/jobs/upload-script", {"jobId": job_id, "script": f"echo job {index}\n", "entrypoint": "run.sh"})


LATENCY_SQL = """
SELECT assigned.at AS assigned_ms, acked.at AS acked_ms
FROM vireo_job_events assigned
JOIN vireo_job_events acked ON acked.job_id = assigned.job_id AND acked.attempt = assigned.attempt AND acked.event = 'acknowledged'
WHERE assigned.event = 'assigned'
"""

CHECK_SQL = """
SELECT j.job_id, j.status, j.attempt_total,
       (SELECT count(*) FROM vireo_job_events e WHERE e.job_id = j.job_id AND e.event IN ('finished', 'failed')) AS endings
FROM vireo_jobs j
"""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=8)
    arguments = parser.parse_args()
    assert 1 <= arguments.jobs <= 100_000 and 1 <= arguments.agents <= 64
    binary = os.environ.get("VIREO_BIN", ".build/debug/vireo")
    with tempfile.TemporaryDirectory(prefix="vireo-jobs-load-") as directory:
        server, base, pg_port = start_server(binary, os.path.join(directory, "data"))
        agents = [subprocess.Popen([binary, "agent", "--server", base, "--api-key", KEY, "--work-dir", os.path.join(directory, f"a{n}"),
                                    "--node-id", f"load-agent-{n}", "--poll-wait-seconds", "5"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(arguments.agents)]
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda index: create(base, index), range(arguments.jobs)))
        created_s = time.monotonic() - started
        dsn = f"host=127.0.0.1 port={pg_port} user=vireo dbname=vireo password={KEY} sslmode=disable"
        with psycopg.connect(dsn, autocommit=True) as connection:
            while True:
                done = connection.execute("SELECT count(*) FROM vireo_jobs WHERE status IN ('finished', 'failed', 'cancelled')").fetchone()[0]
                if done == arguments.jobs or time.monotonic() - started > DEADLINE_S:
                    break
                time.sleep(0.5)
            elapsed_s = time.monotonic() - started
            rows = connection.execute(CHECK_SQL).fetchall()
            latencies = [acked - assigned for assigned, acked in connection.execute(LATENCY_SQL).fetchall()]
        for agent in agents:
            agent.send_signal(signal.SIGTERM)
        for agent in agents:
            agent.wait(timeout=60)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    lost = [row for row in rows if row[1] != "finished"]
    twice = [row for row in rows if row[2] != 1 or row[3] != 1]
    print(f"jobs {arguments.jobs}, agents {arguments.agents}: all ended in {elapsed_s:.1f} s "
          f"({arguments.jobs / elapsed_s:.0f} jobs/s; creating them took {created_s:.1f} s)")
    print(f"not finished: {len(lost)}; assigned or ended more than once: {len(twice)}")
    print(f"poll → ack latency over {len(latencies)} assignments: p50 {percentile(latencies, 0.5)} ms, "
          f"p90 {percentile(latencies, 0.9)} ms, p99 {percentile(latencies, 0.99)} ms, max {max(latencies)} ms")
    sys.exit(1 if lost or twice or len(rows) != arguments.jobs else 0)


if __name__ == "__main__":
    main()
