"""A real `vireo serve` for the end-to-end tests: a fresh data directory, free ports,
a known API key; stopped with SIGTERM (and checked to exit 0) when the session ends."""
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

API_KEY = "e2e-test-key"
START_TIMEOUT_S = 60


def vireo_binary():
    binary = os.environ.get("VIREO_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "vireo")
    if not os.path.exists(binary):
        pytest.fail(f"no vireo binary at {binary}: run `swift build` or set VIREO_BIN")
    return binary


# The hashing embedder keeps the vector-store tests fast and their rankings exact in a debug
# build; test_embedder_minilm.py starts a server of its own with the real model.
DEFAULT_ARGUMENTS = ("--embedder", "hashing")


class Server:
    def __init__(self, data_dir, extra_arguments=(), environment=None):
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [vireo_binary(), "serve", "--data", data_dir, "--pg-port", "0", "--http-port", "0", "--api-key", API_KEY,
             *extra_arguments, *([] if "--embedder" in extra_arguments else DEFAULT_ARGUMENTS)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(environment or {})})
        self.pg_port = None
        self.http_port = None
        self.output = []
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.pg_port is None or self.http_port is None:
            line = self.process.stdout.readline()
            if not line:
                pytest.fail("vireo serve exited before listening:\n" + "".join(self.output))
            self.output.append(line)
            match = re.search(r"pgwire listening on [\d.]+:(\d+)", line)
            if match:
                self.pg_port = int(match.group(1))
            match = re.search(r"REST listening on https?://[\d.]+:(\d+)", line)
            if match:
                self.http_port = int(match.group(1))
            if time.monotonic() > deadline:
                pytest.fail("vireo serve did not start in time:\n" + "".join(self.output))
        # Keep reading the server's output (its access log goes there too), or a full pipe
        # would stop it in the middle of a write.
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self):
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def dsn(self):
        return f"host=127.0.0.1 port={self.pg_port} user=vireo dbname=vireo password={API_KEY} sslmode=disable"

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return self.process.returncode, "".join(self.output)


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-") as data_dir:
        running = Server(data_dir)
        yield running
        code, output = running.stop()
        assert code == 0, f"vireo serve exited with {code} on SIGTERM:\n{output}"
        assert "checkpointed and closed" in output, output


@pytest.fixture(scope="module")
def minilm_server():
    """A server of the test module's own with the native all-MiniLM-L6-v2 (`make test` fetches it)."""
    if not os.environ.get("VIREO_MODEL_DIR"):
        pytest.skip("VIREO_MODEL_DIR is not set: run through `make test`, which fetches the model")
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-minilm-") as data_dir:
        running = Server(data_dir, ["--embedder", "minilm"])
        yield running
        code, output = running.stop()
        assert code == 0, output


@pytest.fixture(scope="session")
def tls_server():
    """A server with a self-signed certificate: HTTPS, and pgwire answering SSLRequest."""
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-tls-") as data_dir:
        certificate, key = os.path.join(data_dir, "cert.pem"), os.path.join(data_dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-keyout", key, "-out", certificate], check=True, capture_output=True)
        running = Server(data_dir, ["--tls-cert", certificate, "--tls-key", key])
        yield running
        code, output = running.stop()
        assert code == 0, f"vireo serve exited with {code} on SIGTERM:\n{output}"


def rest(base_url, method, path, body=None, form=None, timeout=300):
    """(status, parsed JSON body) of one REST call with the test key; error answers are answers too.
    `body` goes as JSON, `form` (name → text) as multipart/form-data."""
    headers = {"X-API-Key": API_KEY}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        boundary = "vireo-e2e-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in form.items()]
        data = ("".join(parts) + f"--{boundary}--\r\n").encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def call(base_url, method, path, body=None, form=None):
    """The parsed body of a REST call that must succeed."""
    status, answer = rest(base_url, method, path, body=body, form=form)
    assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
    return answer
