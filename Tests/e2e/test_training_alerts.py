"""Seed 002's monitoring around training against a real `vireo serve`: resources from /proc and
statvfs sampled into a table, alert rules raised once per breach, acknowledged and resolved,
notifications, and webhooks delivered to a local receiver with a signature the test checks,
retried with backoff when the receiver fails."""
import hashlib
import hmac
import http.server
import json
import os
import sys
import tempfile
import threading
import time

import psycopg
import pytest

from conftest import Server, rest
from test_training import configs, create, wait_for_status  # noqa: F401 (fixture)

WAIT_S = 30


@pytest.fixture(scope="module")
def monitor_server(configs):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-training-alerts-") as data_dir:
        running = Server(data_dir, ["--training-configs", configs],
                         environment={"VIREO_RESOURCE_SAMPLE_MS": "200", "VIREO_WEBHOOK_BACKOFF_MS": "100"})
        yield running
        code, output = running.stop()
        assert code == 0, output


class Receiver:
    """A local HTTP server that records each POST; the first `failures` answers are 500."""

    def __init__(self, failures=0):
        self.requests, self.failures = [], failures
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                failing = receiver.failures > 0
                receiver.failures -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, predicate):
        deadline = time.monotonic() + WAIT_S
        while not any(predicate(headers, body) for headers, body in list(self.requests)):
            assert time.monotonic() < deadline, f"no matching delivery among {self.requests}"
            time.sleep(0.02)
        return next((headers, body) for headers, body in self.requests if predicate(headers, body))

    def close(self):
        self.server.shutdown()


def wait_until(probe):
    deadline = time.monotonic() + WAIT_S
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_resources_and_health(monitor_server):
    status, resources = rest(monitor_server.base_url, "GET", "/api/v1/monitor/resources")
    assert status == 200, resources
    assert resources["cpu"]["count"] == os.cpu_count() == len(resources["cpu"]["per_cpu"])
    assert 0 <= resources["cpu"]["percent"] <= 100 and 0 < resources["memory"]["percent"] < 100
    assert resources["memory"]["total_gb"] > 0 and resources["disk"]["total_gb"] > 0 and isinstance(resources["gpu"], list)
    status, health = rest(monitor_server.base_url, "GET", "/api/v1/health")
    assert status == 200 and health["status"] == "healthy" and health["components"] == {"database": "healthy", "filesystem": "healthy"}
    # Samples land in a table every 200 ms here.
    with psycopg.connect(monitor_server.dsn) as connection:
        count = wait_until(lambda: connection.execute("SELECT count(*) FROM vireo_training_resource_samples").fetchone()[0] >= 2)
    assert count


def test_a_training_rule_raises_once_is_acknowledged_and_resolves(monitor_server):
    session_id = create(monitor_server, "nested/fast.json")[1]["session_id"]
    status, rule = rest(monitor_server.base_url, "POST", "/api/v1/alerts/rules",
                        {"name": "loss_high", "metric": "val_loss", "condition": "greater_than", "threshold": 0.0, "severity": "high",
                         "enabled": True, "session_id": session_id})
    assert status == 201 and rule["rule_id"].startswith("rule_"), rule
    for epoch in (1, 2, 3):
        rest(monitor_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/metrics", {"epoch": epoch, "val_loss": 1.0 / epoch})
    alerts = wait_until(lambda: [a for a in rest(monitor_server.base_url, "GET", "/api/v1/alerts?severity=high")[1]["alerts"]
                                 if a["rule_id"] == rule["rule_id"]])
    time.sleep(0.3)  # let the later reports' evaluations land: they must not raise another
    alerts = [a for a in rest(monitor_server.base_url, "GET", "/api/v1/alerts")[1]["alerts"] if a["rule_id"] == rule["rule_id"]]
    assert len(alerts) == 1 and alerts[0]["status"] == "active" and alerts[0]["subject"] == session_id, alerts
    assert alerts[0]["rule_name"] == "loss_high" and alerts[0]["threshold"] == 0.0 and alerts[0]["value"] == 1.0

    notifications = rest(monitor_server.base_url, "GET", "/api/v1/notifications?type=alert&unread=true")[1]["notifications"]
    assert any(n["data"]["alert_id"] == alerts[0]["alert_id"] and n["priority"] == "high" for n in notifications), notifications

    status, acknowledged = rest(monitor_server.base_url, "POST", f"/api/v1/alerts/{alerts[0]['alert_id']}/acknowledge",
                                {"acknowledged_by": "user@example.com", "notes": "looking"})
    assert status == 200 and acknowledged["status"] == "acknowledged" and acknowledged["acknowledged_by"] == "user@example.com"
    assert rest(monitor_server.base_url, "POST", f"/api/v1/alerts/{alerts[0]['alert_id']}/acknowledge",
                {"acknowledged_by": "x"})[0] == 409

    rest(monitor_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/metrics", {"epoch": 4, "val_loss": -1})
    resolved = wait_until(lambda: [a for a in rest(monitor_server.base_url, "GET", "/api/v1/alerts?status=resolved")[1]["alerts"]
                                   if a["alert_id"] == alerts[0]["alert_id"]])
    assert resolved[0]["resolved_at"]
    status, rules = rest(monitor_server.base_url, "GET", "/api/v1/alerts/rules")
    assert rule["rule_id"] in [r["rule_id"] for r in rules["rules"]]
    assert rest(monitor_server.base_url, "DELETE", f"/api/v1/alerts/rules/{rule['rule_id']}")[0] == 200


def test_a_resource_rule_fires_from_the_samples(monitor_server):
    status, rule = rest(monitor_server.base_url, "POST", "/api/v1/alerts/rules",
                        {"name": "memory_in_use", "metric": "memory_percent", "condition": "greater_than", "threshold": 0, "severity": "low"})
    assert status == 201 and rule["enabled"] is True
    alert = wait_until(lambda: [a for a in rest(monitor_server.base_url, "GET", "/api/v1/alerts?status=active")[1]["alerts"]
                                if a["rule_id"] == rule["rule_id"]])
    assert alert[0]["subject"] == "system" and alert[0]["value"] > 0
    rest(monitor_server.base_url, "DELETE", f"/api/v1/alerts/rules/{rule['rule_id']}")
    status, answer = rest(monitor_server.base_url, "POST", "/api/v1/alerts/rules",
                          {"name": "x", "metric": "cpu_percent", "condition": "sideways", "threshold": 1})
    assert status == 422 and answer["error"]["details"]["field"] == "condition"


def test_notifications_of_sessions_read_and_clear(monitor_server):
    session_id = create(monitor_server, "fails.yaml")[1]["session_id"]
    rest(monitor_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    wait_for_status(monitor_server, session_id, {"failed"})
    notification = wait_until(lambda: [n for n in rest(monitor_server.base_url, "GET", "/api/v1/notifications?type=training")[1]["notifications"]
                                       if n["data"]["session_id"] == session_id])[0]
    assert notification["priority"] == "high" and "failed" in notification["message"] and notification["read"] is False
    status, read = rest(monitor_server.base_url, "POST", f"/api/v1/notifications/{notification['id']}/read")
    assert status == 200 and read["read"] is True
    assert all(n["id"] != notification["id"] for n in rest(monitor_server.base_url, "GET", "/api/v1/notifications?unread=true")[1]["notifications"])
    status, cleared = rest(monitor_server.base_url, "DELETE", "/api/v1/notifications")
    assert status == 200 and cleared["deleted"] >= 1
    assert rest(monitor_server.base_url, "GET", "/api/v1/notifications")[1]["notifications"] == []


def test_webhooks_are_signed_tested_and_retried(monitor_server):
    receiver = Receiver(failures=2)
    try:
        status, hook = rest(monitor_server.base_url, "POST", "/api/v1/webhooks",
                            {"url": receiver.url, "events": ["training_completed", "alert_triggered"], "secret": "s3cret"})
        assert status == 201 and hook["webhook_id"].startswith("webhook_") and hook["status"] == "active", hook
        session_id = create(monitor_server, "nested/fast.json")[1]["session_id"]
        rest(monitor_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
        wait_for_status(monitor_server, session_id, {"completed"})
        headers, body = receiver.wait_for(lambda h, b: json.loads(b)["event"] == "training_completed"
                                          and json.loads(b)["data"]["session_id"] == session_id)
        expected = hmac.new(b"s3cret", (headers["X-Vireo-Timestamp"] + ".").encode() + body, hashlib.sha256).hexdigest()
        assert headers["X-Vireo-Signature"] == "sha256=" + expected
        assert abs(int(headers["X-Vireo-Timestamp"]) - time.time()) < 60 and headers["X-Vireo-Event"] == "training_completed"
        payload = json.loads(body)
        assert payload["data"]["status"] == "completed" and "val_loss" in payload["data"]["final_metrics"]

        deliveries = wait_until(lambda: [d for d in rest(monitor_server.base_url, "GET", f"/api/v1/webhooks/{hook['webhook_id']}/deliveries")[1]
                                         ["deliveries"] if d["status"] == "delivered"])
        assert deliveries[0]["attempts"] == 3 and deliveries[0]["status_code"] == 200 and deliveries[0]["latency_ms"] >= 0, deliveries

        status, tested = rest(monitor_server.base_url, "POST", f"/api/v1/webhooks/{hook['webhook_id']}/test")
        assert status == 200 and tested["success"] is True and tested["status_code"] == 200 and tested["response_time_ms"] >= 0
        assert json.loads(receiver.requests[-1][1])["event"] == "test"

        assert rest(monitor_server.base_url, "DELETE", f"/api/v1/webhooks/{hook['webhook_id']}")[0] == 200
        assert rest(monitor_server.base_url, "POST", f"/api/v1/webhooks/{hook['webhook_id']}/test")[0] == 404
    finally:
        receiver.close()
    for url in ["ftp://example.com/hook", "not a url", "http://"]:
        status, answer = rest(monitor_server.base_url, "POST", "/api/v1/webhooks", {"url": url, "events": ["training_completed"]})
        assert status == 422 and answer["error"]["details"]["field"] == "url", (url, answer)
