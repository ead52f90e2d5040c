"""psql, the PostgreSQL shell, against a real `vireo serve`."""
import os
import subprocess

from conftest import API_KEY


def psql(server, *arguments, stdin=None):
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-v", "ON_ERROR_STOP=1",
         *arguments], input=stdin, capture_output=True, text=True, env=environment, timeout=60)


def test_psql_runs_a_script(server):
    script = """
    CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
    INSERT INTO notes (body) VALUES ('first'), ('second');
    SELECT body FROM notes ORDER BY id;
    """
    result = psql(server, "-A", "-t", stdin=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CREATE", "TABLE", "INSERT", "0", "2", "first", "second"]


def test_psql_reports_errors_with_their_position(server):
    result = psql(server, "-c", "SELECT nonsense FROM nowhere")
    assert result.returncode != 0
    assert 'relation "nowhere" does not exist' in result.stderr
