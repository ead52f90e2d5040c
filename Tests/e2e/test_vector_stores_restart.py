"""Background processing survives a crash: a file still in progress when `vireo serve` is
killed (SIGKILL, no shutdown) is processed by the next server on the same data directory."""
import signal
import tempfile
import time

from conftest import Server
from test_vector_stores_maia import Client, wait_until_processed


def wait_until_idle(pid, limit_seconds=120):
    """Waits until the server stops using the CPU. The file reads as completed once its last
    chunks are committed, but that commit then brings the in-memory vector index up to date
    (hundreds of chunks: seconds in a debug build), and a SIGTERM meanwhile finds work in
    flight longer than the shutdown grace of 10 s, which ends the server with status 1."""
    def cpu_ticks():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    deadline = time.time() + limit_seconds
    last = cpu_ticks()
    while time.time() < deadline:
        time.sleep(1)
        now = cpu_ticks()
        if now - last < 10:  # under a tenth of a core
            return
        last = now


def test_a_file_in_progress_when_the_server_dies_is_finished_after_restart():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-restart-") as data_dir:
        first = Server(data_dir)
        client = Client(first.base_url)
        store_id = client.post("/v1/vector_stores", json={"name": "crash"}).json()["id"]
        # About 1 MB: hundreds of chunks, far more than the moments before the kill allow.
        text = "Rivers carry sediment to the delta, where it settles in layers. " * 16_000
        upload = client.post(f"/v1/vector_stores/{store_id}/files", files={"file": ("delta.txt", text.encode())})
        assert upload.status_code == 201 and upload.json()["status"] == "in_progress", upload.text
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)

        second = Server(data_dir)
        try:
            client = Client(second.base_url)
            done = wait_until_processed(client, store_id, upload.json()["id"])
            assert done["status"] == "completed" and done["chunk_count"] > 400, done
            hits = client.post(f"/v1/vector_stores/{store_id}/search", json={"query": "sediment in the delta", "max_results": 1}).json()
            assert hits["data"][0]["filename"] == "delta.txt"
            wait_until_idle(second.process.pid)
        finally:
            code, output = second.stop()
        assert code == 0, output
