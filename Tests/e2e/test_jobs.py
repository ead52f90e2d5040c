"""Seed 003's job queue over REST, without agents: shapes and errors, exactly-once polls under
many concurrent pollers, node tokens, leases, long polls, logs, restart, cancel and delete."""
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time

import psycopg
import pytest

from conftest import API_KEY, Server, vireo_binary
from jobs_support import LEASE_SECONDS, api, create_job, jobs_server, ok, register, wait_for  # noqa: F401 (fixture)


def test_create_answers_the_job_and_refuses_a_duplicate_id(jobs_server):
    base = jobs_server.base_url
    job = ok(base, "POST", "/api/jobs/create", {"jobId": "dup-1", "datasetName": "MNIST", "datasetUrl": "https://example.com/mnist",
                                                "runtimeMinutesEstimate": 30, "meta": {"description": "d"}})
    assert job["jobId"] == "dup-1" and job["status"] == "pending" and job["meta"] == {"description": "d"}
    assert job["attempts"] == 0 and job["maxAttempts"] == 3 and isinstance(job["createdAt"], int)
    status, answer = api(base, "POST", "/api/jobs/create", {"jobId": "dup-1"})
    assert status == 400 and "already exists" in answer["detail"], answer
    generated = ok(base, "POST", "/api/jobs/create", {"datasetName": "x"})
    assert generated["jobId"].startswith("job-")


def test_errors_answer_detail_with_the_seed_statuses(jobs_server):
    base = jobs_server.base_url
    status, answer = api(base, "POST", "/api/jobs/upload-script", {"jobId": "nope", "script": "print(1)"})
    assert (status, answer) == (404, {"detail": "Job nope not found"})
    status, answer = api(base, "POST", "/api/jobs/create", {"jobId": "bad id!"})
    assert status == 422 and answer["detail"].startswith("jobId:"), answer
    ok(base, "POST", "/api/jobs/create", {"jobId": "err-1"})
    status, answer = api(base, "POST", "/api/jobs/upload-script", {"jobId": "err-1", "script": "x", "entrypoint": "../evil.py"})
    assert status == 422 and "entrypoint" in answer["detail"], answer
    status, answer = api(base, "POST", "/api/jobs/upload-script", {"jobId": "err-1", "script": "#" * (1 << 20 + 1)})
    assert status == 413 and "limit" in answer["detail"], answer
    status, answer = api(base, "GET", "/api/frontend/jobs", params={"status": "bogus"})
    assert status == 422 and set(answer) == {"detail"}
    status, answer = api(base, "GET", "/api/frontend/jobs/missing")
    assert status == 404 and answer == {"detail": "Job missing not found"}


def test_agent_routes_need_a_node_token_and_registration_needs_the_key(jobs_server):
    base = jobs_server.base_url
    assert api(base, "GET", "/api/jobs/poll")[0] == 401
    assert api(base, "GET", "/api/jobs/poll", token="not-a-token")[0] == 401
    status, answer = api(base, "POST", "/api/nodes/register", {"specs": {}}, key=None)
    assert status == 401 and "detail" in answer


def drain_pending(base, token):
    while ok(base, "GET", "/api/jobs/poll", token=token)["job"]:
        pass


def test_concurrent_polls_hand_each_job_to_exactly_one_node(jobs_server):
    base = jobs_server.base_url
    nodes = [register(base, f"race-{index}") for index in range(12)]
    drain_pending(base, nodes[0][1])
    job_ids = [f"race-job-{index}" for index in range(60)]
    for job_id in job_ids:
        create_job(base, job_id, "print(1)")

    def poll_until_empty(token):
        taken = []
        while True:
            job = ok(base, "GET", "/api/jobs/poll", token=token)["job"]
            if job is None:
                return taken
            taken.append(job["jobId"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=36) as pool:
        results = list(pool.map(poll_until_empty, [token for _, token in nodes] * 3))
    taken = [job_id for result in results for job_id in result]
    assert sorted(taken) == sorted(job_ids), f"{len(taken)} assignments for {len(job_ids)} jobs"
    listed = ok(base, "GET", "/api/frontend/jobs", params={"status": "assigned", "limit": 1000})["jobs"]
    assert {job["jobId"] for job in listed} >= set(job_ids)
    assert all(job["attempts"] == 1 for job in listed if job["jobId"] in job_ids)
    for job_id in job_ids:  # no lease of these may expire into a later test's polls
        ok(base, "POST", f"/api/frontend/jobs/{job_id}/cancel")


def test_a_node_cannot_ack_log_into_or_finish_another_nodes_job(jobs_server):
    base = jobs_server.base_url
    (_, owner), (_, other) = register(base, "owner-node"), register(base, "other-node")
    drain_pending(base, owner)
    create_job(base, "owned-1", "print(1)")
    job = ok(base, "GET", "/api/jobs/poll", token=owner)["job"]
    assert job["jobId"] == "owned-1" and job["attempt"] == 1
    reference = {"jobId": "owned-1", "attempt": 1}
    for path, body in [("/api/jobs/ack", reference), ("/api/jobs/stream-log", {**reference, "line": "x"}),
                       ("/api/jobs/finish", {**reference, "status": "finished", "exitCode": 0})]:
        status, answer = api(base, "POST", path, body, token=other)
        assert status == 403 and "another node" in answer["detail"], (path, status, answer)
    status, _ = api(base, "GET", "/api/jobs/fetch-script", token=other, params={"jobId": "owned-1"})
    assert status == 403
    assert ok(base, "POST", "/api/jobs/ack", reference, token=owner)["status"] == "running"
    finished = ok(base, "POST", "/api/jobs/finish", {**reference, "status": "finished", "exitCode": 0, "modelHash": "abc"}, token=owner)
    assert finished["status"] == "finished" and finished["modelHash"] == "abc" and finished["duration"] >= 0
    status, answer = api(base, "POST", "/api/jobs/finish", {**reference, "status": "failed"}, token=owner)
    assert status == 409, "a second finish must be refused"


def test_an_unacknowledged_lease_expires_back_to_pending_then_fails_after_max_attempts(jobs_server):
    base = jobs_server.base_url
    _, token = register(base, "forgetful")
    drain_pending(base, token)
    create_job(base, "lease-1", "print(1)", maxAttempts=2)
    assert ok(base, "GET", "/api/jobs/poll", token=token)["job"]["jobId"] == "lease-1"
    job = wait_for(lambda: (lambda j: j if j["status"] == "pending" else None)(ok(base, "GET", "/api/frontend/jobs/lease-1")),
                   LEASE_SECONDS * 4, "the lease to expire")
    assert job["attempts"] == 1 and "lease_expired_requeued" in [event["event"] for event in job["provenance"]]
    again = ok(base, "GET", "/api/jobs/poll", token=token)["job"]
    assert again["jobId"] == "lease-1" and again["attempt"] == 2
    job = wait_for(lambda: (lambda j: j if j["status"] == "failed" else None)(ok(base, "GET", "/api/frontend/jobs/lease-1")),
                   LEASE_SECONDS * 4, "the job to fail after its last attempt")
    assert job["attempts"] == 2 and "stopped heartbeating" in job["error"]


def test_heartbeats_keep_a_lease_and_report_cancelled_jobs(jobs_server):
    base = jobs_server.base_url
    _, token = register(base, "steady")
    drain_pending(base, token)
    create_job(base, "beat-1", "print(1)")
    ok(base, "GET", "/api/jobs/poll", token=token)
    ok(base, "POST", "/api/jobs/ack", {"jobId": "beat-1"}, token=token)
    deadline = time.monotonic() + LEASE_SECONDS * 2
    while time.monotonic() < deadline:
        answer = ok(base, "POST", "/api/nodes/heartbeat", {"usage": {"cpuUsage": 10.5, "ramUsage": 20}, "jobs": ["beat-1"]}, token=token)
        assert answer["cancel"] == []
        time.sleep(LEASE_SECONDS / 4)
    assert ok(base, "GET", "/api/frontend/jobs/beat-1")["status"] == "running"
    assert ok(base, "POST", "/api/frontend/jobs/beat-1/cancel")["status"] == "cancelled"
    answer = ok(base, "POST", "/api/nodes/heartbeat", {"jobs": ["beat-1"]}, token=token)
    assert answer["cancel"] == ["beat-1"]
    node = next(n for n in ok(base, "GET", "/api/frontend/nodes")["nodes"] if n["nodeId"] == "steady")
    assert node["status"] == "active" and node["lastSeenAgo"] <= 1 and node["specs"]["cpuUsage"] == 10.5


def test_a_long_poll_waits_for_work_and_wakes_when_it_comes(jobs_server):
    base = jobs_server.base_url
    _, token = register(base, "patient")
    drain_pending(base, token)
    started = time.monotonic()
    assert ok(base, "GET", "/api/jobs/poll", token=token, params={"wait": 1})["job"] is None
    assert time.monotonic() - started >= 0.9, "an empty long poll must wait"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        waiting = pool.submit(ok, base, "GET", "/api/jobs/poll", None, token, {"wait": 10})
        time.sleep(0.5)
        create_job(base, "wake-1", "print(1)")
        job = waiting.result(timeout=15)["job"]
    assert job["jobId"] == "wake-1" and time.monotonic() - started < 5
    ok(base, "POST", "/api/frontend/jobs/wake-1/cancel")


def test_logs_are_stored_once_in_order_and_kept_across_restart_until_delete(jobs_server):
    base = jobs_server.base_url
    _, token = register(base, "logger")
    drain_pending(base, token)
    create_job(base, "logs-1", "print(1)")
    ok(base, "GET", "/api/jobs/poll", token=token)
    ok(base, "POST", "/api/jobs/ack", {"jobId": "logs-1"}, token=token)
    batch = [{"line": f"line {n}", "lineNo": n, "stream": "stdout"} for n in range(1, 301)]
    assert ok(base, "POST", "/api/jobs/stream-log", {"jobId": "logs-1", "attempt": 1, "lines": batch}, token=token)["stored"] == 300
    assert ok(base, "POST", "/api/jobs/stream-log", {"jobId": "logs-1", "attempt": 1, "lines": batch[-10:]}, token=token)["stored"] == 0
    ok(base, "POST", "/api/jobs/stream-log", {"jobId": "logs-1", "line": "tail"}, token=token)
    logs = ok(base, "GET", "/api/frontend/logs/logs-1")["logs"]
    assert [line["line"] for line in logs] == [f"line {n}" for n in range(1, 301)] + ["tail"]
    assert [line["line"] for line in ok(base, "GET", "/api/frontend/logs/logs-1", params={"limit": 2})["logs"]] == ["line 300", "tail"]
    ok(base, "POST", "/api/jobs/finish", {"jobId": "logs-1", "status": "failed", "exitCode": 2}, token=token)
    restarted = ok(base, "POST", "/api/frontend/jobs/logs-1/restart")
    assert restarted["status"] == "pending" and restarted["attempts"] == 0 and restarted["attempt"] == 1
    status, answer = api(base, "POST", "/api/frontend/jobs/logs-1/restart")
    assert status == 400, answer
    detail = ok(base, "GET", "/api/frontend/jobs/logs-1")
    assert len(detail["logs"]) == 301 and [e["event"] for e in detail["provenance"]][-2:] == ["failed", "restarted"]
    assert detail["script"]["entrypoint"] == "train.py" and len(detail["script"]["scriptHash"]) == 64
    assert ok(base, "DELETE", "/api/frontend/jobs/logs-1") == {"message": "Job logs-1 deleted", "jobId": "logs-1"}
    assert api(base, "GET", "/api/frontend/logs/logs-1")[0] == 404


def test_dashboard_health_and_filters_count_the_same_jobs(jobs_server):
    base = jobs_server.base_url
    dashboard = ok(base, "GET", "/api/frontend/dashboard")
    stats = dashboard["jobStats"]
    assert stats["total"] == sum(stats[s] for s in ("pending", "assigned", "running", "finished", "failed", "cancelled"))
    for status in ("pending", "finished", "failed"):
        assert ok(base, "GET", "/api/frontend/jobs", params={"status": status, "limit": 10000})["count"] == stats[status]
    health = ok(base, "GET", "/api/frontend/system/health")
    assert health["status"] == "healthy" and health["jobQueue"]["pending"] == stats["pending"]
    assert health["activeNodes"] == dashboard["activeNodes"] >= 1
    assert len(dashboard["recentJobs"]) == min(10, stats["total"])
    limited = ok(base, "GET", "/api/frontend/jobs", params={"limit": 3})
    assert limited["count"] == 3 and [job["jobId"] for job in limited["jobs"]] == [job["jobId"] for job in dashboard["recentJobs"][:3]]


DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "jobs.md")


def test_the_docs_quick_start_and_sql_run_as_written(jobs_server, tmp_path):
    text = open(DOC, encoding="utf-8").read()
    script = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S).group(1)
    binary_dir = os.path.dirname(os.path.abspath(vireo_binary()))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "BASE": jobs_server.base_url, "KEY": API_KEY, "PATH": binary_dir + os.pathsep + os.environ["PATH"]})
    assert result.returncode == 0, result.stdout + result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert answers[0]["jobId"] == "mnist-1" and answers[1]["scriptHash"]
    assert [line["line"] for line in answers[2]["logs"]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert answers[3]["jobs"][0]["modelHash"] == hashlib.sha256(b"weights").hexdigest()
    query = re.search(r"## With SQL\n.*?```sql\n(.*?)```", text, re.S).group(1)
    with psycopg.connect(jobs_server.dsn, autocommit=True) as connection:
        rows = connection.execute(query).fetchall()
    assert rows and all(count >= 1 and mean >= 0 for _, count, mean in rows), rows


SEARCH_LINES = ["epoch 3/10 loss 0.2531 accuracy 0.91", "Downloading dataset from https://example.com/cifar10.tar.gz",
                "RuntimeError: CUDA error: out of memory", "Saved checkpoint to checkpoints/model_epoch3.pt",
                "Validation finished in 12.4 seconds"]


def stream_search_lines(base, job_id, node_id):
    _, token = register(base, node_id)
    drain_pending(base, token)
    create_job(base, job_id, "print(1)")
    ok(base, "GET", "/api/jobs/poll", token=token)
    lines = [{"line": line, "lineNo": n + 1} for n, line in enumerate(SEARCH_LINES)]
    ok(base, "POST", "/api/jobs/stream-log", {"jobId": job_id, "lines": lines}, token=token)
    ok(base, "POST", "/api/jobs/finish", {"jobId": job_id, "status": "failed", "exitCode": 1}, token=token)


def search(base, query, **params):
    """The search's answer once every stored line is embedded."""
    return wait_for(lambda: (lambda a: a if a["pending"] == 0 else None)(
        ok(base, "GET", "/api/frontend/logs/search", params={"q": query, **params})), 60, "the log lines to be embedded")


def test_log_search_finds_lines_across_jobs_and_forgets_deleted_ones(jobs_server):
    base = jobs_server.base_url
    stream_search_lines(base, "search-1", "searcher")
    answer = search(base, "out of memory", jobId="search-1")
    assert answer["results"][0]["line"] == "RuntimeError: CUDA error: out of memory", answer
    assert answer["results"][0]["jobId"] == "search-1" and answer["results"][0]["lineNo"] == 3
    assert 0 < answer["results"][0]["score"] <= 1 and len(answer["results"]) == len(SEARCH_LINES)
    assert len(search(base, "checkpoint", limit=2)["results"]) == 2
    query = re.search(r"## Searching logs by meaning.*?```sql\n(.*?)```", open(DOC, encoding="utf-8").read(), re.S).group(1)
    with psycopg.connect(jobs_server.dsn, autocommit=True) as connection:
        rows = connection.execute(query).fetchall()
    assert rows[0][1] == "RuntimeError: CUDA error: out of memory" and abs(rows[0][2] - 1) < 1e-5, rows
    ok(base, "DELETE", "/api/frontend/jobs/search-1")
    assert all(hit["jobId"] != "search-1" for hit in search(base, "out of memory", limit=100)["results"])
    status, answer = api(base, "GET", "/api/frontend/logs/search")
    assert status == 422 and answer["detail"].startswith("q:"), answer


@pytest.fixture(scope="module")
def minilm_jobs_server():
    if not os.environ.get("VIREO_MODEL_DIR"):
        pytest.skip("VIREO_MODEL_DIR is not set: run through `make test`, which fetches the model")
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-jobs-minilm-") as data_dir:
        running = Server(data_dir, ["--embedder", "minilm"])
        yield running
        code, output = running.stop()
        assert code == 0, output


def test_log_search_finds_a_line_by_meaning_with_minilm(minilm_jobs_server):
    base = minilm_jobs_server.base_url
    stream_search_lines(base, "meaning-1", "meaning-node")
    answer = search(base, "ran out of GPU memory")
    assert answer["embedder"] == "all-MiniLM-L6-v2" and answer["results"][0]["line"] == "RuntimeError: CUDA error: out of memory", answer
    assert search(base, "where was the model saved")["results"][0]["line"].startswith("Saved checkpoint"), answer
