"""/api/v1/webhooks, which seed 001 (pipelines) and seed 002 (training) both claim, against a real
`vireo serve`: one dispatcher delivers a pipeline run's events and a training session's end to a
local receiver, each signed twice over (seed 001's `signature` member of the body, and the
X-Vireo-Signature header over timestamp.body), which the test recomputes; errors come in the
envelope of the seed the request speaks (a user's token: seed 001's `details` list)."""
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import Server, rest, vireo_binary
from test_pipelines import ADMIN_EMAIL, ADMIN_PASSWORD, connector, create_pipeline, http, login, ok
from test_training import configs, create, wait_for_status  # noqa: F401 (fixture)
from test_training_alerts import Receiver

SECRET = "whsec-4711"


@pytest.fixture(scope="module")
def hooks_server(configs):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-webhooks-") as directory:
        data, root = os.path.join(directory, "data"), os.path.join(directory, "imports")
        os.makedirs(data)
        os.makedirs(root)
        database = sqlite3.connect(os.path.join(root, "shop.db"))
        database.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
        database.executemany("INSERT INTO orders VALUES (?, ?)", [(i, i * 10.0) for i in range(1, 6)])
        database.commit()
        database.close()
        added = subprocess.run([vireo_binary(), "user", "add", ADMIN_EMAIL, "--role", "admin", "--data", data],
                               input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        server = Server(data, ["--connector-root", root, "--training-configs", configs],
                        environment={"VIREO_WEBHOOK_BACKOFF_MS": "100"})
        yield server
        code, output = server.stop()
        assert code == 0, output


def verify(headers, body, secret=SECRET):
    """Both signatures of a delivery, recomputed as a receiver would; the parsed payload."""
    payload = json.loads(body)
    member = f',"signature":"{payload["signature"]}"'.encode()
    assert body.count(member) == 1 and body.endswith(member + b"}"), body
    unsigned = body.replace(member, b"")
    assert payload["signature"] == "sha256=" + hmac.new(secret.encode(), unsigned, hashlib.sha256).hexdigest()
    expected = hmac.new(secret.encode(), headers["X-Vireo-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Vireo-Signature"] == "sha256=" + expected
    assert headers["X-Vireo-Event"] == payload["event"] and payload["timestamp"]
    return payload


def test_one_dispatcher_delivers_signed_pipeline_and_training_events(hooks_server):
    base = hooks_server.base_url
    token = login(base)[2]["access_token"]
    receiver = Receiver(failures=1)
    try:
        # Seed 001's registration, with a user's token.
        status, _, hook = http(base, "POST", "/api/v1/webhooks",
                               {"url": receiver.url, "events": ["pipeline.completed", "pipeline.failed", "training_completed"],
                                "secret": SECRET}, token=token)
        assert status == 201 and hook["webhook_id"].startswith("webhook_") and hook["status"] == "active", hook
        assert hook["events"] == ["pipeline.completed", "pipeline.failed", "training_completed"] and "secret" not in hook

        shop = connector(base, "hooked shop", "sqlite", {"path": "shop.db"})
        _, pipeline = create_pipeline(base, "hooked", {"source": {"connector_id": shop["id"], "table": "orders"},
                                                       "transforms": [{"sql": "SELECT id, amount * :factor AS amount FROM input"}],
                                                       "target": {"connector_id": "vireo", "table": "hooked_orders"}})
        run = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"factor": 2}, "async": False})
        assert run["status"] == "succeeded", run
        headers, body = receiver.wait_for(lambda h, b: json.loads(b)["event"] == "pipeline.completed")
        payload = verify(headers, body)
        assert payload["data"]["pipeline_id"] == pipeline["id"] and payload["data"]["run_id"] == run["id"]
        assert payload["data"]["status"] == "success" and payload["data"]["duration_seconds"] >= 0 and payload["data"]["rows_written"] == 5

        failing = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"factor": "lots"}, "async": False})
        assert failing["status"] == "failed"
        headers, body = receiver.wait_for(lambda h, b: json.loads(b)["event"] == "pipeline.failed")
        payload = verify(headers, body)
        assert payload["data"]["run_id"] == failing["id"] and payload["data"]["status"] == "failed" and payload["data"]["error"]

        session_id = create(hooks_server, "nested/fast.json")[1]["session_id"]
        rest(base, "POST", f"/api/v1/training/sessions/{session_id}/start")
        wait_for_status(hooks_server, session_id, {"completed"})
        headers, body = receiver.wait_for(lambda h, b: json.loads(b)["event"] == "training_completed")
        payload = verify(headers, body)
        assert payload["data"]["session_id"] == session_id and payload["data"]["status"] == "completed"
        # pipeline.started was not subscribed to.
        assert all(json.loads(b)["event"] != "pipeline.started" for _, b in receiver.requests)

        # The first attempt got a 500: it was retried, and every attempt is a row.
        deliveries = ok(base, "GET", f"/api/v1/webhooks/{hook['webhook_id']}/deliveries")["deliveries"]
        assert {d["event"] for d in deliveries} == {"pipeline.completed", "pipeline.failed", "training_completed"}
        assert any(d["attempts"] == 2 for d in deliveries) and all(d["status"] in ("delivered", "pending") for d in deliveries), deliveries
        tested = ok(base, "POST", f"/api/v1/webhooks/{hook['webhook_id']}/test", token=token)
        assert tested["success"] is True and verify(*receiver.requests[-1])["event"] == "test"
        assert http(base, "DELETE", f"/api/v1/webhooks/{hook['webhook_id']}", token=token)[0] == 200
    finally:
        receiver.close()


def test_errors_come_in_the_envelope_of_the_seed_the_request_speaks(hooks_server):
    base = hooks_server.base_url
    token = login(base)[2]["access_token"]
    bad = {"url": "ftp://example.com/hook", "events": ["pipeline.completed"]}
    status, _, answer = http(base, "POST", "/api/v1/webhooks", bad, token=token)
    assert status == 422 and answer["error"]["code"] == "VALIDATION_ERROR" and answer["error"]["request_id"], answer
    assert answer["error"]["details"][0]["field"] == "url" and answer["error"]["details"][0]["error"], answer
    status, answer = rest(base, "POST", "/api/v1/webhooks", bad)
    assert status == 422 and answer["error"]["details"]["field"] == "url", answer
    status, _, answer = http(base, "POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["pipeline.exploded"]}, token=token)
    assert status == 422 and answer["error"]["details"][0]["field"] == "events", answer
    status, _, answer = http(base, "GET", "/api/v1/webhooks/webhook_nope/deliveries", token=token)
    assert status == 404 and answer["error"]["details"] == [{"field": "webhook_id", "error": answer["error"]["message"]}], answer
