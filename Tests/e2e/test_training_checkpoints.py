"""Checkpoints of seed 002's training sessions against a real `vireo serve`: a multipart upload
streamed to disk, downloaded byte for byte with its name and sha256, Range requests, is_best
per session and metric, delete removing the bytes, and the example trainer's own upload."""
import hashlib
import json
import os
import urllib.error
import urllib.request

from conftest import API_KEY, rest
from test_training import configs, create, trainer_server, wait_for_status, write  # noqa: F401 (fixtures)


def upload(server, session_id, epoch, content, metrics, filename="model.pth", extra=None, chunked=False):
    boundary = "ckpt-boundary-7f3a"
    fields = {"session_id": session_id, "epoch": str(epoch), "metrics": json.dumps(metrics), **(extra or {})}
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    headers = {"X-API-Key": API_KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    data = body
    if chunked:  # pieces that cut through the boundary, to exercise the streaming parser
        data = (body[i:i + 4093] for i in range(0, len(body), 4093))
        headers["Transfer-Encoding"] = "chunked"
    request = urllib.request.Request(server.base_url + "/api/v1/checkpoints", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def download(server, checkpoint_id, byte_range=None):
    headers = {"X-API-Key": API_KEY}
    if byte_range:
        headers["Range"] = byte_range
    request = urllib.request.Request(f"{server.base_url}/api/v1/checkpoints/{checkpoint_id}/download", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_upload_and_download_byte_for_byte_with_ranges(trainer_server):
    session_id = create(trainer_server, "fast.yaml")[1]["session_id"]
    content = os.urandom(3 * 1024 * 1024 + 17) + b"\r\n--ckpt-boundary-7f3" + os.urandom(1000)
    status, stored = upload(trainer_server, session_id, 3, content, {"val_loss": 0.4, "val_accuracy": 0.8}, chunked=True)
    assert status == 201, stored
    assert stored["checkpoint_id"].startswith("ckpt_") and stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["file_size_mb"] == round(len(content) / 1048576, 1) and stored["is_best"] is True

    status, headers, body = download(trainer_server, stored["checkpoint_id"])
    assert status == 200 and body == content
    assert int(headers["Content-Length"]) == len(content) and 'filename="model.pth"' in headers["Content-Disposition"]
    assert headers["X-Checksum-SHA256"] == stored["sha256"] and headers["Accept-Ranges"] == "bytes"

    status, headers, body = download(trainer_server, stored["checkpoint_id"], "bytes=100-1099")
    assert status == 206 and body == content[100:1100] and headers["Content-Range"] == f"bytes 100-1099/{len(content)}"
    status, headers, body = download(trainer_server, stored["checkpoint_id"], "bytes=-10")
    assert status == 206 and body == content[-10:]
    status, headers, body = download(trainer_server, stored["checkpoint_id"], f"bytes={len(content)}-")
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(content)}"

    status, listed = rest(trainer_server.base_url, "GET", f"/api/v1/checkpoints?session_id={session_id}")
    assert status == 200 and [c["checkpoint_id"] for c in listed["checkpoints"]] == [stored["checkpoint_id"]]
    entry = listed["checkpoints"][0]
    assert entry["metric_name"] == "val_loss" and entry["metric_value"] == 0.4 and entry["epoch"] == 3 and entry["is_best"]

    path = entry["file_path"]
    assert os.path.getsize(path) == len(content)
    status, answer = rest(trainer_server.base_url, "DELETE", f"/api/v1/checkpoints/{stored['checkpoint_id']}")
    assert status == 200 and answer["message"] == "Checkpoint deleted successfully"
    assert not os.path.exists(path)
    assert download(trainer_server, stored["checkpoint_id"])[0] == 404


def test_is_best_follows_the_metric_per_session(trainer_server):
    session_id = create(trainer_server, "fast.yaml")[1]["session_id"]
    first = upload(trainer_server, session_id, 1, b"one", {"val_loss": 0.5})[1]
    second = upload(trainer_server, session_id, 2, b"two", {"val_loss": 0.3})[1]
    third = upload(trainer_server, session_id, 3, b"three", {"val_loss": 0.4})[1]
    accuracy = upload(trainer_server, session_id, 3, b"acc", {"val_accuracy": 0.9})[1]
    best = {c["checkpoint_id"]: c["is_best"] for c in
            rest(trainer_server.base_url, "GET", f"/api/v1/checkpoints?session_id={session_id}")[1]["checkpoints"]}
    assert best == {first["checkpoint_id"]: False, second["checkpoint_id"]: True, third["checkpoint_id"]: False,
                    accuracy["checkpoint_id"]: True}
    rest(trainer_server.base_url, "DELETE", f"/api/v1/checkpoints/{second['checkpoint_id']}")
    status, remaining = rest(trainer_server.base_url, "GET", f"/api/v1/checkpoints/{third['checkpoint_id']}")
    assert status == 200 and remaining["is_best"] is True


def test_bad_uploads_leave_nothing_behind(trainer_server):
    session_id = create(trainer_server, "fast.yaml")[1]["session_id"]
    status, answer = upload(trainer_server, "sess_missing", 1, b"x", {})
    assert status == 404 and answer["error"]["code"] == "NOT_FOUND", answer
    status, answer = upload(trainer_server, session_id, "soon", b"x", {})
    assert status == 422 and answer["error"]["details"]["field"] == "epoch", answer
    status, answer = upload(trainer_server, session_id, 1, b"x", {"val_loss": 1}, extra={"mode": "sideways"})
    assert status == 422 and answer["error"]["details"]["field"] == "mode", answer
    status, answer = rest(trainer_server.base_url, "POST", "/api/v1/checkpoints", {"session_id": session_id})
    assert status == 400, answer
    directory = os.path.join(trainer_server.data_dir, "training", "checkpoints")
    assert not [name for name in os.listdir(directory) if name.startswith(".upload-")]


def test_the_example_trainer_uploads_its_best_checkpoint(trainer_server, configs):
    write(configs, "uploads.yaml", 'command: ' + json.dumps(f'"{__import__("sys").executable}" "$VIREO_CONFIG_DIR/trainer.py"')
          + "\nepochs: 3\nseconds_per_epoch: 0\n")
    session_id = create(trainer_server, "uploads.yaml")[1]["session_id"]
    rest(trainer_server.base_url, "POST", f"/api/v1/training/sessions/{session_id}/start")
    assert wait_for_status(trainer_server, session_id, {"completed", "failed"})["status"] == "completed"
    checkpoints = rest(trainer_server.base_url, "GET", f"/api/v1/checkpoints?session_id={session_id}")[1]["checkpoints"]
    assert len(checkpoints) == 1 and checkpoints[0]["is_best"] and checkpoints[0]["filename"].endswith(".npz"), checkpoints
    status, _, body = download(trainer_server, checkpoints[0]["checkpoint_id"])
    assert status == 200 and hashlib.sha256(body).hexdigest() == checkpoints[0]["sha256"] and body[:2] == b"PK"
