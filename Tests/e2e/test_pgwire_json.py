"""PostgreSQL's json type (beside jsonb) through psycopg, which decodes a column by its type
OID: json is 114 and keeps its text as written, json[] is 199, jsonb is 3802; the json
constructors print PostgreSQL's text."""
import os
import subprocess

import psycopg
import pytest
from psycopg.types.json import Json

from conftest import API_KEY


def test_a_json_column_arrives_as_oid_114_and_decodes(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE e2e_json_docs (id int PRIMARY KEY, j json, b jsonb)")
        conn.execute("INSERT INTO e2e_json_docs VALUES (1, %s, %s)", ('{"b":1,  "a":[1, 2 ]}', '{"b":1,  "a":2}'))
        conn.execute("INSERT INTO e2e_json_docs VALUES (2, %s, %s)", (Json({"k": "v"}), Json([1])))
        cursor = conn.execute("SELECT j, b, j::text, array[j] FROM e2e_json_docs ORDER BY id")
        assert [column.type_code for column in cursor.description] == [114, 3802, 25, 199]
        rows = cursor.fetchall()
        assert rows[0][:3] == ({"b": 1, "a": [1, 2]}, {"a": 2, "b": 1}, '{"b":1,  "a":[1, 2 ]}')
        assert rows[1][0] == {"k": "v"} and rows[1][1] == [1]
        assert rows[0][3] == [{"b": 1, "a": [1, 2]}]


def test_json_constructors_and_operators_answer_as_postgresql(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT json_build_object('a', 1, 'b', array[1,2])::text, to_json(date '2024-01-02')::text,"
            " '{\"a\": [1, 2 ]}'::json -> 'a', pg_typeof('{}'::json)::text").fetchone()
        assert row == ('{"a" : 1, "b" : [1,2]}', '"2024-01-02"', [1, 2], "json")
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute("SELECT '{}'::json = '{}'::json")


def test_psql_describes_a_json_column_as_json(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE e2e_json_described (j json, b jsonb)")
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    described = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-A", "-t",
         "-c", "\\d e2e_json_described"], capture_output=True, text=True, env=environment, timeout=60)
    assert described.returncode == 0, described.stderr
    assert described.stdout.splitlines()[:2] == ["j|json|||", "b|jsonb|||"], described.stdout
