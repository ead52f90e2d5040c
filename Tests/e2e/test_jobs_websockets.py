"""The jobs surface's WebSockets against a real server: `/ws/jobs/{job_id}/logs` sends the last
`tail` stored lines, then each line as it is stored, then `end`, the same lines in the same
order as the stored logs (with a node driven through the REST routes, and with a real `vireo
agent`); `/ws/dashboard` and `/ws/nodes` send a message when something changes; an upgrade
without a key, or for an unknown job, is refused; a client that takes nothing is disconnected;
open sockets do not hold the server's graceful stop."""
import os
import tempfile
import time

from conftest import API_KEY, Server
from jobs_support import SEND_TIMEOUT_MS, AgentProcess, create_job, jobs_server, ok, register, wait_for  # noqa: F401 (fixture)
from websocket_client import WebSocket


def claimed_job(base, job_id, node_id):
    """A job held (polled and acked) by a new node: the node's token."""
    _, token = register(base, node_id)
    create_job(base, job_id, "print(1)")
    while (job := ok(base, "GET", "/api/jobs/poll", token=token)["job"]) and job["jobId"] != job_id:
        ok(base, "POST", f"/api/frontend/jobs/{job['jobId']}/cancel")
    assert job and job["jobId"] == job_id, job
    ok(base, "POST", "/api/jobs/ack", {"jobId": job_id}, token=token)
    return token


def post_lines(base, job_id, token, numbers, text=lambda n: f"line {n}"):
    lines = [{"line": text(n), "lineNo": n, "stream": "stdout"} for n in numbers]
    assert ok(base, "POST", "/api/jobs/stream-log", {"jobId": job_id, "attempt": 1, "lines": lines}, token=token)["stored"] == len(lines)


def stored_lines(base, job_id):
    return [(line["attempt"], line["lineNo"], line["line"]) for line in ok(base, "GET", f"/api/frontend/logs/{job_id}", params={"limit": 10000})["logs"]]


def streamed(messages):
    return [(message["attempt"], message["lineNo"], message["line"]) for message in messages]


def test_upgrades_need_a_key_and_a_job_that_exists(jobs_server):
    port = jobs_server.http_port
    for path, headers in [("/ws/dashboard", None), ("/ws/nodes?api_key=wrong", None), ("/ws/jobs/no-such-job/logs", {"X-API-Key": API_KEY})]:
        refused = WebSocket(port, path, headers)
        refused.close()
        # Refused upgrades are answered by the HTTP layer before any route: 400, no stream.
        assert not refused.upgraded and " 400 " in refused.status_line, (path, refused.status_line)
    for headers, path in [({"Authorization": f"Bearer {API_KEY}"}, "/ws/dashboard"), (None, f"/ws/nodes?api_key={API_KEY}")]:
        accepted = WebSocket(port, path, headers)
        try:
            assert accepted.upgraded, accepted.status_line
            assert accepted.receive()["type"] in ("dashboard", "nodes")
        finally:
            accepted.close()


def test_the_log_stream_sends_the_last_lines_then_each_new_one_then_end(jobs_server):
    base, port = jobs_server.base_url, jobs_server.http_port
    token = claimed_job(base, "ws-logs", "ws-logger")
    post_lines(base, "ws-logs", token, range(1, 11))
    follower = WebSocket(port, f"/ws/jobs/ws-logs/logs?tail=3&api_key={API_KEY}")
    try:
        assert follower.upgraded, follower.status_line
        catch_up = [follower.receive() for _ in range(3)]
        assert [m["line"] for m in catch_up] == ["line 8", "line 9", "line 10"], catch_up
        post_lines(base, "ws-logs", token, range(11, 21))
        live = [follower.receive() for _ in range(10)]
        assert [m["line"] for m in live] == [f"line {n}" for n in range(11, 21)], live
        ok(base, "POST", "/api/jobs/finish", {"jobId": "ws-logs", "attempt": 1, "status": "finished", "exitCode": 0}, token=token)
        assert follower.receive() == {"type": "end", "jobId": "ws-logs", "status": "finished"}
        assert follower.receive() is None and follower.close_code == 1000
    finally:
        follower.close()
    assert streamed(catch_up + live) == stored_lines(base, "ws-logs")[-13:]
    # After the end: the catch-up alone (tail beyond the maximum is clamped), then `end`.
    ended = WebSocket(port, f"/ws/jobs/ws-logs/logs?tail=999999&api_key={API_KEY}")
    try:
        messages = list(ended.messages())
    finally:
        ended.close()
    assert streamed(messages[:-1]) == stored_lines(base, "ws-logs") and messages[-1]["type"] == "end"


def test_the_log_stream_of_a_running_agent_matches_its_stored_logs(jobs_server):
    base, port = jobs_server.base_url, jobs_server.http_port
    create_job(base, "streamed", "import time\nfor n in range(400):\n    print(f'step {n}', flush=True)\n    if n % 100 == 0: time.sleep(0.3)\n",
               runtimeMinutesEstimate=1)
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-ws-") as work_dir:
        agent = AgentProcess(base, work_dir, "streamer")
        try:
            wait_for(lambda: stored_lines(base, "streamed"), 60, "the job's first lines")
            follower = WebSocket(port, f"/ws/jobs/streamed/logs?tail=5&api_key={API_KEY}")
            try:
                assert follower.upgraded, follower.status_line
                messages = list(follower.messages())
            finally:
                follower.close()
        finally:
            assert agent.stop() == 0, agent.output()
    assert messages[-1] == {"type": "end", "jobId": "streamed", "status": "finished"}, messages[-1]
    lines, stored = streamed(messages[:-1]), stored_lines(base, "streamed")
    # The catch-up (the last 5 lines stored when it connected), then every later line, in order.
    assert len(lines) > 5 and lines == stored[len(stored) - len(lines):], (len(lines), len(stored))
    assert lines[-1][2] == "step 399"
    assert [line for _, _, line in stored if line.startswith("step")] == [f"step {n}" for n in range(400)]


def test_the_dashboard_and_nodes_streams_send_a_message_on_a_change(jobs_server):
    base, port = jobs_server.base_url, jobs_server.http_port
    dashboard = WebSocket(port, f"/ws/dashboard?api_key={API_KEY}")
    nodes = WebSocket(port, f"/ws/nodes?api_key={API_KEY}")
    try:
        first = dashboard.receive()
        assert first["type"] == "dashboard" and set(first["jobStats"]) >= {"pending", "running", "finished", "total"}, first
        assert nodes.receive()["type"] == "nodes"
        ok(base, "POST", "/api/jobs/create", {"jobId": "ws-dashboard-change"})
        # Other messages may come between (a node turning inactive changes activeNodes).
        while (moved := dashboard.receive())["jobStats"]["total"] == first["jobStats"]["total"]:
            pass
        assert moved["jobStats"]["total"] == first["jobStats"]["total"] + 1, (first, moved)
        assert moved["jobStats"]["pending"] == first["jobStats"]["pending"] + 1, (first, moved)
        register(base, "ws-new-node")
        new_node = None
        while new_node is None:
            new_node = next((node for node in nodes.receive()["nodes"] if node["nodeId"] == "ws-new-node"), None)
        assert new_node == {"nodeId": "ws-new-node", "status": "active", "runningJobs": 0}, new_node
    finally:
        dashboard.close()
        nodes.close()


def test_a_client_that_takes_nothing_is_disconnected_and_others_are_served(jobs_server):
    base, port = jobs_server.base_url, jobs_server.http_port
    token = claimed_job(base, "ws-flood", "ws-flooder")
    wide = "x" * 8000
    for start in range(0, 1000, 100):  # 8 MB: more than the kernel's socket buffers hold
        # The node beats as an agent does: ten posts of 800 KB outlast the 2 s lease in a debug build.
        ok(base, "POST", "/api/nodes/heartbeat", {"jobs": ["ws-flood"]}, token=token)
        post_lines(base, "ws-flood", token, range(start + 1, start + 101), text=lambda n: f"{n} {wide}")
    ok(base, "POST", "/api/jobs/finish", {"jobId": "ws-flood", "attempt": 1, "status": "finished", "exitCode": 0}, token=token)
    stalled = WebSocket(port, f"/ws/jobs/ws-flood/logs?tail=1000&api_key={API_KEY}", receive_buffer_bytes=4096)
    assert stalled.upgraded, stalled.status_line
    # Read nothing; ping until the server has dropped us (a write to a closed peer is reset).
    deadline = time.monotonic() + SEND_TIMEOUT_MS / 1000 + 30
    dropped = False
    while not dropped and time.monotonic() < deadline:
        try:
            stalled.sock.sendall(bytes([0x89, 0x80]) + os.urandom(4))
            time.sleep(0.2)
        except (ConnectionResetError, BrokenPipeError):
            dropped = True
    stalled.sock.close()
    assert dropped, "a client that took nothing for the send timeout was still connected"
    reader = WebSocket(port, f"/ws/jobs/ws-flood/logs?tail=1000&api_key={API_KEY}")
    try:
        messages = list(reader.messages())
    finally:
        reader.close()
    assert len(messages) == 1001 and messages[-1]["type"] == "end", len(messages)
    assert [m["lineNo"] for m in messages[:-1]] == list(range(1, 1001))


def test_an_open_socket_does_not_hold_the_servers_graceful_stop():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-ws-stop-") as data_dir:
        server = Server(data_dir)
        watcher = WebSocket(server.http_port, f"/ws/dashboard?api_key={API_KEY}")
        try:
            assert watcher.receive()["type"] == "dashboard"
            # The client reads nothing until the server has stopped: the stop must not wait for it.
            code, output = server.stop()
            assert code == 0 and "checkpointed and closed" in output, output
            assert watcher.receive() is None and watcher.close_code == 1000, watcher.close_code
        finally:
            watcher.close()
