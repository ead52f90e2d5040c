"""pgJDBC, the PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java, run by the JDK's
single-file launcher), against `vireo serve`: prepared inserts of every common type with
generated keys and a batch, a prepared k-NN query run past the driver's prepare threshold,
result and parameter metadata, several statements in one execute, a savepoint rolled back
after 23505, a cursor read with a fetch size, DatabaseMetaData (tables, columns, type info,
imported keys), COPY through the CopyManager, and a query timeout (a CancelRequest: 57014).
Tests/e2e/jdbc/JdbcClient.java prints a line per check, compared with the answers PostgreSQL
15 with pgvector gives by its documented behaviour (not run against it here)."""
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import API_KEY

DRIVER = Path("/usr/share/java/postgresql.jar")
CLIENT = Path(__file__).parent / "jdbc" / "JdbcClient.java"

EXPECTED = """\
generated keys sum 78
batch [1, 1]
row 4 n3 3.75 false [3,1,2] {"k": 3} true [1, 3] [3, 4] 0.2
row 5 n4 5.00 true [4,1,2] {"k": 4} true [1, 4] [4, 5] 0.8
row 3 n2 2.50 true [2,1,2] {"k": 2} true [1, 2] [2, 3] 1.2
result metadata vector _int4 jdbc_items true
parameter metadata int4
results [rows, rows, count 2]
duplicate key 23505
after savepoint in transaction, fetched 14
product PostgreSQL 15
tables include jdbc_items true
columns [id:bigserial, name:text, n:int4, f:float8, d:numeric, t:timestamptz, b:bool, e:vector, js:jsonb, u:uuid, bs:bytea, arr:_int4]
type info has vector true, int4 true
imported keys false
copied 2
timeout 57014
count 16
"""


def test_jdbc_client(server):
    if shutil.which("java") is None or not DRIVER.exists():
        pytest.fail("make test installs default-jdk-headless and libpostgresql-jdbc-java (make jdbc-deps)")
    result = subprocess.run(["java", "-cp", str(DRIVER), str(CLIENT), str(server.pg_port), API_KEY],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    # A row's last field is its k-NN distance, a double: compare it rounded.
    rounded = [f"{line.rsplit(' ', 1)[0]} {float(line.rsplit(' ', 1)[1]):.1f}" if line.startswith("row ") else line
               for line in lines]
    assert rounded == EXPECTED.splitlines()
