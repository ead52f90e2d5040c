"""The extended query protocol message by message, as drivers combine it: which answers
come back, in which order, for Describe and Execute of streamed and row-limited portals.
A raw client over a socket against `vireo serve --pg-auth trust`."""
import socket
import struct
import tempfile

import pytest

from conftest import Server


@pytest.fixture(scope="module")
def trust_server():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-protocol-") as data_dir:
        running = Server(data_dir, ["--pg-auth", "trust"])
        yield running
        code, output = running.stop()
        assert code == 0, output


class RawClient:
    """Sends frontend messages and reads backend ones as (type, body) pairs."""

    def __init__(self, port):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        parameters = b"user\0vireo\0database\0vireo\0\0"
        self.socket.sendall(struct.pack("!ii", 8 + len(parameters), 196608) + parameters)
        self.read_until("Z")

    def send(self, kind, body=b""):
        self.socket.sendall(kind.encode() + struct.pack("!i", 4 + len(body)) + body)

    def parse(self, sql, name=""):
        self.send("P", name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack("!h", 0))

    def bind(self, portal="", statement=""):
        self.send("B", portal.encode() + b"\0" + statement.encode() + b"\0" + struct.pack("!hhh", 0, 0, 0))

    def describe_portal(self, portal=""):
        self.send("D", b"P" + portal.encode() + b"\0")

    def execute(self, portal="", rows=0):
        self.send("E", portal.encode() + b"\0" + struct.pack("!i", rows))

    def sync(self):
        self.send("S")

    def flush(self):
        self.send("H")

    def query(self, sql):
        self.send("Q", sql.encode() + b"\0")
        return self.read_until("Z")

    def read_message(self):
        while len(self.buffer) < 5 or len(self.buffer) < 1 + struct.unpack("!i", self.buffer[1:5])[0]:
            chunk = self.socket.recv(1 << 16)
            assert chunk, "the server closed the connection"
            self.buffer += chunk
        length = struct.unpack("!i", self.buffer[1:5])[0]
        kind, body = chr(self.buffer[0]), self.buffer[5:1 + length]
        self.buffer = self.buffer[1 + length:]
        return kind, body

    def read_until(self, last):
        messages = []
        while True:
            kind, body = self.read_message()
            if kind in "NS":  # notices and parameter status say nothing about the order
                continue
            messages.append((kind, body))
            if kind == last:
                return messages

    def close(self):
        self.send("X")
        self.socket.close()


def kinds(messages):
    """Message types with each run of DataRows as one 'D*n'."""
    out = []
    for kind, _ in messages:
        if kind == "D" and out and out[-1].startswith("D*"):
            out[-1] = f"D*{int(out[-1][2:]) + 1}"
        else:
            out.append("D*1" if kind == "D" else kind)
    return out


def sqlstate(messages):
    error = next(body for kind, body in messages if kind == "E")
    fields = dict((part[:1], part[1:]) for part in error.split(b"\0") if part)
    return fields[b"C"].decode()


@pytest.fixture(scope="module")
def client(trust_server):
    connection = RawClient(trust_server.pg_port)
    connection.query("CREATE TABLE wire (id bigint PRIMARY KEY, body text)")
    connection.query("INSERT INTO wire SELECT g, repeat('w', 50) || g FROM generate_series(1, 20000) AS g")
    yield connection
    connection.close()


SELECT = "SELECT id, body FROM wire WHERE id > 0"


def test_execute_without_describe_sends_no_row_description(client):
    client.parse(SELECT)
    client.bind()
    client.execute()
    client.sync()
    assert kinds(client.read_until("Z")) == ["1", "2", "D*20000", "C", "Z"]


def test_describe_then_execute_sends_the_description_first(client):
    client.parse(SELECT)
    client.bind()
    client.describe_portal()
    client.execute()
    client.sync()
    assert kinds(client.read_until("Z")) == ["1", "2", "T", "D*20000", "C", "Z"]


def test_describe_answered_at_sync_and_the_rows_at_a_later_execute(client):
    client.query("BEGIN")  # the named portal outlives Sync inside a transaction block
    client.parse(SELECT, name="s1")
    client.bind(portal="p1", statement="s1")
    client.describe_portal("p1")
    client.sync()
    assert kinds(client.read_until("Z")) == ["1", "2", "T", "Z"]
    client.describe_portal("p1")
    client.flush()
    assert kinds([client.read_message()]) == ["T"]
    client.execute("p1")
    client.sync()
    assert kinds(client.read_until("Z")) == ["D*20000", "C", "Z"]
    client.query("COMMIT")


def test_row_limited_executes_page_through_the_rows(client):
    client.query("BEGIN")
    client.parse("SELECT id FROM wire WHERE id <= 12", name="s2")
    client.bind(portal="p2", statement="s2")
    client.describe_portal("p2")
    client.execute("p2", rows=5)
    client.execute("p2", rows=5)
    client.execute("p2", rows=5)
    client.sync()
    assert kinds(client.read_until("Z")) == ["1", "2", "T", "D*5", "s", "D*5", "s", "D*2", "C", "Z"]
    client.query("COMMIT")


def test_columns_changed_between_describe_and_execute_fail_as_in_postgresql(client, trust_server):
    client.query("CREATE TABLE reshaped (id bigint PRIMARY KEY, a text)")
    client.query("INSERT INTO reshaped VALUES (1, 'one')")
    client.parse("SELECT * FROM reshaped WHERE id > 0", name="s3")
    client.bind(portal="p3", statement="s3")
    client.describe_portal("p3")
    client.flush()
    assert [kind for kind, _ in (client.read_message(), client.read_message(), client.read_message())] == ["1", "2", "T"]
    other = RawClient(trust_server.pg_port)
    other.query("ALTER TABLE reshaped ADD COLUMN b int")
    other.close()
    client.execute("p3")
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["E", "Z"] and sqlstate(answers) == "0A000"


def test_an_error_part_way_follows_the_rows_already_sent(client):
    client.parse("SELECT id, 1 / (15000 - id) FROM wire WHERE id > 0")
    client.bind()
    client.describe_portal()
    client.execute()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers)[:3] == ["1", "2", "T"] and kinds(answers)[-2:] == ["E", "Z"]
    assert sqlstate(answers) == "22012"
    assert client.query("SELECT count(*) FROM wire")[-3][0] == "D"


def test_a_describe_that_fails_reports_its_error_and_sync_recovers(client):
    client.parse("SELECT * FROM no_such_table WHERE 1 = 1")
    client.bind()
    client.describe_portal()
    client.execute()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["1", "2", "E", "Z"] and sqlstate(answers) == "42P01"
    client.parse("SELECT * FROM no_such_table WHERE 1 = 1")
    client.bind()
    client.describe_portal()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["1", "2", "E", "Z"] and sqlstate(answers) == "42P01"


def test_a_statement_prepared_in_sql_is_bound_and_described_by_name(client):
    """PostgreSQL lets the extended protocol use a statement SQL's PREPARE made; its declared
    parameter types are the ones Describe reports."""
    client.query("PREPARE sql_made (bigint) AS SELECT body FROM wire WHERE id = $1")
    client.send("D", b"Ssql_made\0")
    value = b"7"
    client.send("B", b"\0sql_made\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", len(value)) + value + struct.pack("!h", 0))
    client.execute()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["t", "T", "2", "D*1", "C", "Z"]
    parameters = next(body for kind, body in answers if kind == "t")
    assert struct.unpack("!hi", parameters) == (1, 20)  # one parameter, int8
    row = next(body for kind, body in answers if kind == "D")
    assert row.endswith(b"w" * 50 + b"7")
    client.query("DEALLOCATE sql_made")
    client.bind(statement="sql_made")
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["E", "Z"] and sqlstate(answers) == "26000"


def parse_typed(client, sql, oids):
    """Parse of the unnamed statement with the parameter type OIDs a driver declares."""
    types = struct.pack("!h", len(oids)) + b"".join(struct.pack("!i", oid) for oid in oids)
    client.send("P", b"\0" + sql.encode() + b"\0" + types)


def bind_text(client, values):
    """Bind of the unnamed statement with text-format values, text results."""
    body = b"\0\0" + struct.pack("!hh", 0, len(values))
    for value in values:
        body += struct.pack("!i", len(value)) + value.encode()
    client.send("B", body + struct.pack("!h", 0))


def test_parse_with_parameter_oids_binds_them_as_declared(client):
    """PostgreSQL 15 answers Parse 'SELECT $1, $2, $2 || 'x'' with OIDs text, int4 so: the
    parameters are described as declared, the columns as text, int4, text; a value that
    does not read as int4 is 22P02 at Bind; an OID of no type fails the Parse."""
    parse_typed(client, "SELECT $1, $2, $2 || 'x'", [25, 23])
    client.send("D", b"S\0")
    bind_text(client, ["hello", "41"])
    client.execute()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["1", "t", "T", "2", "D*1", "C", "Z"]
    parameters = next(body for kind, body in answers if kind == "t")
    assert struct.unpack("!hii", parameters) == (2, 25, 23)
    description = next(body for kind, body in answers if kind == "T")
    oids, offset = [], 2
    for _ in range(struct.unpack("!h", description[:2])[0]):
        offset = description.index(b"\0", offset) + 1
        oids.append(struct.unpack("!i", description[offset + 6:offset + 10])[0])
        offset += 18
    assert oids == [25, 23, 25]
    row = next(body for kind, body in answers if kind == "D")
    assert row == struct.pack("!hi", 3, 5) + b"hello" + struct.pack("!i", 2) + b"41" + struct.pack("!i", 3) + b"41x"

    parse_typed(client, "SELECT $1", [23])
    bind_text(client, ["abc"])
    client.execute()
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["1", "E", "Z"] and sqlstate(answers) == "22P02"

    parse_typed(client, "SELECT $1", [99999])
    client.sync()
    answers = client.read_until("Z")
    assert kinds(answers) == ["E", "Z"] and sqlstate(answers) == "42704"


def point_select_batch(key, result_format=0):
    """Bind, Describe, Execute and Sync of the prepared point select 'point' for `key`, as
    bytes (what pgbench -M prepared sends per query)."""
    value = str(key).encode()
    bind = b"\0point\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", len(value)) + value + struct.pack("!hh", 1, result_format)
    messages = [("B", bind), ("D", b"P\0"), ("E", b"\0" + struct.pack("!i", 0)), ("S", b"")]
    return b"".join(kind.encode() + struct.pack("!i", 4 + len(body)) + body for kind, body in messages)


def test_pipelined_point_selects_in_one_read_and_split_reads_are_each_answered_in_order(client):
    """The server decodes messages from the bytes as they come (no matter where a read ends)
    and answers the batches one read brings in one write: each batch still gets its own
    answers, in order, also around a statement that goes to an engine thread."""
    client.send("P", b"point\0SELECT body FROM wire WHERE id = $1\0" + struct.pack("!h", 0))
    client.sync()
    assert kinds(client.read_until("Z")) == ["1", "Z"]
    keys = [5, 17, 20001, 3, 19999]  # 20001 has no row
    client.socket.sendall(b"".join(point_select_batch(key) for key in keys))
    for key in keys:
        answers = client.read_until("Z")
        assert kinds(answers) == (["2", "T", "D*1", "C", "Z"] if key <= 20000 else ["2", "T", "C", "Z"])
        if key <= 20000:
            assert next(body for kind, body in answers if kind == "D").endswith(b"w" * 50 + str(key).encode())
    # One batch split inside its Bind, then inside its length field, then between messages.
    stream = point_select_batch(42) + point_select_batch(43)
    for start, end in [(0, 9), (9, 30), (30, 34), (34, len(stream))]:
        client.socket.sendall(stream[start:end])
    for key in (42, 43):
        answers = client.read_until("Z")
        assert kinds(answers) == ["2", "T", "D*1", "C", "Z"]
        assert next(body for kind, body in answers if kind == "D").endswith(str(key).encode())
    # A point select, a statement that needs an engine thread, a point select, in one send.
    count = b"\0" + b"SELECT count(*) FROM wire\0" + struct.pack("!h", 0)
    engine_batch = b"".join(kind.encode() + struct.pack("!i", 4 + len(body)) + body for kind, body in
                            [("P", count), ("B", b"\0\0" + struct.pack("!hhh", 0, 0, 0)), ("E", b"\0" + struct.pack("!i", 0)), ("S", b"")])
    client.socket.sendall(point_select_batch(7) + engine_batch + point_select_batch(8, result_format=1))
    first, counted, last = client.read_until("Z"), client.read_until("Z"), client.read_until("Z")
    assert kinds(first) == ["2", "T", "D*1", "C", "Z"] and next(b for k, b in first if k == "D").endswith(b"7")
    assert kinds(counted) == ["1", "2", "D*1", "C", "Z"] and next(b for k, b in counted if k == "D").endswith(b"20000")
    assert kinds(last) == ["2", "T", "D*1", "C", "Z"] and next(b for k, b in last if k == "D").endswith(b"8")
    client.send("C", b"Spoint\0")
    client.sync()
    assert kinds(client.read_until("Z")) == ["3", "Z"]
