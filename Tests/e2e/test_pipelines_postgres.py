"""The PostgreSQL connector against a real PostgreSQL 15 this test starts (initdb into a
temporary directory, as the differential test does): connection test, schema discovery,
profile, preview, and a pipeline that reads a table through a cursor in batches and a query
with a bound parameter, landing rows in Vireo."""
import subprocess
import tempfile

import pytest

from conftest import Server
from test_pipelines import connector, create_pipeline, http, ok
from test_postgres_differential import PG_BIN, PostgresCluster

SECRET = "pg-secret-pass-8812"


@pytest.fixture(scope="module")
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/initdb): `make test` installs it")
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-etl-pg-") as directory:
        running = PostgresCluster(directory)
        psql = [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(running.port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
        script = """
            CREATE TABLE customers (id integer PRIMARY KEY, email varchar(255) NOT NULL, spend numeric(10,2), vip boolean,
                                    joined timestamp, profile jsonb);
            INSERT INTO customers SELECT g, 'user' || g || '@example.com', g * 1.5, g % 5 = 0, timestamp '2024-01-01' + g * interval '1 day',
                                         jsonb_build_object('n', g) FROM generate_series(1, 1234) g;
            CREATE SCHEMA sales;
            CREATE TABLE sales.orders (id bigint, customer_id integer, total double precision);
            INSERT INTO sales.orders SELECT g, g % 100, g * 2.0 FROM generate_series(1, 50) g;
        """
        subprocess.run(psql + ["-c", script], check=True, capture_output=True)
        yield running
        running.stop()


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-etl-pgv-") as data:
        running = Server(data)
        yield running
        code, output = running.stop()
        assert code == 0, output


def test_postgres_connector_discovers_profiles_and_loads(cluster, server):
    base = server.base_url
    pg = connector(base, "analytics", "postgresql",
                   {"host": "127.0.0.1", "port": cluster.port, "database": "postgres", "user": "postgres", "password": SECRET})
    assert pg["test_status"] == "success" and pg["secrets"] == ["password"] and SECRET not in str(pg)
    tables = ok(base, "GET", f"/api/v1/connectors/{pg['id']}/schema")["tables"]
    assert tables == [{"name": "customers", "row_count": 1234, "columns": [
        {"name": "id", "type": "bigint"}, {"name": "email", "type": "text"}, {"name": "spend", "type": "double precision"},
        {"name": "vip", "type": "boolean"}, {"name": "joined", "type": "timestamp"}, {"name": "profile", "type": "jsonb"}]}]
    preview = ok(base, "GET", f"/api/v1/data/preview?source={pg['id']}&table=customers&limit=2")
    assert preview["rows"][0] == {"id": 1, "email": "user1@example.com", "spend": 1.5, "vip": False,
                                  "joined": "2024-01-02T00:00:00Z", "profile": {"n": 1}}
    profile = ok(base, "POST", "/api/v1/data/profile", {"source": pg["id"], "table": "customers", "sample_size": 500})
    assert profile["row_count"] == 1234 and profile["sampled_rows"] == 500
    assert {c["name"]: c["unique"] for c in profile["columns"]}["email"] is True
    status, pipeline = create_pipeline(base, "customers", {
        "source": {"connector_id": pg["id"], "table": "customers"},
        "transforms": [{"sql": "SELECT id, email, spend FROM input WHERE vip"}],
        "target": {"table": "vip_customers", "mode": "replace"}, "batch_size": 100})
    assert status == 201, pipeline
    run = ok(base, "POST", f"/api/v1/pipelines/{pipeline['id']}:run", {"async": False})
    assert run["status"] == "succeeded" and run["rows_read"] == 1234 and run["rows_written"] == 246, run
    assert ok(base, "POST", "/api/v1/query", {"sql": "SELECT sum(spend) FROM vip_customers"})["rows"] == [[sum(g * 1.5 for g in range(5, 1235, 5))]]
    sales = connector(base, "sales", "postgresql", {"host": "127.0.0.1", "port": cluster.port, "user": "postgres", "schema": "sales"})
    status, by_query = create_pipeline(base, "big orders", {
        "source": {"connector_id": sales["id"], "query": "SELECT id, total FROM sales.orders WHERE total > :floor"},
        "target": {"table": "big_orders_pg"}, "params": {"floor": 0}})
    assert status == 201, by_query
    run = ok(base, "POST", f"/api/v1/pipelines/{by_query['id']}:run", {"params": {"floor": 80}, "async": False})
    assert run["status"] == "succeeded" and run["rows_written"] == 10, run
    status, _, refused = http(base, "POST", "/api/v1/connectors", {"name": "down", "type": "postgresql",
                                                                   "config": {"host": "127.0.0.1", "port": 1, "user": "postgres"}})
    assert status == 400 and refused["error"]["code"] == "CONNECTION_FAILED"
