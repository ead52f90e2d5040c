"""Seed 004's vector-store surface (/v1) of a real `vireo serve`, over plain HTTP (urllib):
stores, uploads of text, PDF, DOCX and a file large enough for background processing,
search with filters, pagination, deletion, and the error envelope."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import API_KEY
from documents import multipart, tiny_docx, tiny_pdf

POLL_DEADLINE_S = 300


class Answer:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text

    def json(self):
        return json.loads(self.text)


class Client:
    """The few calls the tests make, over the standard library."""

    def __init__(self, base_url, key=API_KEY):
        self.base_url = base_url
        self.key = key

    def request(self, method, path, json_body=None, data=None, files=None, params=None):
        body, content_type = None, None
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        elif data is not None or files is not None:
            body, content_type = multipart(data, files)
        url = self.base_url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {"Content-Type": content_type} if content_type else {}
        if self.key:
            headers["X-API-Key"] = self.key
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method, headers=headers), timeout=30) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode())

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, json=None, data=None, files=None):
        return self.request("POST", path, json_body=json, data=data, files=files)

    def delete(self, path):
        return self.request("DELETE", path)


@pytest.fixture()
def client(server):
    return Client(server.base_url)


def create_store(client, name):
    response = client.post("/v1/vector_stores", json={"name": name, "metadata": {"suite": "e2e"}})
    assert response.status_code == 201, response.text
    return response.json()


def wait_until_processed(client, store_id, file_id):
    """Polls the file's status as a client of the seed does, until it leaves in_progress."""
    deadline = time.monotonic() + POLL_DEADLINE_S
    while True:
        body = client.get(f"/v1/vector_stores/{store_id}/files/{file_id}").json()
        if body["status"] != "in_progress" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_maia_flow_uploads_pdf_docx_text_and_searches(client):
    store = create_store(client, "handbook")
    assert store["object"] == "vector_store" and store["file_counts"]["total"] == 0
    store_id = store["id"]
    files = f"/v1/vector_stores/{store_id}/files"

    pdf = client.post(files, files={"file": ("volcano.pdf", tiny_pdf(["Volcanoes erupt molten lava and ash.", "Magma rises from the mantle."]), "application/pdf")},
                      data={"attributes": json.dumps({"department": "geology"})})
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["status"] == "completed" and pdf.json()["content_type"] == "application/pdf" and pdf.json()["chunk_count"] >= 1
    docx = client.post(files, files={"file": ("baking.docx", tiny_docx(["Knead the dough for ten minutes.", "Bake the bread until golden."]))},
                       data={"attributes": json.dumps({"department": "kitchen"})})
    assert docx.status_code == 201, docx.text
    assert docx.json()["content_type"].endswith("wordprocessingml.document") and docx.json()["status"] == "completed"
    text = client.post(files, data={"text": "Rivers carve canyons over millions of years.", "filename": "rivers.md"})
    assert text.status_code == 201 and text.json()["filename"] == "rivers.md" and text.json()["attributes"] is None

    large = client.post(files, files={"file": ("atlas.txt", ("Glaciers move slowly across the northern valleys. " * 1500).encode())})
    assert large.status_code == 201, large.text
    assert large.json()["status"] == "in_progress" and large.json()["bytes"] > 50 * 1024
    done = wait_until_processed(client, store_id, large.json()["id"])
    assert done["status"] == "completed" and done["chunk_count"] > 1, done

    found = client.post(f"/v1/vector_stores/{store_id}/search", json={"query": "molten lava from volcanoes", "max_results": 3}).json()
    assert found["search_query"] == "molten lava from volcanoes"
    assert found["data"][0]["filename"] == "volcano.pdf" and "lava" in found["data"][0]["content"], found
    assert found["data"][0]["file_attributes"] == {"department": "geology"}
    scores = [hit["score"] for hit in found["data"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= score <= 1 for score in scores)
    kitchen = client.post(f"/v1/vector_stores/{store_id}/search",
                          json={"query": "molten lava", "filter": {"department": "kitchen"}}).json()
    assert {hit["filename"] for hit in kitchen["data"]} == {"baking.docx"} and "dough" in kitchen["data"][0]["content"]
    counted = client.get(f"/v1/vector_stores/{store_id}").json()["file_counts"]
    assert counted == {"in_progress": 0, "completed": 4, "cancelled": 0, "failed": 0, "total": 4}

    deleted = client.delete(f"/v1/vector_stores/{store_id}")
    assert deleted.json() == {"id": store_id, "object": "vector_store.deleted", "deleted": True}
    assert client.get(f"/v1/vector_stores/{store_id}").status_code == 404


def test_maia_pagination(client):
    ids = [create_store(client, f"page-{index}")["id"] for index in range(3)]
    first = client.get("/v1/vector_stores", params={"limit": 2, "order": "asc"}).json()
    seen = [store["id"] for store in first["data"]]
    offset = 2
    while first["has_more"]:
        first = client.get("/v1/vector_stores", params={"limit": 2, "order": "asc", "offset": offset}).json()
        seen += [store["id"] for store in first["data"]]
        offset += 2
    assert seen[-3:] == ids and first["last_id"] == ids[-1]


def test_maia_errors_use_the_seed_envelope(client, server):
    store_id = create_store(client, "errors")["id"]
    files = f"/v1/vector_stores/{store_id}/files"
    cases = [
        ({"files": {"file": ("tool.exe", b"MZ")}}, "unsupported"),
        ({"files": {"file": ("empty.pdf", tiny_pdf([]))}}, "empty PDF"),
        ({"files": {"file": ("bad.txt", b"\xff\xfe")}}, "invalid UTF-8"),
        ({"data": {"text": "hello", "attributes": "[1]"}}, "attributes not an object"),
        ({"data": {"text": "hello"}, "files": {"file": ("a.txt", b"hi")}}, "both"),
        ({"data": {"filename": "a.txt"}, "files": {"other": ("x.txt", b"x")}}, "neither"),
    ]
    for arguments, name in cases:
        response = client.post(files, **arguments)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"]["type"] == "validation_error" and response.json()["error"]["code"] == 400, name
    missing = client.get("/v1/vector_stores/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json() == {"error": {"message": missing.json()["error"]["message"], "type": "not_found", "code": 404}}
    unauthorized = Client(server.base_url, key=None).get("/v1/vector_stores")
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["type"] == "http_error"
    assert client.post(f"/v1/vector_stores/{store_id}/search", json={"query": "x", "max_results": 101}).status_code == 400
