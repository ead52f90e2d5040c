"""SQL functions, domains and materialized views through real clients: psycopg with parameters
(also past its prepare threshold, so through prepared statements), psql's \\df, \\dD and \\dm,
and a server restart that must keep all three."""
import os
import subprocess
import tempfile

import psycopg
import pytest

from conftest import API_KEY, Server


def psql(server, *arguments):
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-v", "ON_ERROR_STOP=1",
         *arguments], capture_output=True, text=True, env=environment, timeout=60)


def test_psycopg_calls_sql_functions_with_parameters(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE fx_emp (id int PRIMARY KEY, name text, dept int, salary int)")
        conn.cursor().executemany("INSERT INTO fx_emp VALUES (%s, %s, %s, %s)",
                                  [(1, "ada", 1, 120), (2, "bob", 1, 100), (3, "cy", 2, 90)])
        conn.execute("CREATE FUNCTION fx_raise(s integer, pct integer DEFAULT 10) RETURNS integer "
                     "LANGUAGE sql IMMUTABLE AS $$ SELECT s + s * pct / 100 $$")
        conn.execute("CREATE FUNCTION fx_in_dept(d int) RETURNS TABLE (id int, name text) LANGUAGE sql "
                     "AS $$ SELECT id, name FROM fx_emp WHERE dept = d $$")
        for _ in range(6):  # past psycopg's prepare threshold: then a prepared statement
            assert conn.execute("SELECT fx_raise(%s), fx_raise(%s, %s)", (100, 100, 50)).fetchone() == (110, 150)
            rows = conn.execute("SELECT name FROM fx_in_dept(%s) ORDER BY id", (1,)).fetchall()
            assert rows == [("ada",), ("bob",)]
        assert conn.execute("SELECT name, fx_raise(salary) FROM fx_emp ORDER BY id").fetchall() == [("ada", 132), ("bob", 110), ("cy", 99)]
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute("SELECT fx_raise('a', 'b', 'c')")
        with pytest.raises(psycopg.errors.UndefinedObject, match='language "plperl" does not exist'):
            conn.execute("CREATE FUNCTION fx_perl() RETURNS int LANGUAGE plperl AS 'return 1'")
        # PL/pgSQL functions run, with parameters in both protocols.
        conn.execute("CREATE FUNCTION fx_pl(s int) RETURNS int LANGUAGE plpgsql AS 'begin return s * 2; end'")
        for _ in range(6):
            assert conn.execute("SELECT fx_pl(%s)", (21,)).fetchone() == (42,)


def test_psycopg_sees_domain_violations_with_their_sqlstates(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE DOMAIN fx_qty AS integer CHECK (VALUE > 0)")
        conn.execute("CREATE DOMAIN fx_code AS text NOT NULL")
        conn.execute("CREATE TABLE fx_stock (id int PRIMARY KEY, qty fx_qty, code fx_code)")
        conn.execute("INSERT INTO fx_stock VALUES (%s, %s, %s)", (1, 5, "a"))
        with pytest.raises(psycopg.errors.CheckViolation, match='value for domain fx_qty violates check constraint "fx_qty_check"'):
            conn.execute("INSERT INTO fx_stock VALUES (%s, %s, %s)", (2, 0, "b"))
        with pytest.raises(psycopg.errors.NotNullViolation, match="domain fx_code does not allow null values"):
            conn.execute("INSERT INTO fx_stock VALUES (%s, %s, %s)", (2, 1, None))
        cursor = conn.execute("SELECT qty FROM fx_stock")
        assert cursor.fetchall() == [(5,)]
        assert cursor.description[0].type_code == 23, "a domain column is described by its base type, as PostgreSQL does"


def test_materialized_view_refresh_and_no_data(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE fx_src (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO fx_src VALUES (1, 'a'), (2, 'b')")
        conn.execute("CREATE MATERIALIZED VIEW fx_mv AS SELECT id, upper(v) AS u FROM fx_src")
        conn.execute("CREATE MATERIALIZED VIEW fx_mv_later AS SELECT id FROM fx_src WITH NO DATA")
        conn.execute("INSERT INTO fx_src VALUES (3, 'c')")
        assert conn.execute("SELECT count(*) FROM fx_mv").fetchone() == (2,)
        cursor = conn.execute("REFRESH MATERIALIZED VIEW fx_mv")
        assert cursor.statusmessage == "REFRESH MATERIALIZED VIEW"
        assert conn.execute("SELECT u FROM fx_mv WHERE id = %s", (3,)).fetchone() == ("C",)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="has not been populated"):
            conn.execute("SELECT * FROM fx_mv_later")


def test_psql_lists_functions_domains_and_materialized_views(server):
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION fx_listed(a int) RETURNS bigint LANGUAGE sql AS 'SELECT a::bigint * 2'")
        conn.execute("CREATE DOMAIN fx_listed_domain AS text CHECK (VALUE <> '')")
        conn.execute("CREATE TABLE fx_listed_src (id int)")
        conn.execute("CREATE MATERIALIZED VIEW fx_listed_mv AS SELECT id FROM fx_listed_src")
    functions = psql(server, "-c", "\\df fx_listed")
    assert functions.returncode == 0, functions.stderr
    line = next(line for line in functions.stdout.splitlines() if "fx_listed" in line)
    assert "bigint" in line and "a integer" in line and "func" in line, functions.stdout
    domains = psql(server, "-c", "\\dD")
    assert domains.returncode == 0, domains.stderr
    assert "fx_listed_domain" in domains.stdout, domains.stdout
    matviews = psql(server, "-c", "\\dm")
    assert matviews.returncode == 0, matviews.stderr
    assert "fx_listed_mv" in matviews.stdout and "materialized view" in matviews.stdout, matviews.stdout


def test_functions_domains_and_materialized_views_survive_a_restart():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-") as data_dir:
        running = Server(data_dir)
        try:
            with psycopg.connect(running.dsn, autocommit=True) as conn:
                conn.execute("CREATE FUNCTION fx_twice(a int) RETURNS int LANGUAGE sql RETURN a * 2")
                conn.execute("CREATE DOMAIN fx_pos AS int CHECK (VALUE > 0)")
                conn.execute("CREATE TABLE fx_keep (id int PRIMARY KEY, n fx_pos)")
                conn.execute("INSERT INTO fx_keep VALUES (1, 4)")
                conn.execute("CREATE MATERIALIZED VIEW fx_keep_mv AS SELECT id, fx_twice(n) AS d FROM fx_keep")
        finally:
            code, output = running.stop()
        assert code == 0, output
        restarted = Server(data_dir)
        try:
            with psycopg.connect(restarted.dsn, autocommit=True) as conn:
                assert conn.execute("SELECT id, d, fx_twice(d) FROM fx_keep_mv").fetchall() == [(1, 8, 16)]
                with pytest.raises(psycopg.errors.CheckViolation):
                    conn.execute("INSERT INTO fx_keep VALUES (2, -1)")
        finally:
            restarted.stop()
