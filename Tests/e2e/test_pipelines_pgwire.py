"""Seed 001's access tokens over pgwire with psycopg: `--pg-auth cleartext` takes an
administrator's token as the password where it takes an API key; a viewer's or editor's token
is refused (a SQL session reaches every table, as /api/v1/query does), and so are revoked and
unknown tokens. Under SCRAM (the default) a token cannot be verified and only API keys work."""
import subprocess
import tempfile

import psycopg
import pytest

from conftest import API_KEY, Server, vireo_binary
from test_pipelines import ADMIN_EMAIL, ADMIN_PASSWORD, http, login

VIEWER_EMAIL = "viewer@example.com"


def dsn(server, password):
    return f"host=127.0.0.1 port={server.pg_port} user=vireo dbname=vireo password={password} sslmode=disable connect_timeout=30"


def add_user(data, email, role):
    added = subprocess.run([vireo_binary(), "user", "add", email, "--role", role, "--data", data],
                           input=ADMIN_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr


@pytest.fixture(scope="module", params=["cleartext", "scram"])
def pg_server(request):
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-pg-tokens-") as data:
        add_user(data, ADMIN_EMAIL, "admin")
        add_user(data, VIEWER_EMAIL, "viewer")
        server = Server(data, ["--pg-auth", request.param])
        server.auth = request.param
        yield server
        code, output = server.stop()
        assert code == 0, output


def refused(server, password):
    with pytest.raises(psycopg.OperationalError) as failure:
        psycopg.connect(dsn(server, password)).close()
    return str(failure.value)


def test_an_administrators_token_opens_a_sql_session_where_keys_do(pg_server):
    base = pg_server.base_url
    admin = login(base)[2]["access_token"]
    viewer = login(base, VIEWER_EMAIL, ADMIN_PASSWORD)[2]["access_token"]
    with psycopg.connect(dsn(pg_server, API_KEY)) as connection:
        assert connection.execute("SELECT 1 + 1").fetchone() == (2,)
    if pg_server.auth == "scram":
        assert "password authentication failed" in refused(pg_server, admin)
        return
    with psycopg.connect(dsn(pg_server, admin)) as connection:
        connection.execute("CREATE TABLE by_token (id bigint PRIMARY KEY)")
        connection.execute("INSERT INTO by_token VALUES (1)")
        connection.commit()
        assert connection.execute("SELECT count(*) FROM by_token").fetchone() == (1,)
    assert "only an administrator's" in refused(pg_server, viewer)
    assert "password authentication failed" in refused(pg_server, "eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert http(base, "POST", "/api/v1/auth/logout", token=admin)[0] == 200
    assert "password authentication failed" in refused(pg_server, admin)
