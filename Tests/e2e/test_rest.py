"""The REST API of a real `vireo serve`, over HTTP with the standard library's client."""
import json
import urllib.error
import urllib.request

from conftest import API_KEY


def call(server, method, path, body=None, key=API_KEY):
    request = urllib.request.Request(server.base_url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"X-API-Key": key} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_health_and_ready_need_no_key(server):
    assert call(server, "GET", "/health", key=None) == (200, {
        "status": "ok", "version": "0.1.0", "database": {"status": "ok", "detail": None}, "openai_api_key_set": False,
        "embedder": {"name": "hashing-384", "dimension": 384, "semantic": False}})
    status, _ = call(server, "GET", "/ready", key=None)
    assert status == 200


def test_tables_rows_and_search_over_rest(server):
    status, body = call(server, "POST", "/api/v1/tables", {"name": "rest_items", "columns": {"title": "string", "embedding": "vector(2)"}})
    assert status == 201, body
    status, body = call(server, "POST", "/api/v1/tables/rest_items/rows",
                        {"rows": [{"title": "a", "embedding": [0, 1]}, {"title": "b", "embedding": [5, 5]}]})
    assert status == 201, body
    status, body = call(server, "POST", "/api/v1/tables/rest_items/search", {"column": "embedding", "vector": [0, 0.9], "k": 1})
    assert status == 200, body
    assert [result["row"]["title"] for result in body["results"]] == ["a"]
    status, body = call(server, "POST", "/api/v1/query", {"sql": "SELECT count(*) AS n FROM rest_items", "params": []})
    assert status == 200, body


def test_rest_and_pgwire_share_one_database(server):
    import psycopg
    call(server, "POST", "/api/v1/tables", {"name": "shared", "columns": {"note": "string"}})
    call(server, "POST", "/api/v1/tables/shared/rows", {"rows": [{"note": "from rest"}]})
    with psycopg.connect(server.dsn) as conn:
        assert conn.execute("SELECT note FROM shared").fetchall() == [("from rest",)]


def test_errors_use_the_envelope(server):
    status, body = call(server, "GET", "/api/v1/tables", key="wrong")
    assert status == 401 and body["error"]["code"] and body["request_id"]
    status, body = call(server, "GET", "/api/v1/tables/missing_table")
    assert status == 404


def test_metrics_in_prometheus_text(server):
    import psycopg
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE metered (id bigserial PRIMARY KEY, v vector(2))")
        conn.execute("INSERT INTO metered (v) VALUES ('[1,2]'), ('[3,4]')")
        conn.execute("CREATE INDEX metered_v ON metered USING hnsw (v vector_l2_ops)")
        conn.execute("SELECT id FROM metered ORDER BY v <-> '[1,1]' LIMIT 1")
    call(server, "GET", "/health", key=None)
    request = urllib.request.Request(server.base_url + "/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    assert 'vireo_http_requests_total{route="/health",method="GET",status="200"}' in text
    assert 'vireo_pgwire_statements_total{command="SELECT"}' in text
    assert "# TYPE vireo_wal_fsyncs_total counter" in text
    moved = [line for line in text.splitlines() if line.startswith('vireo_commits_merged_total{path="moved_whole"}')]
    assert moved and int(moved[0].split()[-1]) >= 1, "the INSERT above committed through the group-commit leader"
    assert 'vireo_vector_index_vectors{index="metered_v"} 2' in text
    status, _ = call(server, "GET", "/metrics", key=None)
    assert status == 401
