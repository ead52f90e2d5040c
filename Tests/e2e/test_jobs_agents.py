"""Real `vireo agent` processes against a real server: twenty small Python jobs (some failing,
one past its time limit, one with many log lines) each reach their final state exactly once
with complete, ordered logs; an agent SIGKILLed mid-job has its job run again elsewhere after
the lease; SIGTERM hands a running job back."""
import hashlib
import os
import re
import signal
import socket
import tempfile
import time

import psycopg
import pytest

from conftest import Server
from jobs_support import LEASE_SECONDS, AgentProcess, create_job, jobs_server, ok, wait_for  # noqa: F401 (fixture)

MANY_LINES = 3000
FINAL = {"finished", "failed", "cancelled"}


def job_detail(base, job_id):
    return ok(base, "GET", f"/api/frontend/jobs/{job_id}")


def all_final(base, job_ids):
    details = [job_detail(base, job_id) for job_id in job_ids]
    return details if all(detail["status"] in FINAL for detail in details) else None


@pytest.fixture()
def work_dir():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-agents-") as directory:
        yield directory


def test_three_agents_run_twenty_jobs_each_to_one_final_state(jobs_server, work_dir):
    base = jobs_server.base_url
    agents = [AgentProcess(base, work_dir, f"agent-{index}") for index in range(3)]
    try:
        expected = {}
        for index in range(16):
            job_id = f"small-{index}"
            fails = index % 4 == 3
            create_job(base, job_id, f"import sys\nprint('job {index} starting')\nprint('to stderr', file=sys.stderr)\n"
                       + ("sys.exit(3)\n" if fails else "print('done')\n"), runtimeMinutesEstimate=1)
            expected[job_id] = ("failed", 3) if fails else ("finished", 0)
        create_job(base, "slow", "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n", runtimeMinutesEstimate=0.02)
        expected["slow"] = ("failed", 128 + signal.SIGTERM)
        create_job(base, "chatty", f"for n in range({MANY_LINES}):\n    print(f'line {{n}}')\n", runtimeMinutesEstimate=1)
        expected["chatty"] = ("finished", 0)
        create_job(base, "model", "open('model.bin', 'wb').write(b'weights' * 1000)\nprint('saved')\n", outputFile="model.bin")
        expected["model"] = ("finished", 0)
        create_job(base, "shell", "echo from sh; exit 0\n", entrypoint="run.sh")
        expected["shell"] = ("finished", 0)
        assert len(expected) == 20

        details = wait_for(lambda: all_final(base, list(expected)), 120, "twenty jobs to end")
        for detail in details:
            status, exit_code = expected[detail["jobId"]]
            assert (detail["status"], detail["exitCode"]) == (status, exit_code), detail
            finals = [event for event in detail["provenance"] if event["event"] in FINAL]
            assert len(finals) == 1, f"{detail['jobId']} ended {len(finals)} times: {detail['provenance']}"
            assert detail["attempts"] == 1 and detail["assignedNode"].startswith("agent-")
            assert detail["duration"] is not None and detail["startedAt"] <= detail["finishedAt"]
        by_id = {detail["jobId"]: detail for detail in details}
        assert "time limit" in by_id["slow"]["error"]
        lines = [line["line"] for line in by_id["small-0"]["logs"] if line["stream"] != "system"]
        assert lines == ["job 0 starting", "to stderr", "done"] or sorted(lines) == sorted(["job 0 starting", "to stderr", "done"])
        assert by_id["model"]["modelHash"] == hashlib.sha256(b"weights" * 1000).hexdigest()
        chatty = ok(base, "GET", "/api/frontend/logs/chatty", params={"limit": 10000})["logs"]
        assert [line["line"] for line in chatty if line["stream"] == "stdout"] == [f"line {n}" for n in range(MANY_LINES)]
        assert {detail["assignedNode"] for detail in details} == {"agent-0", "agent-1", "agent-2"}, "every agent should have worked"
    finally:
        codes = [stopped(agent) for agent in agents]  # every agent, even after one fails to stop
    assert codes == [0, 0, 0], [agent.output() for agent in agents]


def stopped(agent):
    try:
        return agent.stop()
    except AssertionError as error:
        return str(error)


def test_a_killed_agents_job_runs_again_on_another_after_the_lease(jobs_server, work_dir):
    base = jobs_server.base_url
    doomed = AgentProcess(base, work_dir, "doomed")
    survivor = None
    try:
        create_job(base, "orphan", "import os, time\nattempt = os.environ['VIREO_JOB_ATTEMPT']\nprint('attempt', attempt, flush=True)\n"
                   "time.sleep(4 if attempt == '1' else 0)\nprint('finished attempt', attempt)\n", runtimeMinutesEstimate=1)
        wait_for(lambda: "attempt 1" in [line["line"] for line in job_detail(base, "orphan")["logs"]], 30,
                 "the doomed agent to start the job and log its first line")
        doomed.stop(signal.SIGKILL)
        survivor = AgentProcess(base, work_dir, "survivor")
        detail = wait_for(lambda: (lambda d: d if d["status"] in FINAL else None)(job_detail(base, "orphan")),
                          LEASE_SECONDS * 10, "the job to run again after the lease")
        assert detail["status"] == "finished" and detail["assignedNode"] == "survivor" and detail["attempt"] == 2, detail["provenance"]
        events = [(event["event"], event["nodeId"]) for event in detail["provenance"]]
        assert ("lease_expired_requeued", "doomed") in events and events.count(("finished", "survivor")) == 1
        lines = [(line["attempt"], line["line"]) for line in detail["logs"] if line["stream"] == "stdout"]
        assert (1, "attempt 1") in lines and (2, "attempt 2") in lines and (2, "finished attempt 2") in lines
    finally:
        if survivor:
            assert survivor.stop() == 0, survivor.output()


def test_sigterm_hands_a_running_job_back_untried(jobs_server, work_dir):
    base = jobs_server.base_url
    agent = AgentProcess(base, work_dir, "leaving", extra=("--drain-seconds", "0.5"))
    create_job(base, "handed-back", "import time\nprint('working', flush=True)\ntime.sleep(30)\n", runtimeMinutesEstimate=5)
    wait_for(lambda: job_detail(base, "handed-back")["status"] == "running", 30, "the agent to start the job")
    assert agent.stop(signal.SIGTERM) == 0, agent.output()
    detail = job_detail(base, "handed-back")
    assert detail["status"] == "pending" and detail["attempts"] == 0, detail
    assert [event["event"] for event in detail["provenance"]][-1] == "released"
    ok(base, "POST", "/api/frontend/jobs/handed-back/cancel")


def test_sigterm_stops_an_idle_agent_at_any_moment_of_its_polls(jobs_server, work_dir):
    # A stop used to cancel the slot's long poll, and a cancelled URLSession request can
    # never return: the agent then hung instead of exiting (seen in CI). Polls of 2 s,
    # SIGTERM at moments spread over them.
    for attempt, delay in enumerate([0.3, 0.9, 1.6, 2.2, 2.9, 3.7]):
        agent = AgentProcess(jobs_server.base_url, work_dir, f"idle-{attempt}")
        wait_for(lambda: "registered as" in agent.output(), 30, "the agent to register")
        time.sleep(delay)
        assert agent.stop(signal.SIGTERM, timeout=15) == 0, agent.output()


def test_the_agent_reports_each_jobs_cpu_time_and_peak_memory(jobs_server, work_dir):
    base = jobs_server.base_url
    create_job(base, "measured", "import time\nblock = bytearray(96 * 1024 * 1024)\nfor i in range(0, len(block), 4096):\n    block[i] = 1\n"
               "end = time.process_time() + 0.5\nwhile time.process_time() < end:\n    pass\nprint('done')\n", runtimeMinutesEstimate=1)
    agent = AgentProcess(base, work_dir, "measurer")
    try:
        detail = wait_for(lambda: (lambda d: d if d["status"] in FINAL else None)(job_detail(base, "measured")), 60, "the measured job to end")
        node = next(node for node in ok(base, "GET", "/api/frontend/nodes")["nodes"] if node["nodeId"] == "measurer")
    finally:
        assert agent.stop() == 0, agent.output()
    assert detail["status"] == "finished", detail
    (usage,) = detail["usage"]
    assert usage["nodeId"] == "measurer" and usage["attempt"] == 1, usage
    # What the kernel counted for the job's process: at least the CPU it burnt and the block it touched.
    assert 0.5 <= usage["cpuSeconds"] < 60 and 96 <= usage["peakMemoryMB"] < 2048, usage
    assert "cpuSeconds" not in node["specs"] and "peakMemoryMB" not in node["specs"], "a job's figures are not the machine's"
    # The docs' SQL over the usage table, as written.
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "jobs.md"), encoding="utf-8").read()
    query = re.search(r"What each job's process cost.*?```sql\n(.*?)```", text, re.S).group(1)
    with psycopg.connect(jobs_server.dsn, autocommit=True) as connection:
        rows = {row[0]: row[1:] for row in connection.execute(query).fetchall()}
    attempts, cpu_seconds, peak_memory_mb = rows["measurer"]
    assert attempts == 1 and cpu_seconds == usage["cpuSeconds"] and peak_memory_mb == usage["peakMemoryMB"], rows


def test_requirements_run_the_job_in_a_virtualenv_of_its_own(jobs_server, work_dir):
    base = jobs_server.base_url
    # `pip` is in every fresh virtualenv, so the install is satisfied offline.
    create_job(base, "with-venv", "import sys\nprint('venv' if sys.prefix != sys.base_prefix else 'system', sys.prefix)\n",
               requirements="pip\n", runtimeMinutesEstimate=1)
    agent = AgentProcess(base, work_dir, "venv-maker")
    try:
        detail = wait_for(lambda: (lambda d: d if d["status"] in FINAL else None)(job_detail(base, "with-venv")), 120, "the job to end")
    finally:
        assert agent.stop() == 0, agent.output()
    lines = [line["line"] for line in detail["logs"]]
    assert detail["status"] == "finished", (detail, lines)
    expected = os.path.join(work_dir, "venv-maker", "with-venv-attempt-1", ".venv")
    assert f"venv {expected}" in lines, lines


def test_the_memory_limit_stops_a_job_that_allocates_past_it(jobs_server, work_dir):
    base = jobs_server.base_url
    create_job(base, "too-big", "block = bytearray(1024 * 1024 * 1024)\nprint('allocated')\n", runtimeMinutesEstimate=1)
    agent = AgentProcess(base, work_dir, "small-box", extra=("--memory-limit-mb", "300"))
    try:
        detail = wait_for(lambda: (lambda d: d if d["status"] in FINAL else None)(job_detail(base, "too-big")), 60, "the job to end")
    finally:
        assert agent.stop() == 0, agent.output()
    lines = [line["line"] for line in detail["logs"]]
    assert detail["status"] == "failed" and "allocated" not in lines, (detail, lines)
    assert any("MemoryError" in line for line in lines), lines


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_job_running_through_a_server_restart_finishes_once_with_every_line(work_dir):
    port = free_port()
    # The same port after the restart (the later --http-port wins), as an agent's --server URL expects.
    arguments = ["--http-port", str(port), "--job-lease-seconds", "30"]
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-jobs-restart-") as data_dir:
        server = Server(data_dir, arguments)
        base = server.base_url
        create_job(base, "through-restart", "import os, time\nprint('before', flush=True)\n"
                   "while not os.path.exists('go'):\n    time.sleep(0.05)\nprint('after', flush=True)\n", runtimeMinutesEstimate=1)
        agent = AgentProcess(base, work_dir, "steadfast")
        try:
            wait_for(lambda: any(line["line"] == "before" for line in job_detail(base, "through-restart")["logs"]), 60, "the job to start")
            code, output = server.stop()
            assert code == 0, output
            # The job goes on while the server is down, and prints its last line then.
            open(os.path.join(work_dir, "steadfast", "through-restart-attempt-1", "go"), "w").close()
            server = Server(data_dir, arguments)
            detail = wait_for(lambda: (lambda d: d if d["status"] in FINAL else None)(job_detail(base, "through-restart")), 60,
                              "the job to end after the restart")
        finally:
            assert agent.stop() == 0, agent.output()
            code, output = server.stop()
            assert code == 0, output
    assert detail["status"] == "finished" and detail["attempts"] == 1, detail
    assert [line["line"] for line in detail["logs"] if line["stream"] == "stdout"] == ["before", "after"], detail["logs"]
    assert [event["event"] for event in detail["provenance"]].count("finished") == 1, detail["provenance"]
