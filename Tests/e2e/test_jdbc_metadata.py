"""pgJDBC's DatabaseMetaData against `vireo serve` and against PostgreSQL 15, side by side.
Tests/e2e/jdbc/MetadataClient.java creates one schema (a primary key, a composite primary key,
a composite unique index, a descending index, foreign keys, a vector(3) column, a view) and
calls every DatabaseMetaData method that queries the server; for each it prints the result
set's column labels and types and, where the rows describe the schema, the rows (or whether
there are any).
Both servers must print the same, method by method.

PostgreSQL 15 here has no pgvector: its `vector` is a stand-in base type made from built-in
functions (text's input and output, bit's typmod functions), which gives pg_type and
pg_attribute the entries pgvector's gives (typtype b, category U, typmod 3 for vector(3)), all
that DatabaseMetaData reads. Both servers are reached as the user `vireo` in a database `vireo`,
so owners, grantors and catalog names agree. The cluster is the differential test's
(test_postgres_differential.py), skipped where PostgreSQL 15 is not installed."""
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from conftest import API_KEY
# The differential test's fixtures: a fresh `vireo serve` and a PostgreSQL 15 cluster.
from test_postgres_differential import postgres, vireo  # noqa: F401

DRIVER = Path("/usr/share/java/postgresql.jar")
CLIENT = Path(__file__).parent / "jdbc" / "MetadataClient.java"

VECTOR_STAND_IN = [
    "CREATE TYPE vector",
    "CREATE FUNCTION vector_in(cstring, oid, integer) RETURNS vector LANGUAGE internal IMMUTABLE STRICT AS 'textin'",
    "CREATE FUNCTION vector_out(vector) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout'",
    "CREATE FUNCTION vector_typmod_in(cstring[]) RETURNS integer LANGUAGE internal IMMUTABLE STRICT AS 'bittypmodin'",
    "CREATE FUNCTION vector_typmod_out(integer) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'bittypmodout'",
    "CREATE TYPE vector (INPUT = vector_in, OUTPUT = vector_out, TYPMOD_IN = vector_typmod_in, "
    "TYPMOD_OUT = vector_typmod_out, INTERNALLENGTH = VARIABLE, STORAGE = external)",
]

# The methods whose result sets are compared: their columns always, their rows where the
# client prints them (the catalogs' own contents differ: PostgreSQL has more types, schemas
# and functions, Vireo no pg_proc rows, so getTypeInfo, getSchemas and getCatalogs compare
# whether there are rows, the function methods only their columns). getSuperTypes, getSuperTables, getAttributes and getPseudoColumns are not
# implemented by pgJDBC 42.5 (0A000 from the driver, on either server).
VERIFIED = [
    "getTables", "getTables(TABLE,VIEW)", "getColumns", "getPrimaryKeys", "getPrimaryKeys(books)", "getImportedKeys",
    "getExportedKeys", "getCrossReference", "getIndexInfo", "getIndexInfo(unique)", "getBestRowIdentifier",
    "getVersionColumns", "getTablePrivileges", "getColumnPrivileges", "getTableTypes", "getSchemas", "getSchemas(pattern)",
    "getCatalogs", "getTypeInfo", "getFunctions", "getFunctionColumns", "getProcedures", "getProcedureColumns", "getUDTs",
    "getSuperTypes", "getSuperTables", "getAttributes", "getPseudoColumns", "getClientInfoProperties",
]


def metadata(port, password):
    result = subprocess.run(["java", "-cp", str(DRIVER), str(CLIENT), f"jdbc:postgresql://127.0.0.1:{port}/vireo", "vireo", password],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return by_method(result.stdout)


def by_method(output):
    """Method name -> its lines."""
    methods, current = {}, None
    for line in output.splitlines():
        if line.startswith("== "):
            current = line[3:]
            methods[current] = []
        else:
            methods[current].append(line)
    return methods


@pytest.fixture(scope="module")
def postgres_vireo(postgres):
    """The differential test's PostgreSQL 15 cluster with a role and a database named vireo,
    and the stand-in vector type in it."""
    with psycopg.connect(postgres.dsn, autocommit=True) as connection:
        connection.execute("CREATE ROLE vireo SUPERUSER LOGIN")
        connection.execute("CREATE DATABASE vireo OWNER vireo")
    with psycopg.connect(f"host=127.0.0.1 port={postgres.port} user=vireo dbname=vireo", autocommit=True) as connection:
        for statement in VECTOR_STAND_IN:
            connection.execute(statement)
    return postgres


def test_database_metadata_agrees_with_postgres(vireo, postgres_vireo):
    if shutil.which("java") is None or not DRIVER.exists():
        pytest.fail("make test installs default-jdk-headless and libpostgresql-jdbc-java (make jdbc-deps)")
    expected = metadata(postgres_vireo.port, "")
    got = metadata(vireo.pg_port, API_KEY)
    assert list(expected) == VERIFIED
    differing = [name for name in VERIFIED if got.get(name) != expected[name]]
    report = "\n".join(f"{name}:\n  postgres: {expected[name]}\n  vireo:    {got.get(name)}" for name in differing)
    assert not differing, report
