"""Seed 002's training sessions against a real `vireo serve`: configs (YAML and JSON, confined
to the configs directory), a real program started, its reports stored as rows, stop, 409s,
the error envelope, and a restart of the server while a session runs."""
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse

import psycopg
import pytest

from conftest import Server, rest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "training")
WAIT_S = 60


def write(directory, name, text):
    path = os.path.join(directory, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        file.write(text)


def trainer_command():
    return f'"{sys.executable}" "$VIREO_CONFIG_DIR/trainer.py"'


@pytest.fixture(scope="module")
def configs():
    with tempfile.TemporaryDirectory(prefix="vireo-training-configs-") as directory:
        shutil.copy(os.path.join(EXAMPLES, "trainer.py"), directory)
        write(directory, "fast.yaml", f"""# five quick epochs
command: {json.dumps(trainer_command())}
epochs: 5
learning_rate: 0.5
seconds_per_epoch: 0.02
upload_checkpoint: false
""")
        write(directory, "nested/fast.json", json.dumps({
            "command": ["/bin/sh", "-c", trainer_command().replace("$VIREO_CONFIG_DIR", "$VIREO_CONFIG_DIR/..")],
            "total_epochs": 3, "seconds_per_epoch": 0.01, "upload_checkpoint": False}))
        write(directory, "slow.yaml", f"command: {json.dumps(trainer_command())}\nepochs: 1000\nseconds_per_epoch: 0.2\nupload_checkpoint: false\n")
        write(directory, "fails.yaml", f"command: {json.dumps(trainer_command())}\nepochs: 10\nfail_at_epoch: 2\nseconds_per_epoch: 0\n"
                                       "upload_checkpoint: false\n")
        write(directory, "stubborn.yaml", "command: trap '' TERM; while true; do sleep 0.05; done\nepochs: 1\n")
        write(directory, "no_command.yaml", "epochs: 3\n")
        write(directory, "bad_epochs.yaml", "command: 'true'\nepochs: many\n")
        write(directory, "broken.yaml", "command: [unclosed\n")
        yield directory


@pytest.fixture(scope="module")
def trainer_server(configs):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-training-") as data_dir:
        running = Server(data_dir, ["--training-configs", configs], environment={"VIREO_TRAINING_STOP_GRACE_MS": "500"})
        yield running
        code, output = running.stop()
        assert code == 0, output


def process_running(pid):
    """Whether `pid` exists and is not a zombie (PID 1 of a container may never reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def create(server, config_path, **fields):
    return rest(server.base_url, "POST", "/api/v1/training/sessions", {"config_path": config_path, **fields})


def wait_for_status(server, session_id, statuses, deadline_s=WAIT_S):
    deadline = time.monotonic() + deadline_s
    while True:
        status, session = rest(server.base_url, "GET", f"/api/v1/training/sessions/{session_id}")
        assert status == 200, session
        if session["status"] in statuses:
            return session
        assert time.monotonic() < deadline, f"session stayed {session['status']}, expected one of {statuses}"
        time.sleep(0.05)


def test_a_session_runs_its_program_and_its_reports_become_rows(trainer_server):
    status, created = create(trainer_server, "fast.yaml", session_name="exp-1", tags=["logreg", "numpy"])
    assert status == 201, created
    assert created["session_id"].startswith("sess_") and created["status"] == "created"
    assert created["config"]["epochs"] == 5 and created["config"]["learning_rate"] == 0.5
    assert created["total_epochs"] == 5 and created["tags"] == ["logreg", "numpy"] and created["session_name"] == "exp-1"
    session_id = created["session_id"]

    status, started = rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    assert status == 200 and started["status"] == "running" and started["started_at"], started
    status, again = rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    assert status == 409 and again["error"]["code"] == "CONFLICT", again

    done = wait_for_status(trainer_server, session_id, {"completed", "failed"})
    assert done["status"] == "completed" and done["exit_code"] == 0, done
    assert done["current_epoch"] == 5 and done["progress"] == 1.0
    assert set(done["latest_metrics"]) >= {"train_loss", "val_loss", "val_accuracy", "learning_rate"}

    status, metrics = rest(trainer_server.base_url, "GET", f"/api/v1/training/sessions/{session_id}/metrics")
    assert status == 200 and [m["epoch"] for m in metrics["metrics"]] == [1, 2, 3, 4, 5]
    assert all(m["timestamp"].endswith("Z") for m in metrics["metrics"])
    status, only = rest(trainer_server.base_url, "GET", f"/api/v1/training/sessions/{session_id}/metrics?metric_name=val_loss&limit=2")
    assert [sorted(m) for m in only["metrics"]] == [["epoch", "timestamp", "val_loss"]] * 2
    assert [m["epoch"] for m in only["metrics"]] == [4, 5]

    status, history = rest(trainer_server.base_url, "GET", f"/api/v1/metrics/{session_id}/history?metric_name=val_loss&start_epoch=2&end_epoch=4")
    assert status == 200 and history["metric_name"] == "val_loss" and history["epochs"] == [2, 3, 4], history
    assert history["values"] == [m["val_loss"] for m in metrics["metrics"][1:4]] and len(history["timestamps"]) == 3

    # The rows are the engine's: SQL over pgwire reads the same values.
    with psycopg.connect(trainer_server.dsn) as connection:
        rows = connection.execute("SELECT epoch, value FROM vireo_training_metrics WHERE session_id = %s AND name = 'val_loss' "
                                  "ORDER BY epoch", (session_id,)).fetchall()
    assert [epoch for epoch, _ in rows] == [1, 2, 3, 4, 5] and [value for _, value in rows][1:4] == history["values"]

    status, listed = rest(trainer_server.base_url, "GET", "/api/v1/training/sessions?status=completed")
    assert status == 200 and session_id in [s["session_id"] for s in listed["sessions"]] and listed["limit"] == 50
    assert all(s["status"] == "completed" for s in listed["sessions"])


def test_json_configs_in_subdirectories_and_posted_reports(trainer_server):
    status, created = create(trainer_server, "nested/fast.json")
    assert status == 201 and created["total_epochs"] == 3, created
    session_id = created["session_id"]
    status, posted = rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/metrics",
                          {"epoch": 0, "val_loss": 1.5, "note": "baseline"})
    assert status == 201 and posted["epoch"] == 0 and posted["val_loss"] == 1.5 and posted["note"] == "baseline", posted
    rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    done = wait_for_status(trainer_server, session_id, {"completed", "failed"})
    assert done["status"] == "completed", done
    status, history = rest(trainer_server.base_url, "GET", f"/api/v1/metrics/{session_id}/history?metric_name=val_loss")
    assert history["epochs"] == [0, 1, 2, 3] and history["values"][0] == 1.5


def test_a_failing_program_fails_its_session(trainer_server):
    session_id = create(trainer_server, "fails.yaml")[1]["session_id"]
    rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    done = wait_for_status(trainer_server, session_id, {"completed", "failed"})
    assert done["status"] == "failed" and done["exit_code"] == 3 and "status 3" in done["error"], done
    assert done["current_epoch"] == 2


def test_stop_terms_then_kills_the_process_group(trainer_server):
    session_id = create(trainer_server, "stubborn.yaml")[1]["session_id"]
    rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    status, stopped = rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/stop")
    assert status == 200 and stopped["status"] == "stopped" and stopped["stopped_at"], stopped
    # It ignores SIGTERM: the SIGKILL after the grace period (500 ms here) ends it.
    deadline = time.monotonic() + WAIT_S
    while True:
        session = rest(trainer_server.base_url, "GET", f"/api/v1/training/sessions/{session_id}")[1]
        if session["exit_code"] is not None:
            break
        assert time.monotonic() < deadline, session
        time.sleep(0.05)
    assert session["status"] == "stopped" and session["exit_code"] == -signal.SIGKILL, session
    status, again = rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/stop")
    assert status == 409 and again["error"]["code"] == "CONFLICT"
    status, deleted = rest(trainer_server.base_url, "DELETE", f"/api/v1/training/sessions/{session_id}")
    assert status == 200 and deleted["session_id"] == session_id
    status, gone = rest(trainer_server.base_url, "GET", f"/api/v1/training/sessions/{session_id}")
    assert status == 404 and gone["error"]["code"] == "NOT_FOUND" and gone["error"]["details"]["field"] == "session_id"


def test_a_running_session_cannot_be_deleted(trainer_server):
    session_id = create(trainer_server, "slow.yaml")[1]["session_id"]
    rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    status, answer = rest(trainer_server.base_url, "DELETE", f"/api/v1/training/sessions/{session_id}")
    assert status == 409, answer
    assert rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/stop")[0] == 200
    wait_for_status(trainer_server, session_id, {"stopped"})


@pytest.mark.parametrize("config_path, field", [
    ("../outside.yaml", "config_path"), ("/etc/passwd.yaml", "config_path"), ("missing.yaml", "config_path"),
    ("trainer.py", "config_path"), ("no_command.yaml", "config.command"), ("bad_epochs.yaml", "config.epochs"),
    ("broken.yaml", "config_path"),
])
def test_bad_configs_are_422_naming_the_field(trainer_server, configs, config_path, field):
    write(os.path.dirname(configs), "outside.yaml", "command: 'true'\nepochs: 1\n")
    status, answer = create(trainer_server, config_path)
    assert status == 422, answer
    assert answer["error"]["code"] == "VALIDATION_ERROR" and answer["error"]["details"]["field"] == field, answer


def test_symbolic_links_may_not_lead_out_of_the_configs_directory(trainer_server, configs):
    outside = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    outside.write("command: 'true'\nepochs: 1\n")
    outside.close()
    link = os.path.join(configs, "link.yaml")
    os.symlink(outside.name, link)
    try:
        status, answer = create(trainer_server, "link.yaml")
        assert status == 422 and "outside" in answer["error"]["message"], answer
    finally:
        os.unlink(link)
        os.unlink(outside.name)


def test_unknown_sessions_and_bad_parameters(trainer_server):
    for method, path in [("GET", "/api/v1/training/sessions/sess_nope"), ("POST", "/api/v1/training/sessions/sess_nope/start"),
                         ("GET", "/api/v1/metrics/sess_nope/history?metric_name=x")]:
        status, answer = rest(trainer_server.base_url, method, path)
        assert status == 404 and answer["error"]["code"] == "NOT_FOUND", (path, answer)
    status, answer = rest(trainer_server.base_url, "GET", "/api/v1/training/sessions?status=sleeping")
    assert status == 422 and answer["error"]["details"]["field"] == "status"
    status, answer = rest(trainer_server.base_url, "POST", "/api/v1/training/sessions", {"session_name": "x"})
    assert status == 422 and answer["error"]["details"]["field"] == "config_path"


def test_a_restart_fails_sessions_whose_program_is_gone(configs):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-training-restart-") as data_dir:
        first = Server(data_dir, ["--training-configs", configs])
        session_id = create(first, "slow.yaml")[1]["session_id"]
        rest(first.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
        pid = None
        with psycopg.connect(first.dsn) as connection:
            deadline = time.monotonic() + WAIT_S
            while pid is None:
                pid = connection.execute("SELECT pid FROM vireo_training_sessions WHERE id = %s", (session_id,)).fetchone()[0]
                assert time.monotonic() < deadline
        # The server dies without a word; its program's stdout pipe breaks at the next report.
        first.process.kill()
        first.process.wait(timeout=30)
        second = Server(data_dir, ["--training-configs", configs])
        try:
            session = wait_for_status(second, session_id, {"failed", "completed"})
            assert session["status"] == "failed" and session["error"], session
            system = rest(second.base_url, "GET", "/api/v1/notifications?type=system")[1]["notifications"]
            assert any(session_id in n["data"]["session_ids"] for n in system), system
            assert not process_running(pid)
        finally:
            code, output = second.stop()
            assert code == 0, output
