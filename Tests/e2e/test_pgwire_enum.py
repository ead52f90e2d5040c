"""Enum types (CREATE TYPE … AS ENUM) through real clients: psql's \\dT and \\d, psycopg with
parameters, asyncpg (which introspects a type OID it does not know) and the REST core."""
import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.request

import psycopg

from conftest import API_KEY


def psql(server, *arguments):
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-v", "ON_ERROR_STOP=1",
         *arguments], capture_output=True, text=True, env=environment, timeout=60)


def setup_type(server, type_name, table):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TYPE {type_name} AS ENUM ('low', 'mid', 'high')")
        conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, level {type_name})")


def test_psql_lists_enum_types_and_names_them_in_table_descriptions(server):
    setup_type(server, "e2e_level", "e2e_levels")
    types = psql(server, "-c", "\\dT")
    assert types.returncode == 0, types.stderr
    assert "e2e_level" in types.stdout, types.stdout
    described = psql(server, "-c", "\\d e2e_levels")
    assert described.returncode == 0, described.stderr
    assert any("level" in line and "e2e_level" in line for line in described.stdout.splitlines()), described.stdout
    labels = psql(server, "-A", "-t", "-c", "\\dT+ e2e_level")
    assert labels.returncode == 0, labels.stderr
    assert "low" in labels.stdout and "high" in labels.stdout, labels.stdout


def test_psycopg_inserts_and_selects_an_enum_column_with_parameters(server):
    setup_type(server, "pg_level", "pg_levels")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.cursor().executemany("INSERT INTO pg_levels VALUES (%s, %s)", [(1, "high"), (2, "low"), (3, "mid"), (4, "low")])
        rows = conn.execute("SELECT id, level FROM pg_levels WHERE level > %s ORDER BY level, id", ("low",)).fetchall()
        assert rows == [(3, "mid"), (1, "high")]
        for _ in range(6):  # past psycopg's prepare threshold: then a prepared statement
            assert conn.execute("SELECT count(*) FROM pg_levels WHERE level = %s", ("low",)).fetchone() == (2,)
        cursor = conn.execute("SELECT level FROM pg_levels WHERE id = 1")
        type_oid = conn.execute("SELECT oid FROM pg_type WHERE typname = 'pg_level'").fetchone()[0]
        assert cursor.description[0].type_code == type_oid
        binary = conn.cursor(binary=True).execute("SELECT level FROM pg_levels WHERE id = 2").fetchone()
        assert binary[0] in ("low", b"low")
        try:
            conn.execute("INSERT INTO pg_levels VALUES (%s, %s)", (9, "extreme"))
            raise AssertionError("a label the type does not have was accepted")
        except psycopg.errors.InvalidTextRepresentation as error:
            assert 'invalid input value for enum pg_level: "extreme"' in str(error)


def test_asyncpg_reads_and_binds_an_enum_column(server):
    import asyncpg
    setup_type(server, "apg_level", "apg_levels")

    async def scenario():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", database="vireo",
                                     password=API_KEY, ssl=False)
        try:
            await conn.executemany("INSERT INTO apg_levels VALUES ($1, $2)", [(1, "high"), (2, "low"), (3, "mid")])
            rows = await conn.fetch("SELECT id, level FROM apg_levels WHERE level >= $1 ORDER BY level", "mid")
            assert [tuple(row) for row in rows] == [(3, "mid"), (1, "high")]
            assert await conn.fetchval("SELECT min(level) FROM apg_levels") == "low"
        finally:
            await conn.close()
    asyncio.run(scenario())


def rest(server, method, path, body=None):
    request = urllib.request.Request(server.base_url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-API-Key": API_KEY})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_rest_shows_an_enum_column_and_refuses_a_bad_label(server):
    setup_type(server, "rest_level", "rest_levels")
    status, body = rest(server, "GET", "/api/v1/tables/rest_levels")
    assert status == 200, body
    assert "rest_level" in json.dumps(body), body
    status, body = rest(server, "POST", "/api/v1/tables/rest_levels/rows", {"rows": [{"id": 1, "level": "mid"}]})
    assert status == 201, body
    status, body = rest(server, "POST", "/api/v1/tables/rest_levels/rows", {"rows": [{"id": 2, "level": "extreme"}]})
    assert 400 <= status < 500, body
    assert "extreme" in json.dumps(body), body
    status, body = rest(server, "POST", "/api/v1/query", {"sql": "SELECT level FROM rest_levels", "params": []})
    assert status == 200 and "mid" in json.dumps(body), body
