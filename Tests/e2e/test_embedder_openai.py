"""`vireo serve --embedder openai` against a fake OpenAI-compatible embeddings server run by
this test (http.server on a free loopback port): the probe at start, batching, the API key,
retries on 429/5xx/timeouts with the service's Retry-After, and a 502 embedding_service_error
once the retries are spent or the service refuses outright."""
import hashlib
import json
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import API_KEY, Server, rest as call, vireo_binary

FAKE_KEY = "sk-fake-embeddings"
DIMENSIONS = 16


def fake_vector(text):
    """Feature hashing of lower-cased words: texts that share words are near, so ranking is checkable."""
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % DIMENSIONS] += 1.0 if digest[1] % 2 else -1.0
    # Deliberately not normalised: vireo normalises what it receives.
    return [value * 3.0 for value in vector] if any(vector) else [1.0] + [0.0] * (DIMENSIONS - 1)


class FakeEmbeddings:
    """The fake service's state: requests seen, and the answers to give before the real one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []        # (input list, authorization header)
        self.script = []          # statuses (or "slow") to answer with, one per request, before succeeding
        self.always = None        # a status every request gets, while set

    def next_failure(self):
        with self.lock:
            if self.always is not None:
                return self.always
            return self.script.pop(0) if self.script else None

    def reset(self, script=(), always=None):
        with self.lock:
            self.requests.clear()
            self.script = list(script)
            self.always = always


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *arguments):
            pass

        def answer(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append((body["input"], self.headers.get("Authorization")))
            if self.path != "/v1/embeddings":
                return self.answer(404, {"error": {"message": "no such path"}})
            if self.headers.get("Authorization") != f"Bearer {FAKE_KEY}":
                return self.answer(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
            failure = state.next_failure()
            if failure == "slow":
                time.sleep(1.5)  # past the server's --openai-timeout-ms
            elif failure is not None:
                return self.answer(failure, {"error": {"message": f"fake failure {failure}", "type": "server_error"}},
                                   headers=[("retry-after-ms", "20")] if failure == 429 else [])
            assert body["model"] == "fake-embed" and body["encoding_format"] == "float", body
            data = [{"object": "embedding", "index": index, "embedding": fake_vector(text)}
                    for index, text in reversed(list(enumerate(body["input"])))]  # out of order on purpose
            self.answer(200, {"object": "list", "data": data, "model": "fake-embed", "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    return Handler


@pytest.fixture(scope="module")
def fake():
    state = FakeEmbeddings()
    service = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=service.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{service.server_address[1]}/v1"
    yield state
    service.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def remote_server(fake):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-openai-") as data_dir:
        running = Server(data_dir, ["--embedder", "openai", "--openai-base-url", fake.base_url, "--openai-api-key", FAKE_KEY,
                                    "--openai-model", "fake-embed", "--openai-batch-size", "2", "--openai-retries", "2",
                                    "--openai-timeout-ms", "700"])
        yield running
        code, output = running.stop()
        assert code == 0, output
        assert FAKE_KEY not in output, "the API key must not reach the log"



PARAGRAPHS = ["Owls hunt mice at night in the quiet barn.", "Sailors tie knots on the deck of the ship.",
              "The orchard gives apples and pears every autumn.", "Glaciers carve valleys over thousands of years.",
              "Bakers knead dough before dawn in the village."]


def add_text(base, store_id, text, filename="doc.txt"):
    form = {"text": text, "filename": filename}
    return call(base, "POST", f"/v1/vector_stores/{store_id}/files", form=form)


def test_probe_health_and_log(remote_server, fake):
    status, health = call(remote_server.base_url, "GET", "/health")
    assert status == 200, health
    assert health["embedder"] == {"name": "openai:fake-embed", "dimension": DIMENSIONS, "semantic": True}, health
    assert health["openai_api_key_set"] is True, health
    log = "".join(remote_server.output)
    assert f"embedder: openai:fake-embed at {fake.base_url}/embeddings ({DIMENSIONS} dimensions, batches of 2, 2 retries" in log, log


def test_batches_and_search_through_the_remote_embedder(remote_server, fake):
    base = remote_server.base_url
    fake.reset()
    status, store = call(base, "POST", "/v1/vector_stores", body={"name": "remote"})
    assert status == 201 or status == 200, store
    store_id = store["id"]
    for index, paragraph in enumerate(PARAGRAPHS):
        status, added = add_text(base, store_id, paragraph, filename=f"p{index}.txt")
        assert status in (200, 201) and added["status"] == "completed", added
    sizes = [len(inputs) for inputs, _ in fake.requests]
    assert sizes and max(sizes) <= 2, sizes
    assert all(authorization == f"Bearer {FAKE_KEY}" for _, authorization in fake.requests)
    status, results = call(base, "POST", f"/v1/vector_stores/{store_id}/search", body={"query": "apples and pears", "max_results": 2})
    assert status == 200, results
    assert results["data"][0]["filename"] == "p2.txt", results
    assert fake.requests[-1][0] == ["apples and pears"], "the query is embedded by the remote service"


def test_many_texts_go_in_batches_of_the_configured_size(remote_server, fake):
    base = remote_server.base_url
    fake.reset()
    _, store = call(base, "POST", "/openai/v1/vector_stores", body={"name": "batched"})
    text = "\n\n".join(f"Paragraph {index}: " + " ".join(f"word{index}x{k}" for k in range(120)) for index in range(5))
    _, upload = call_upload(base, "long.txt", text)
    status, added = call(base, "POST", f"/openai/v1/vector_stores/{store['id']}/files",
                         body={"file_id": upload["id"], "chunking_strategy": {"type": "static", "static": {
                             "max_chunk_size_tokens": 100, "chunk_overlap_tokens": 0}}})
    assert status == 200 and added["status"] == "completed", added
    sizes = [len(inputs) for inputs, _ in fake.requests]
    assert sum(sizes) >= 5 and max(sizes) == 2, sizes


def call_upload(base, filename, text):
    boundary = "vireo-e2e-boundary"
    data = (f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f'Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n').encode()
    request = urllib.request.Request(base + "/openai/v1/files", data=data, method="POST",
                                     headers={"X-API-Key": API_KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("script", [[429], [503, 502], ["slow"], [500, 429]])
def test_retryable_failures_are_retried_until_an_answer(remote_server, fake, script):
    base = remote_server.base_url
    _, store = call(base, "POST", "/v1/vector_stores", body={"name": f"retry-{script}"})
    fake.reset(script=script)
    started = time.monotonic()
    status, added = add_text(base, store["id"], "Lanterns glow along the harbour wall.")
    assert status in (200, 201) and added["status"] == "completed", added
    assert len(fake.requests) == len(script) + 1, fake.requests
    assert time.monotonic() - started < 20
    log = "".join(remote_server.output)
    assert "retry 1 of 2" in log, log


def test_a_service_that_keeps_failing_is_a_502_after_the_retries(remote_server, fake):
    base = remote_server.base_url
    _, store = call(base, "POST", "/v1/vector_stores", body={"name": "down"})
    fake.reset(always=503)
    status, error = add_text(base, store["id"], "Nothing will embed this.")
    fake.reset()
    assert status == 502, error
    assert error["error"]["type"] == "embedding_service_error" and error["error"]["code"] == 502, error
    assert "answered 503" in error["error"]["message"] and "after 3 attempts" in error["error"]["message"], error
    _, listing = call(base, "GET", f"/v1/vector_stores/{store['id']}")
    assert listing["file_counts"]["total"] == 0, "a file that could not be embedded is not kept half-done"
    # The OpenAI surface shows the same failure in its own envelope.
    fake.reset(always=500)
    status, error = call(base, "POST", f"/openai/v1/vector_stores/{store['id']}/search", body={"query": "anything"})
    fake.reset()
    assert status == 502 and error["error"]["code"] == "embedding_service_error", error


def test_a_refusal_is_not_retried(remote_server, fake):
    base = remote_server.base_url
    _, store = call(base, "POST", "/v1/vector_stores", body={"name": "refused"})
    fake.reset(always=400)
    status, error = call(base, "POST", f"/v1/vector_stores/{store['id']}/search", body={"query": "anything"})
    seen = len(fake.requests)
    fake.reset()
    assert status == 502 and error["error"]["type"] == "embedding_service_error", error
    assert "answered 400: fake failure 400" in error["error"]["message"], error
    assert seen == 1, f"a 400 cannot get better by retrying, yet {seen} requests were sent"


def test_a_wrong_key_fails_the_start_with_a_clear_message(fake):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-openai-bad-") as data_dir:
        result = subprocess.run([vireo_binary(), "serve", "--data", data_dir, "--pg-port", "0", "--http-port", "0",
                                 "--api-key", API_KEY, "--embedder", "openai", "--openai-base-url", fake.base_url,
                                 "--openai-api-key", "wrong", "--openai-model", "fake-embed"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "probe request failed" in result.stderr + result.stdout and "answered 401: Incorrect API key" in result.stderr + result.stdout, result
