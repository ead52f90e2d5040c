"""Pipeline targets outside Vireo against a real `vireo serve`: CSV and JSON-lines files in a
folder under a connector root (append, replace; upsert refused on save), a SQLite file created by
the first run (append, upsert by key, replace), each checked by reading the written file or
database with Python's own csv, json and sqlite3. The PostgreSQL target is in
test_pipelines_postgres.py."""
import csv
import json
import os
import sqlite3

from test_pipelines import connector, create_pipeline, etl, http, ok  # noqa: F401 (fixture)


def source(base):
    return connector(base, "shop for targets", "sqlite", {"path": "shop.db"})


def run(base, pipeline_id, **params):
    answer = ok(base, "POST", f"/api/v1/pipelines/{pipeline_id}:run", {"params": params, "async": False})
    assert answer["status"] == "succeeded", answer
    return answer


def test_csv_and_jsonl_files_are_appended_and_replaced(etl):
    base = etl.base_url
    os.makedirs(os.path.join(etl.root, "exports"), exist_ok=True)
    shop = source(base)
    files = {kind: connector(base, f"exports {kind}", kind, {"path": "exports"}, role="target") for kind in ("csv", "jsonl")}
    step = [{"sql": "SELECT id, customer, amount, note FROM input WHERE id <= :last ORDER BY id"}]
    pipelines = {}
    for kind, target in files.items():
        status, pipelines[kind] = create_pipeline(base, f"to {kind}", {
            "source": {"connector_id": shop["id"], "table": "orders"}, "transforms": step,
            "target": {"connector_id": target["id"], "table": "big_orders", "mode": "append"}, "params": {"last": 3}})
        assert status == 201 and f"connector {target['id']}" in pipelines[kind]["code"], pipelines[kind]
    for kind, pipeline in pipelines.items():
        assert run(base, pipeline["id"], last=2)["rows_written"] == 2
        assert run(base, pipeline["id"], last=3)["rows_written"] == 3
    with open(os.path.join(etl.root, "exports", "big_orders.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "customer", "amount", "note"] and [r[0] for r in rows[1:]] == ["1", "2", "1", "2", "3"], rows
    assert rows[1] == ["1", "c1", "25", "parcel number 1 for customer c1"]
    with open(os.path.join(etl.root, "exports", "big_orders.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    assert [line["id"] for line in lines] == [1, 2, 1, 2, 3] and lines[0] == {"id": 1, "customer": "c1", "amount": 25, "note": "parcel number 1 for customer c1"}

    status, replacing = create_pipeline(base, "replace csv", {
        "source": {"connector_id": shop["id"], "table": "orders"}, "transforms": [{"sql": "SELECT id, note FROM input WHERE id = 10"}],
        "target": {"connector_id": files["csv"]["id"], "table": "replaced", "mode": "replace"}})
    assert status == 201, replacing
    run(base, replacing["id"])
    run(base, replacing["id"])
    with open(os.path.join(etl.root, "exports", "replaced.csv"), newline="") as f:
        assert list(csv.reader(f)) == [["id", "note"], ["10", "parcel number 10 for customer c1"]]
    # Appending other columns to a file with a header is refused, and the file is left as it was.
    status, other = create_pipeline(base, "other columns", {
        "source": {"connector_id": shop["id"], "table": "orders"}, "transforms": [{"sql": "SELECT id FROM input"}],
        "target": {"connector_id": files["csv"]["id"], "table": "replaced", "mode": "append"}})
    failed = ok(base, "POST", f"/api/v1/pipelines/{other['id']}:run", {"async": False})
    assert failed["status"] == "failed" and "replaced.csv has the columns id, note" in failed["error"], failed
    with open(os.path.join(etl.root, "exports", "replaced.csv"), newline="") as f:
        assert len(list(csv.reader(f))) == 2

    status, _, refused = http(base, "POST", "/api/v1/pipelines", {"name": "upsert file", "definition": {
        "source": {"connector_id": shop["id"], "table": "orders"},
        "target": {"connector_id": files["jsonl"]["id"], "table": "x", "mode": "upsert", "key": ["id"]}}})
    assert status == 422 and refused["error"]["details"]["field"] == "definition.target.mode", refused
    status, _, refused = http(base, "POST", "/api/v1/connectors", {"name": "outside", "type": "csv", "role": "target", "config": {"path": "/tmp"}})
    assert status == 403, refused


def test_a_sqlite_target_is_created_then_upserted_and_replaced(etl):
    base = etl.base_url
    shop = source(base)
    warehouse = connector(base, "warehouse", "sqlite", {"path": "warehouse.db"}, role="target")
    assert warehouse["test_status"] == "success" and not os.path.exists(os.path.join(etl.root, "warehouse.db"))
    definition = {"source": {"connector_id": shop["id"], "table": "orders"},
                  "transforms": [{"sql": "SELECT id, customer, amount * :factor AS amount FROM input WHERE id <= 5"}],
                  "target": {"connector_id": warehouse["id"], "table": "orders_copy", "mode": "upsert", "key": ["id"]}, "params": {"factor": 1}}
    status, upsert = create_pipeline(base, "to sqlite", definition)
    assert status == 201, upsert
    run(base, upsert["id"], factor=1)
    assert run(base, upsert["id"], factor=2)["rows_written"] == 5
    database = sqlite3.connect(os.path.join(etl.root, "warehouse.db"))
    try:
        assert database.execute("SELECT id, customer, amount FROM orders_copy ORDER BY id").fetchall() == \
            [(i, f"c{i % 3}", i * 25.0 * 2) for i in range(1, 6)]
        definition["target"] = {"connector_id": warehouse["id"], "table": "orders_copy", "mode": "replace"}
        definition["transforms"] = [{"sql": "SELECT id, customer, amount FROM input WHERE id = 20"}]
        _, replace = create_pipeline(base, "replace sqlite", definition)
        run(base, replace["id"])
        assert database.execute("SELECT id, amount FROM orders_copy").fetchall() == [(20, 500.0)]
        definition["target"]["mode"] = "append"
        _, append = create_pipeline(base, "append sqlite", definition)
        # The upsert left a unique index on id: appending id 20 again fails, and nothing is written.
        failed = ok(base, "POST", f"/api/v1/pipelines/{append['id']}:run", {"async": False})
        assert failed["status"] == "failed" and "UNIQUE" in failed["error"], failed
        definition["transforms"] = [{"sql": "SELECT id, customer, amount FROM input WHERE id IN (18, 19)"}]
        _, append = create_pipeline(base, "append sqlite 2", definition)
        run(base, append["id"])
        assert database.execute("SELECT id FROM orders_copy ORDER BY id").fetchall() == [(18,), (19,), (20,)]
    finally:
        database.close()
