"""The differential test against PostgreSQL 15: every statement of postgres/queries.sql runs on
a fresh `vireo serve` and on a PostgreSQL 15 cluster this test creates (initdb into a temporary
directory, a free port on 127.0.0.1), both through psycopg. Results (column names, rows, command
tags) and SQLSTATEs must agree, unless postgres/known-differences.md lists the statement with the
reason. A listed statement that agrees fails the test too, so the list only shrinks.

Rows compare in order when the statement ends with a top-level ORDER BY, as a multiset otherwise.
Numbers compare by value to 12 significant digits (PostgreSQL's numeric 2.5000 equals Vireo's double 2.5)."""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from conftest import Server

HERE = Path(__file__).parent / "postgres"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
STATEMENT_TIMEOUT_MS = 5000


def statements(text):
    """(line, sql) for each statement: it ends with a `;` at the end of a line."""
    result, lines, start = [], [], None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not lines and (not stripped or stripped.startswith("--")):
            continue
        if start is None:
            start = number
        lines.append(line)
        if stripped.endswith(";"):
            result.append((start, " ".join(part.strip() for part in lines).rstrip(";").strip()))
            lines, start = [], None
    assert not lines, f"statement at line {start} has no final ';'"
    return result


def known_differences():
    """Statement text -> reason, from the lines "- `statement` — reason"."""
    known = {}
    for line in (HERE / "known-differences.md").read_text().splitlines():
        match = re.match(r"- `(.+)` — (.+)$", line)
        if match:
            known[match.group(1).rstrip(";")] = match.group(2)
    return known


def ordered(sql):
    """Whether the statement has an ORDER BY outside parentheses (so it orders the result)."""
    depth, last_order = 0, -1
    upper = sql.upper()
    for position, character in enumerate(upper):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and upper.startswith("ORDER BY", position):
            last_order = position
    return last_order >= 0


def cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal):
        # numeric is exact on both sides: the digits and the display scale must agree.
        return ("dec", str(value))
    if isinstance(value, (int, float)):
        number = float(value)
        if number != number:  # NaN, which equals nothing, itself included
            return ("num", "NaN")
        return ("num", 0.0 if number == 0 else float(f"{number:.12g}"))
    return str(value)


def outcome(connection, sql):
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            if cursor.description is None:
                return ("ok", cursor.statusmessage)
            names = [column.name for column in cursor.description]
            return ("rows", names, [[cell(value) for value in row] for row in cursor.fetchall()])
    except psycopg.Error as error:
        return ("error", error.sqlstate)
    except ValueError as error:  # a value the client cannot read as its declared type
        return ("unreadable", str(error))


def agree(vireo, postgres, is_ordered):
    if vireo[0] != postgres[0] or vireo[0] != "rows":
        return vireo == postgres
    if vireo[1] != postgres[1] or len(vireo[2]) != len(postgres[2]):
        return False
    key = lambda row: [repr(value) for value in row]
    left, right = (vireo[2], postgres[2]) if is_ordered else (sorted(vireo[2], key=key), sorted(postgres[2], key=key))
    return all(a == b for a, b in zip(left, right))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """PostgreSQL 15 on a temporary cluster; as root, run as the `postgres` user."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        data = self.directory / "data"
        data.mkdir()
        if self.as_user:
            shutil.chown(self.directory, "postgres")
            shutil.chown(data, "postgres")
        self.run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off -c TimeZone=UTC"
        self.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.directory / "log"), "-w", "start")
        self.data = data

    def run(self, program, *arguments):
        subprocess.run(self.as_user + [str(PG_BIN / program), *arguments], check=True, capture_output=True)

    def stop(self):
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    @property
    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"


@contextlib.contextmanager
def temporary_cluster(prefix, make=PostgresCluster):
    """A cluster `make(directory)` starts in a new temporary directory, stopped and removed after."""
    directory = tempfile.mkdtemp(prefix=prefix)
    if os.geteuid() == 0:
        os.chmod(directory, 0o755)
    cluster = make(directory)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/initdb): `make test` installs "
                    "Debian's postgresql package; where apt cannot, this comparison cannot run")
    with temporary_cluster("vireo-pgdiff-") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def vireo():
    with tempfile.TemporaryDirectory(prefix="vireo-pgdiff-") as data_dir:
        running = Server(data_dir)
        yield running
        running.stop()


def test_queries_agree_with_postgres(vireo, postgres):
    corpus = statements((HERE / "queries.sql").read_text())
    known = known_differences()
    verbose = os.environ.get("VIREO_DIFF_VERBOSE")
    problems, agreeing, listed = [], 0, 0
    with psycopg.connect(vireo.dsn, autocommit=True) as v, psycopg.connect(postgres.dsn, autocommit=True) as p:
        p.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        v.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        for line, sql in corpus:
            vireo_outcome, postgres_outcome = outcome(v, sql), outcome(p, sql)
            same = agree(vireo_outcome, postgres_outcome, ordered(sql))
            if verbose:
                print(f"[{line}] {sql}\n  Vireo:      {vireo_outcome}\n  PostgreSQL: {postgres_outcome}")
            if same and sql in known:
                problems.append(f"line {line}: listed in known-differences.md but agrees now: {sql}")
            elif same:
                agreeing += 1
            elif sql in known:
                listed += 1
            else:
                problems.append(f"line {line}: {sql}\n  Vireo:      {vireo_outcome}\n  PostgreSQL: {postgres_outcome}")
    stale = set(known) - {sql for _, sql in corpus}
    problems += [f"known-differences.md lists a statement not in queries.sql: {sql}" for sql in sorted(stale)]
    print(f"\nPostgreSQL differential: {len(corpus)} statements, {agreeing} agree, {listed} known differences")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert len(corpus) >= 300, f"expected at least 300 statements, got {len(corpus)}"


def flat_chains():
    """(name, sql, PostgreSQL refuses it) for statements too long to write out in queries.sql:
    flat runs of thousands of OR / AND / + / UNION ALL terms (issue 10), which Vireo parses into
    one wide node. PostgreSQL parses them too but recurses per term while analysing `+` and
    UNION ALL, so past some thousands of terms it answers 54001 (stack depth limit exceeded;
    about 4,500 `+` terms with its default max_stack_depth of 2MB, and raising that to 7MB
    made it crash on 20,000 UNION ALL terms): there Vireo must give the right answer instead."""
    series = "FROM generate_series(1, 40) g"
    cases = []
    for count in (5_000, 20_000):
        ors = " OR ".join(f"g = {3 * i}" for i in range(count))
        ands = " AND ".join(f"g <> {2 * i + 1}" for i in range(count))
        cases += [
            (f"{count} OR terms", f"SELECT count(*), sum(g) {series} WHERE {ors}", False),
            (f"{count} AND terms", f"SELECT count(*), sum(g) {series} WHERE {ands}", False),
            (f"{count} OR terms with NULL", f"SELECT g, {' OR '.join(['g > 38'] * count)} OR NULL {series} ORDER BY g", False),
            (f"1 + … + 1, {count} terms", "SELECT " + " + ".join(["1"] * count), True),
            (f"g + … + g, {count} terms", f"SELECT sum({' + '.join(['g'] * count)}) {series}", True),
        ]
    def branches(count, operator, value):
        return "SELECT 0 AS n " + " ".join(f"{operator} SELECT {value(i)}" for i in range(1, count))
    cases.append(("5000 UNION ALL", f"SELECT count(*), sum(n) FROM ({branches(5_000, 'UNION ALL', str)}) s", False))
    cases.append(("5000 UNION", f"SELECT n FROM ({branches(5_000, 'UNION', lambda i: i % 7)}) s ORDER BY n", False))
    cases.append(("20000 UNION ALL", f"SELECT count(*), sum(n) FROM ({branches(20_000, 'UNION ALL', str)}) s", True))
    return cases


def test_flat_chains_agree_with_postgres(vireo, postgres):
    problems = []
    with psycopg.connect(vireo.dsn, autocommit=True) as v, psycopg.connect(postgres.dsn, autocommit=True) as p:
        for name, sql, postgres_refuses in flat_chains():
            vireo_outcome, postgres_outcome = outcome(v, sql), outcome(p, sql)
            if postgres_refuses:
                # PostgreSQL's stack ends first; Vireo's answer is checked against the arithmetic.
                expected = expected_chain_answer(sql)
                if postgres_outcome != ("error", "54001") or vireo_outcome != expected:
                    problems.append(f"{name}: PostgreSQL {postgres_outcome[:2]}, expected 54001; "
                                    f"Vireo {str(vireo_outcome)[:200]}, expected {expected}")
            elif not agree(vireo_outcome, postgres_outcome, ordered(sql)):
                problems.append(f"{name}:\n  Vireo:      {str(vireo_outcome)[:300]}\n  PostgreSQL: {str(postgres_outcome)[:300]}")
    assert not problems, "\n".join(problems)


def expected_chain_answer(sql):
    """The answer of the statements PostgreSQL refuses, worked out here."""
    if sql.startswith("SELECT 1 + "):
        count = sql.count("+") + 1
        return ("rows", ["?column?"], [[("num", float(count))]])
    if sql.startswith("SELECT sum(g + "):
        count = sql.count("+") + 1
        return ("rows", ["sum"], [[("num", float(count * sum(range(1, 41))))]])
    count = sql.count("UNION ALL") + 1
    return ("rows", ["count", "sum"], [[("num", float(count)), ("num", float(count * (count - 1) // 2))]])
