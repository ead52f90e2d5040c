"""End to end over a real `vireo serve`: the AI-ETL surface (seed 001) under /api/v1 —
users and JWTs, roles, connectors (CSV, JSON lines, SQLite, Vireo), profile and preview,
pipelines validated on save, generated from a description, run with parameters (waited for
and queued), fired by the scheduler once on time, pagination headers, the error envelope."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import API_KEY, Server, vireo_binary

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "correct horse battery"
SECRET = "s3cr3t-connector-password-4711"


def http(base, method, path, body=None, token=API_KEY, headers=None):
    """(status, headers, parsed body) of one call; `token` goes as a bearer credential."""
    all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    data = None
    if body is not None:
        data, all_headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


def ok(base, method, path, body=None, token=API_KEY):
    status, _, answer = http(base, method, path, body, token)
    assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
    return answer


def write_sources(root):
    with open(os.path.join(root, "orders.csv"), "w") as f:
        f.write("id,customer,amount,note,created_at\n")
        for i in range(1, 41):
            note = f'"order {i}, ""rush"""' if i % 10 == 0 else f"order {i}"
            amount = "" if i == 7 else str(i * 10)
            f.write(f"{i},c{i % 4},{amount},{note},2024-01-{(i % 28) + 1:02d} 10:00:00\n")
    with open(os.path.join(root, "events.jsonl"), "w") as f:
        for i in range(5):
            f.write(json.dumps({"id": i, "kind": "click" if i % 2 else "view", "meta": {"n": i}}) + "\n")
    database = sqlite3.connect(os.path.join(root, "shop.db"))
    database.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount REAL, note TEXT)")
    database.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)",
                         [(i, f"c{i % 3}", float(i * 25), f"parcel number {i} for customer c{i % 3}") for i in range(1, 21)])
    database.commit()
    database.close()


@pytest.fixture(scope="module")
def etl():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-etl-") as directory:
        data, root = os.path.join(directory, "data"), os.path.join(directory, "imports")
        os.makedirs(data)
        os.makedirs(root)
        write_sources(root)
        added = subprocess.run([vireo_binary(), "user", "add", ADMIN_EMAIL, "--role", "admin", "--data", data],
                               input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["role"] == "admin"
        server = Server(data, ["--connector-root", root])
        server.root, server.data = root, data
        yield server
        code, output = server.stop()
        assert code == 0, output


def login(base, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    return http(base, "POST", "/api/v1/auth/login", {"email": email, "password": password}, token=None)


def test_login_refresh_rotation_and_reuse_revokes_the_family(etl):
    base = etl.base_url
    status, _, pair = login(base)
    assert status == 200 and pair["token_type"] == "bearer" and pair["expires_in"] == 3600
    claims = json.loads(base64.urlsafe_b64decode(pair["access_token"].split(".")[1] + "=="))
    assert {"sub", "exp", "iat", "jti"} <= set(claims) and claims["exp"] - claims["iat"] == 3600
    assert ok(base, "GET", "/api/v1/auth/me", token=pair["access_token"])["role"] == "admin"
    status, _, rotated = http(base, "POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, token=None)
    assert status == 200 and rotated["refresh_token"] != pair["refresh_token"]
    status, _, reused = http(base, "POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, token=None)
    assert status == 401 and reused["error"]["code"] == "TOKEN_REUSED", reused
    # The whole family is gone: the rotated refresh token and the access tokens of the login.
    status, _, answer = http(base, "POST", "/api/v1/auth/refresh", {"refresh_token": rotated["refresh_token"]}, token=None)
    assert status == 401 and answer["error"]["code"] == "TOKEN_REVOKED"
    assert http(base, "GET", "/api/v1/auth/me", token=rotated["access_token"])[0] == 401


def test_logout_revokes_and_expired_or_forged_tokens_are_refused(etl):
    base = etl.base_url
    _, _, pair = login(base)
    assert ok(base, "POST", "/api/v1/auth/logout", token=pair["access_token"])["revoked"] is True
    status, headers, answer = http(base, "GET", "/api/v1/auth/me", token=pair["access_token"])
    assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED" and headers["WWW-Authenticate"] == "Bearer"
    assert http(base, "POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, token=None)[0] == 401
    # A token signed with the server's own secret but expired, and one signed with another secret.
    with open(os.path.join(etl.data, "jwt-secret"), "rb") as f:
        secret = f.read()
    claims = json.loads(base64.urlsafe_b64decode(pair["access_token"].split(".")[1] + "=="))
    for key, exp in ((secret, int(time.time()) - 10), (b"x" * 32, int(time.time()) + 600)):
        token = sign({**claims, "exp": exp, "jti": f"forged-{exp}"}, key)
        assert http(base, "GET", "/api/v1/auth/me", token=token)[0] == 401


def sign(claims, key):
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    head = encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + encode(json.dumps(claims).encode())
    return head + "." + encode(hmac.new(key, head.encode(), hashlib.sha256).digest())


def test_failed_logins_are_rate_limited(etl):
    base = etl.base_url
    ok(base, "POST", "/api/v1/users", {"email": "victim@example.com", "password": "the right one", "role": "viewer"})
    statuses = [login(base, "victim@example.com", f"wrong {i}")[0] for i in range(5)]
    assert statuses == [401] * 5
    status, headers, answer = login(base, "victim@example.com", "the right one")
    assert status == 429 and answer["error"]["code"] == "RATE_LIMITED" and int(headers["Retry-After"]) > 0


def test_roles_and_tokens_work_where_keys_do(etl):
    base = etl.base_url
    user = ok(base, "POST", "/api/v1/users", {"email": "viewer@example.com", "password": "viewer password", "role": "viewer"})
    assert user["role"] == "viewer" and "password" not in json.dumps(user)
    status, _, answer = http(base, "POST", "/api/v1/users", {"email": "viewer@example.com", "password": "again12345"})
    assert status == 409 and answer["error"]["details"]["field"] == "email"
    _, _, pair = login(base, "viewer@example.com", "viewer password")
    viewer = pair["access_token"]
    status, _, denied = http(base, "POST", "/api/v1/connectors", {"name": "x", "type": "csv", "config": {"path": "orders.csv"}}, token=viewer)
    assert status == 403 and denied["error"]["code"] == "PERMISSION_DENIED" and denied["error"]["request_id"]
    assert http(base, "GET", "/api/v1/users", token=viewer)[0] == 403
    assert http(base, "GET", "/api/v1/pipelines", token=viewer)[0] == 200
    # Outside the surface routes know no roles (and SQL reaches the users' table): administrators only.
    status, _, denied = http(base, "GET", "/api/v1/tables/vireo_users/rows", token=viewer)
    assert status == 403 and "vireo_users" not in json.dumps(denied).replace("/api/v1/tables/vireo_users/rows", "")
    assert http(base, "POST", "/api/v1/query", {"sql": "SELECT password_hash FROM vireo_users"}, token=viewer)[0] == 403
    _, _, admin = login(base)
    assert http(base, "GET", "/api/v1/tables", token=admin["access_token"])[0] == 200  # a token where API keys go


def connector(base, name, type_, config, **extra):
    return ok(base, "POST", "/api/v1/connectors", {"name": name, "type": type_, "config": config, **extra})


def test_connectors_are_tested_confined_and_keep_secrets_sealed(etl):
    base = etl.base_url
    csv = connector(base, "orders csv", "csv", {"path": "orders.csv"})
    assert csv["test_status"] == "success" and csv["configuration"]["path"] == "orders.csv"
    shop = connector(base, "shop", "sqlite", {"path": os.path.join(etl.root, "shop.db"), "password": SECRET})
    assert shop["secrets"] == ["password"] and SECRET not in json.dumps(shop)
    assert SECRET not in json.dumps(ok(base, "GET", f"/api/v1/connectors/{shop['id']}"))
    status, _, answer = http(base, "POST", "/api/v1/connectors", {"name": "etc", "type": "csv", "config": {"path": "/etc/passwd"}})
    assert status == 403 and answer["error"]["details"]["field"] == "config.path"
    status, _, answer = http(base, "POST", "/api/v1/connectors", {"name": "up", "type": "csv", "config": {"path": "../../etc/passwd"}})
    assert status == 403
    status, _, answer = http(base, "POST", "/api/v1/connectors", {"name": "ch", "type": "clickhouse", "config": {"host": "db"}})
    assert status == 422 and answer["error"]["code"] == "CONNECTOR_UNAVAILABLE"
    tables = ok(base, "GET", f"/api/v1/connectors/{shop['id']}/schema")["tables"]
    assert tables == [{"name": "orders", "row_count": 20, "columns": [
        {"name": "id", "type": "bigint"}, {"name": "customer", "type": "text"},
        {"name": "amount", "type": "double precision"}, {"name": "note", "type": "text"}]}]
    assert ok(base, "POST", f"/api/v1/connectors/{shop['id']}:test")["test_status"] == "success"
    listing = ok(base, "GET", "/api/v1/connectors")
    assert {"csv", "jsonl", "sqlite", "vireo"} <= {t["type"] for t in listing["types"] if t["available"]}
    assert all(t["note"] for t in listing["types"] if not t["available"])
    configured = ok(base, "POST", "/api/v1/connectors-ai/configure",
                    {"description": "Connect to our JSON lines event export", "type": "source", "hints": {"path": "events.jsonl"}})
    assert configured["type"] == "jsonl" and configured["test_status"] == "success"
    events = ok(base, "GET", f"/api/v1/connectors/{configured['id']}/schema")["tables"][0]
    assert events["columns"] == [{"name": "id", "type": "bigint"}, {"name": "kind", "type": "text"}, {"name": "meta", "type": "jsonb"}]
    # The secret is sealed at rest: no file of the data directory holds it in the clear.
    for folder, _, names in os.walk(etl.data):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                assert SECRET.encode() not in f.read(), os.path.join(folder, name)


def test_profile_and_preview_read_through_the_connector(etl):
    base = etl.base_url
    csv = connector(base, "orders for profile", "csv", {"path": "orders.csv"})
    profile = ok(base, "POST", "/api/v1/data/profile", {"source": csv["id"], "table": "orders", "sample_size": 1000})
    assert profile["row_count"] == 40 and profile["sampled_rows"] == 40
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["id"]["unique"] and not columns["id"]["nullable"] and columns["id"]["type"] == "bigint"
    assert columns["amount"]["nullable"] and columns["amount"]["null_percentage"] == 0.025 and columns["amount"]["min"] == 10
    assert columns["customer"]["distinct_count"] == 4 and columns["customer"]["top_values"][0]["count"] == 10
    assert columns["created_at"]["type"] == "timestamp" and "id" in profile["recommendations"]["indexing"]
    assert profile["statistics"]["duplicate_percentage"] == 0
    status, headers, preview = http(base, "GET", f"/api/v1/data/preview?source={csv['id']}&table=orders&limit=3")
    assert status == 200 and preview["row_count"] == 3
    assert preview["rows"][0]["id"] == 1
    ten = ok(base, "GET", f"/api/v1/data/preview?source={csv['id']}&table=orders&limit=10")["rows"][9]
    assert ten["note"] == 'order 10, "rush"'


def create_pipeline(base, name, definition, token=API_KEY):
    status, _, answer = http(base, "POST", "/api/v1/pipelines", {"name": name, "definition": definition}, token)
    return status, answer


def test_pipeline_validated_on_save(etl):
    base = etl.base_url
    shop = connector(base, "shop v", "sqlite", {"path": "shop.db"})
    status, answer = create_pipeline(base, "bad", {"source": {"connector_id": shop["id"], "table": "orders"},
                                                   "transforms": [{"sql": "SELECT nope FROM input"}],
                                                   "target": {"table": "x"}})
    assert status == 422 and answer["error"]["details"]["field"] == "definition.transforms[0].sql", answer
    assert answer["error"]["details"]["sqlstate"] == "42703"
    status, answer = create_pipeline(base, "bad", {"source": {"connector_id": shop["id"], "table": "missing"}, "target": {"table": "x"}})
    assert status == 422 and answer["error"]["details"]["field"] == "definition.source.table"
    status, answer = create_pipeline(base, "bad", {"source": {"connector_id": shop["id"], "table": "orders"},
                                                   "target": {"table": "x", "mode": "upsert"}})
    assert status == 422 and answer["error"]["details"]["field"] == "definition.target.key"
    status, answer = create_pipeline(base, "bad", {"source": {"connector_id": "vireo", "query": "SELECT * FROM vireo_users"},
                                                   "target": {"table": "x"}})
    assert status == 403


def test_pipeline_runs_with_parameters_transform_embedding_and_upsert(etl):
    base = etl.base_url
    shop = connector(base, "shop run", "sqlite", {"path": "shop.db"})
    definition = {
        "source": {"connector_id": shop["id"], "table": "orders"},
        "transforms": [{"name": "big", "sql": "SELECT id, upper(customer) AS customer, amount, note FROM input WHERE amount >= :min"}],
        "embedding": {"column": "note", "target_column": "note_embedding"},
        "target": {"connector_id": "vireo", "table": "big_orders", "mode": "upsert", "key": ["id"]},
        "params": {"min": 0}, "batch_size": 7,
    }
    status, pipeline = create_pipeline(base, "big orders", definition)
    assert status == 201 and pipeline["validation"]["status"] == "passed", pipeline
    assert "WHERE amount >= :min" in pipeline["code"] and [t["id"] for t in pipeline["dag_definition"]["tasks"]] == \
        ["extract", "transform:big", "embed", "load"]
    run = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"min": 300}, "async": False})
    assert run["status"] == "succeeded", run
    assert run["rows_read"] == 20 and run["rows_written"] == 9 and run["progress"] == 100 and run["duration_ms"] >= 0
    rows = ok(base, "POST", "/api/v1/query", {"sql": "SELECT id, customer, vector_dims(note_embedding) FROM big_orders ORDER BY id"})["rows"]
    assert [r[0] for r in rows] == list(range(12, 21)) and rows[0][1] == "C0" and rows[0][2] > 0
    again = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"min": 100}, "async": False})
    assert again["status"] == "succeeded" and again["rows_written"] == 17
    assert ok(base, "POST", "/api/v1/query", {"sql": "SELECT count(*) FROM big_orders"})["rows"] == [[17]]
    status = ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/status")
    assert status["status"] == "succeeded" and status["run_id"] == again["id"] and status["progress"] == 100
    # Queued: answered at once with 202, then the loop runs it.
    status_code, _, queued = http(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"min": 0}})
    assert status_code == 202 and queued["status"] in ("queued", "running", "succeeded")
    finished = wait_for(lambda: ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/runs/{queued['id']}"),
                        lambda run: run["status"] in ("succeeded", "failed"))
    assert finished["status"] == "succeeded" and finished["rows_written"] == 20
    failing = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"params": {"min": "lots"}, "async": False})
    assert failing["status"] == "failed" and "22P02" in failing["error"]
    runs = ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/runs?status=failed")
    assert runs["total"] == 1 and runs["runs"][0]["id"] == failing["id"]
    metrics = ok(base, "GET", f"/api/v1/observability/metrics?metric=pipeline_executions&interval=minute&pipeline_id={pipeline['id']}")
    assert metrics["aggregates"]["total"] == 4 and metrics["aggregates"]["failed"] == 1
    assert metrics["aggregates"]["success_rate"] == 0.75 and sum(m["value"] for m in metrics["metrics"]) == 4
    request = urllib.request.Request(base + "/metrics", headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(request, timeout=30) as response:
        exposition = response.read().decode()
    assert 'vireo_pipeline_runs_total{pipeline="big orders",status="succeeded"} 3' in exposition
    assert 'vireo_pipeline_runs_total{pipeline="big orders",status="failed"} 1' in exposition
    assert 'vireo_pipeline_rows_written_total{pipeline="big orders",status="succeeded"} 46' in exposition


def wait_for(read, done, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_generate_deploy_and_the_scheduler_fires_once_on_time(etl):
    base = etl.base_url
    connector(base, "shop gen", "sqlite", {"path": "shop.db"})
    generated = ok(base, "POST", "/api/v1/pipelines:generate",
                   {"description": "Load orders from the shop sqlite where amount > 400 into vip_orders, upsert by id, every 15 minutes",
                    "project_id": "proj_1", "options": {"optimize": True, "validate": True}})
    assert generated["validation"]["status"] == "passed" and generated["suggested_schedule"] == "*/15 * * * *"
    definition = generated["definition"]
    assert definition["target"] == {"connector_id": "vireo", "table": "vip_orders", "mode": "upsert", "key": ["id"]}
    assert definition["transforms"][0]["sql"] == 'SELECT * FROM input WHERE amount > 400'
    status, _, answer = http(base, "POST", "/api/v1/pipelines:generate", {"description": "copy the unicorns somewhere"})
    assert status == 422 and answer["error"]["details"]["field"] == "description"
    fire_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
    schedule = f"{fire_at.second} {fire_at.minute} {fire_at.hour} * * *"
    deployed = ok(base, "POST", f"/api/v1/pipelines/{generated['id']}:deploy", {"environment": "production", "schedule": schedule})
    assert deployed["deployment"]["schedule"] == schedule and deployed["deployment"]["next_run_at"].startswith(fire_at.strftime("%Y-%m-%dT%H:%M:%S"))
    runs = wait_for(lambda: ok(base, "GET", f"/api/v1/pipelines/{generated['id']}/runs"),
                    lambda page: page["total"] >= 1 and page["runs"][0]["status"] == "succeeded")
    time.sleep(1.5)  # a second firing of the same time would show up by now
    runs = ok(base, "GET", f"/api/v1/pipelines/{generated['id']}/runs")
    assert runs["total"] == 1, runs
    run = runs["runs"][0]
    assert run["trigger"] == "schedule" and run["rows_written"] == 4
    assert run["scheduled_for"].startswith(fire_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert ok(base, "GET", f"/api/v1/pipelines/{generated['id']}")["deployment"]["next_run_at"] > run["scheduled_for"]


def test_list_pagination_headers(etl):
    base = etl.base_url
    ok(base, "POST", "/api/v1/query", {"sql": "CREATE TABLE tiny (id bigint, name text)"})
    ok(base, "POST", "/api/v1/query", {"sql": "INSERT INTO tiny VALUES (1, 'a')"})
    before = ok(base, "GET", "/api/v1/pipelines")["total"]
    for i in range(120):
        status, answer = create_pipeline(base, f"p{i}", {"source": {"connector_id": "vireo", "table": "tiny"}, "target": {"table": f"tiny_copy{i}"}})
        assert status == 201, answer
    total = before + 120
    status, headers, page = http(base, "GET", "/api/v1/pipelines?page=2&per_page=50")
    assert status == 200 and len(page["pipelines"]) == 50 and page["total"] == total
    assert headers["X-Total-Count"] == str(total) and headers["X-Page"] == "2" and headers["X-Per-Page"] == "50"
    links = headers["Link"]
    last = (total + 49) // 50
    for relation, number in (("first", 1), ("prev", 1), ("next", 3), ("last", last)):
        assert f'</api/v1/pipelines?page={number}&per_page=50>; rel="{relation}"' in links, links
    status, _, answer = http(base, "GET", "/api/v1/pipelines?per_page=1000")
    assert status == 422 and answer["error"]["code"] == "VALIDATION_ERROR" and answer["error"]["details"]["field"] == "per_page"


def test_error_envelope_and_storage_advice(etl):
    base = etl.base_url
    status, headers, answer = http(base, "GET", "/api/v1/pipelines/pipe_missing", headers={"X-Request-ID": "req-42"})
    assert status == 404 and answer == {"error": {"code": "NOT_FOUND", "message": "no pipeline pipe_missing",
                                                  "details": {"field": "pipeline_id", "sqlstate": None}, "request_id": "req-42"}}
    advice = ok(base, "POST", "/api/v1/storage/recommend", {"data_profile": {
        "size_gb": 100, "growth_rate": "10GB/month", "access_pattern": "write_heavy", "query_types": ["analytical", "time_series"]}})
    assert advice["projected_size_gb_12_months"] == 220 and advice["partitioning"]["strategy"] == "by_date"
    assert advice["layout"] == "row" and advice["reasons"]


def test_restart_fails_interrupted_runs_and_runs_a_missed_schedule_once():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-etl-restart-") as data:
        server = Server(data)
        base = server.base_url
        ok(base, "POST", "/api/v1/query", {"sql": "CREATE TABLE src (id bigint, name text)"})
        ok(base, "POST", "/api/v1/query", {"sql": "INSERT INTO src VALUES (1, 'a'), (2, 'b')"})
        status, pipeline = create_pipeline(base, "restart", {"source": {"connector_id": "vireo", "table": "src"},
                                                             "target": {"table": "dst", "mode": "replace"}})
        assert status == 201, pipeline
        stuck = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"async": False})
        # As if the server had died in the middle of this run.
        ok(base, "POST", "/api/v1/query", {"sql": "UPDATE vireo_pipeline_runs SET status = 'running' WHERE id = $1", "params": [stuck["id"]]})
        fire_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:deploy",
           {"schedule": f"{fire_at.second} {fire_at.minute} {fire_at.hour} * * *", "timezone": "UTC"})
        code, output = server.stop()
        assert code == 0, output
        time.sleep(max(0.0, (fire_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 1))
        server = Server(data)
        base = server.base_url
        try:
            failed = ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/runs/{stuck['id']}")
            assert failed["status"] == "failed" and "interrupted" in failed["error"]
            runs = wait_for(lambda: ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/runs?status=succeeded"),
                            lambda page: page["total"] >= 1)
            assert runs["total"] == 1 and runs["runs"][0]["trigger"].startswith("schedule"), runs
            time.sleep(1)
            assert ok(base, "GET", f"/api/v1/pipelines/{pipeline['id']}/runs")["total"] == 2
            assert ok(base, "POST", "/api/v1/query", {"sql": "SELECT count(*) FROM dst"})["rows"] == [[2]]
        finally:
            code, output = server.stop()
            assert code == 0, output


class PagedAPI:
    """A JSON API on loopback with 23 records, paged three ways: ?page=&per_page=, a cursor,
    and Link headers; it wants a bearer token."""

    def __init__(self):
        import http.server
        import threading
        import urllib.parse
        records = [{"id": i, "name": f"item {i}", "price": i * 1.25, "tags": ["a"] if i % 2 else []} for i in range(1, 24)]
        self.calls = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.calls.append(self.path)
                if self.headers.get("Authorization") != "Bearer api-token-77":
                    return self.answer(401, {"error": "no"})
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/pages":
                    page, size = int(query.get("page", 1)), int(query.get("per_page", 10))
                    return self.answer(200, {"data": records[(page - 1) * size:page * size]})
                if url.path == "/cursor":
                    start = int(query.get("cursor", 0))
                    following = start + 10 if start + 10 < len(records) else None
                    return self.answer(200, {"items": records[start:start + 10], "meta": {"next": following}})
                start = int(query.get("offset", 0))
                link = f'</linked?offset={start + 10}>; rel="next"' if start + 10 < len(records) else None
                return self.answer(200, records[start:start + 10], link)

            def answer(self, status, body, link=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if link:
                    self.send_header("Link", link)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_http_json_connector_reads_every_page_three_ways(etl):
    base, api = etl.base_url, PagedAPI()
    try:
        ways = [
            ({"url": api.base + "/pages", "records_path": "data", "pagination": {"type": "page", "param": "page", "size_param": "per_page", "size": 10}}, 3),
            ({"url": api.base + "/cursor", "records_path": "items", "pagination": {"type": "cursor", "param": "cursor", "cursor_path": "meta.next"}}, 3),
            ({"url": api.base + "/linked", "pagination": {"type": "link"}}, 3),
        ]
        for number, (config, pages) in enumerate(ways):
            made = connector(base, f"api {number}", "http_json", {**config, "table": "items", "token": "api-token-77"})
            assert made["secrets"] == ["token"] and "api-token-77" not in json.dumps(made)
            schema = ok(base, "GET", f"/api/v1/connectors/{made['id']}/schema")["tables"]
            assert schema == [{"name": "items", "row_count": None, "columns": [
                {"name": "id", "type": "bigint"}, {"name": "name", "type": "text"}, {"name": "price", "type": "double precision"},
                {"name": "tags", "type": "jsonb"}]}]
            status, pipeline = create_pipeline(base, f"api {number}", {"source": {"connector_id": made["id"], "table": "items"},
                                                                       "target": {"table": f"api_items_{number}", "mode": "replace"}, "batch_size": 4})
            assert status == 201, pipeline
            before = len(api.calls)
            run = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"async": False})
            assert run["status"] == "succeeded" and run["rows_read"] == 23 and run["rows_written"] == 23, run
            assert len(api.calls) - before == 2 * pages  # one pass for the columns, one for the rows
            total = ok(base, "POST", "/api/v1/query", {"sql": f"SELECT count(DISTINCT id), sum(price) FROM api_items_{number}"})["rows"]
            assert total == [[23, sum(i * 1.25 for i in range(1, 24))]]
        status, _, answer = http(base, "POST", "/api/v1/connectors", {"name": "no token", "type": "http_json", "config": {"url": api.base + "/pages"}})
        assert status == 400 and answer["error"]["code"] == "CONNECTION_FAILED" and "401" in answer["error"]["message"]
    finally:
        api.server.shutdown()
