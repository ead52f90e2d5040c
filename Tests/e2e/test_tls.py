"""TLS: pgwire with sslmode=require (psycopg and psql), HTTPS for REST."""
import json
import os
import ssl
import subprocess
import urllib.request

import psycopg

from conftest import API_KEY


def test_pgwire_sslmode_require(tls_server):
    dsn = tls_server.dsn.replace("sslmode=disable", "sslmode=require")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 40 + 2").fetchone() == (42,)
        assert conn.pgconn.ssl_in_use
    result = subprocess.run(["psql", f"postgresql://vireo@127.0.0.1:{tls_server.pg_port}/vireo?sslmode=require", "-X", "-A", "-t",
                             "-c", "SELECT 'over tls'"], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PGPASSWORD=API_KEY))
    assert result.returncode == 0 and result.stdout.strip() == "over tls", result.stderr


def test_plain_pgwire_still_works_beside_tls(tls_server):
    with psycopg.connect(tls_server.dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_rest_over_https(tls_server):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"https://127.0.0.1:{tls_server.http_port}/health", context=context, timeout=30) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_sslmode_require_is_refused_without_tls(server):
    dsn = server.dsn.replace("sslmode=disable", "sslmode=require")
    try:
        psycopg.connect(dsn).close()
        raise AssertionError("a server without TLS accepted sslmode=require")
    except psycopg.OperationalError as error:
        assert "SSL" in str(error)
