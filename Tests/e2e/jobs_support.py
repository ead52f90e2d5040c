"""What the jobs tests share: a server of their own with short leases, calls with a node
token, and `vireo agent` processes."""
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import API_KEY, Server, vireo_binary

LEASE_SECONDS = 2
SEND_TIMEOUT_MS = 2000


def api(base_url, method, path, body=None, token=None, key=API_KEY, params=None, timeout=60):
    """(status, JSON) of one call; `token` goes as X-Node-Token, `key` (unless None) as X-API-Key."""
    headers = {}
    if key:
        headers["X-API-Key"] = key
    if token:
        headers["X-Node-Token"] = token
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    url = base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def ok(base_url, method, path, body=None, token=None, params=None):
    status, answer = api(base_url, method, path, body=body, token=token, params=params)
    assert status == 200, f"{method} {path}: {status} {answer}"
    return answer


def create_job(base_url, job_id, script, **fields):
    """A job with its script; `fields` go to create, except entrypoint/requirements/outputFile."""
    upload = {name: fields.pop(name) for name in ("entrypoint", "requirements", "outputFile") if name in fields}
    job = ok(base_url, "POST", "/api/jobs/create", {"jobId": job_id, **fields})
    ok(base_url, "POST", "/api/jobs/upload-script", {"jobId": job_id, "script": script, **upload})
    return job


def register(base_url, node_id=None):
    body = {"specs": {"os": "Linux"}} if node_id is None else {"nodeId": node_id, "specs": {"os": "Linux"}}
    answer = ok(base_url, "POST", "/api/nodes/register", body)
    return answer["nodeId"], answer["token"]


def wait_for(condition, timeout_s, what):
    """Polls `condition` until it returns something true; fails naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def jobs_server():
    """A server whose leases last LEASE_SECONDS, so lease tests take seconds."""
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-jobs-") as data_dir:
        # A WebSocket client that takes nothing for SEND_TIMEOUT_MS is dropped: short, so the slow-consumer test takes seconds.
        running = Server(data_dir, ["--job-lease-seconds", str(LEASE_SECONDS), "--node-inactive-seconds", "5"],
                         environment={"VIREO_WEBSOCKET_SEND_TIMEOUT_MS": str(SEND_TIMEOUT_MS)})
        yield running
        code, output = running.stop()
        assert code == 0, output


class AgentProcess:
    """A `vireo agent` on this machine, its output kept for failure messages."""

    def __init__(self, base_url, work_dir, node_id, slots=1, extra=()):
        self.log_path = os.path.join(work_dir, f"{node_id}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [vireo_binary(), "agent", "--server", base_url, "--api-key", API_KEY, "--work-dir", os.path.join(work_dir, node_id),
             "--node-id", node_id, "--slots", str(slots), "--poll-wait-seconds", "2", "--time-limit-min-seconds", "1", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log_path) as log:
            return log.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Killed, so that an agent that did not stop cannot take the next tests' jobs.
            self.process.kill()
            self.process.wait()
            self.log.close()
            raise AssertionError(f"the agent did not stop within {timeout} s of signal {sig}:\n{self.output()}")
        self.log.close()
        return code

