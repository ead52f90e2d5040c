"""Live streams of seed 002's training sessions against a real `vireo serve`: Server-Sent Events
(event: metrics with ids, Last-Event-ID resume, the final status) and WebSocket (websocket_client.py,
a minimal RFC 6455 client over the standard library), each followed until the session completes."""
import json
import urllib.request

import pytest

from conftest import API_KEY, rest
from test_training import configs, create, trainer_server, wait_for_status  # noqa: F401 (fixtures)
from websocket_client import WebSocket

STREAM_TIMEOUT_S = 60


def started_session(server, config_path="fast.yaml"):
    session_id = create(server, config_path)[1]["session_id"]
    status, answer = rest(server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    assert status == 200, answer
    return session_id


def read_events(server, session_id, last_event_id=None):
    """Every SSE event of the stream until the server ends it: (id, event, data) triples."""
    headers = {"X-API-Key": API_KEY, "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    request = urllib.request.Request(f"{server.base_url}/api/v1/sse/training/{session_id}", headers=headers)
    events, fields = [], {}
    with urllib.request.urlopen(request, timeout=STREAM_TIMEOUT_S) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for raw in response:
            line = raw.decode().rstrip("\n")
            if not line:
                if "data" in fields:
                    events.append((fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])))
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return events


def test_sse_sends_each_report_then_the_final_status(trainer_server):
    session_id = started_session(trainer_server)
    events = read_events(trainer_server, session_id)
    metrics = [event for event in events if event[1] == "metrics"]
    assert [data["epoch"] for _, _, data in metrics] == [1, 2, 3, 4, 5], events
    assert all(event_id and data["val_loss"] > 0 for event_id, _, data in metrics)
    ids = [int(event_id) for event_id, _, _ in metrics]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert events[-1][1] == "status" and events[-1][2]["status"] == "completed" and events[-1][2]["session_id"] == session_id

    # Resuming after the third event sends the last two, then the status again.
    resumed = read_events(trainer_server, session_id, last_event_id=ids[2])
    assert [data["epoch"] for _, kind, data in resumed if kind == "metrics"] == [4, 5]
    assert resumed[-1][2]["status"] == "completed"


def test_sse_of_an_unknown_session_is_404(trainer_server):
    status, answer = rest(trainer_server.base_url, "GET", "/api/v1/sse/training/sess_missing")
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND"


def test_websocket_sends_each_report_then_the_final_status(trainer_server):
    session_id = started_session(trainer_server)
    ws = WebSocket(trainer_server.http_port, f"/api/v1/ws/training/{session_id}", {"X-API-Key": API_KEY})
    try:
        assert ws.upgraded, ws.status_line
        messages = list(ws.messages())
    finally:
        ws.close()
    metrics = [m for m in messages if m["type"] == "metrics"]
    assert [m["epoch"] for m in metrics] == [1, 2, 3, 4, 5] and all("val_loss" in m and m["id"] > 0 for m in metrics)
    assert messages[-1]["type"] == "status" and messages[-1]["status"] == "completed"
    assert ws.close_code == 1000


def test_websocket_takes_the_key_as_a_query_parameter_and_refuses_without_one(trainer_server):
    session_id = started_session(trainer_server)
    ws = WebSocket(trainer_server.http_port, f"/api/v1/ws/training/{session_id}?api_key={API_KEY}")
    try:
        assert ws.upgraded, ws.status_line
        assert list(ws.messages())[-1]["status"] == "completed"
    finally:
        ws.close()
    refused = WebSocket(trainer_server.http_port, f"/api/v1/ws/training/{session_id}")
    refused.close()
    # Refused upgrades are answered by the HTTP layer before any route: 400, no stream.
    assert not refused.upgraded and " 400 " in refused.status_line, refused.status_line
    status, answer = rest(trainer_server.base_url, "GET", f"/api/v1/ws/training/{session_id}")
    assert status == 426 and answer["error"]["code"] == "UPGRADE_REQUIRED", answer
    status, answer = rest(trainer_server.base_url, "GET", "/api/v1/ws/training/sess_missing")
    assert status == 404, answer
