"""psycopg 3 against a real `vireo serve`: parameters of every common type, both
protocols, executemany, server-side prepared statements, transactions and errors."""
import datetime
import decimal
import json
import time

import psycopg
import pytest


@pytest.fixture
def conn(server):
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        yield connection


def test_connects_and_reports_server_parameters(conn):
    assert conn.info.parameter_status("server_encoding") == "UTF8"
    assert conn.info.server_version >= 90400
    assert conn.execute("SELECT 1 + 1").fetchone() == (2,)


def test_parameters_of_every_common_type_round_trip(conn):
    conn.execute("CREATE TABLE typed (id bigint PRIMARY KEY, i bigint, f double precision, t text, b boolean, "
                 "raw bytea, doc jsonb, at timestamp)")
    at = datetime.datetime(2024, 2, 29, 12, 30, 45, 123456)
    conn.execute("INSERT INTO typed VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                 (1, -42, 2.5, "héllo 'quoted'", True, b"\x00\xffbytes", json.dumps({"k": [1, 2]}), at))
    row = conn.execute("SELECT i, f, t, b, raw, doc, at FROM typed WHERE id = %s", (1,)).fetchone()
    assert row[:4] == (-42, 2.5, "héllo 'quoted'", True)
    assert bytes(row[4]) == b"\x00\xffbytes"
    assert row[5] == {"k": [1, 2]}
    assert row[6] == at


def test_numeric_round_trips_exactly_in_text_and_binary(conn):
    conn.execute("CREATE TABLE money (id integer PRIMARY KEY, amount numeric(12,2), rate numeric)")
    values = [decimal.Decimal("10.005"), decimal.Decimal("-0.01"), decimal.Decimal("123456789.99"), decimal.Decimal("0")]
    rates = [decimal.Decimal("0.1"), decimal.Decimal("1E+20"), decimal.Decimal("-3.14159265358979323846264338327950288"), decimal.Decimal("0.000")]
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO money VALUES (%s, %s, %s)", [(i, v, r) for i, (v, r) in enumerate(zip(values, rates))])
    for binary in (False, True):
        with conn.cursor(binary=binary) as cursor:
            rows = cursor.execute("SELECT amount, rate, amount + 0.001 FROM money ORDER BY id").fetchall()
            assert [str(row[0]) for row in rows] == ["10.01", "-0.01", "123456789.99", "0.00"], binary
            assert [row[1] for row in rows] == rates and str(rows[3][1]) == "0.000", binary
            assert str(rows[0][2]) == "10.011", binary
            total = cursor.execute("SELECT sum(amount), avg(amount), 0.1 + 0.2 FROM money").fetchone()
            assert total == (decimal.Decimal("123456799.99"), decimal.Decimal("30864199.9975000000000000"), decimal.Decimal("0.3")), binary
    with conn.cursor(binary=True) as cursor:
        found = cursor.execute("SELECT id FROM money WHERE rate = %b", (decimal.Decimal("1E+20"),)).fetchall()
        assert found == [(1,)]
    with pytest.raises(psycopg.errors.NumericValueOutOfRange) as raised:
        conn.execute("INSERT INTO money VALUES (9, 12345678901.5, 0)")
    assert raised.value.diag.message_detail == "A field with precision 12, scale 2 must round to an absolute value less than 10^10."


def test_parameters_that_are_not_utf8_are_refused_not_repaired(conn):
    conn.execute("CREATE TABLE names (name text PRIMARY KEY)")
    for raw in (b"caf\xe9", b"ok\xff", b"\xc3"):
        # libpq's own call: the parameter's bytes go out exactly as given, in text format.
        result = conn.pgconn.exec_params(b"INSERT INTO names VALUES ($1)", [raw])
        assert result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"22021", raw
    assert conn.execute("SELECT count(*) FROM names").fetchone() == (0,)
    conn.execute("INSERT INTO names VALUES (%s)", ("café",))
    assert conn.execute("SELECT name FROM names").fetchone() == ("café",)


def test_statement_text_that_is_not_utf8_is_refused_not_repaired(conn):
    conn.execute("CREATE TABLE raw_names (name text PRIMARY KEY)")
    # Simple query protocol (libpq's PQexec) and extended (Parse), the statement's own bytes.
    for raw in (b"INSERT INTO raw_names VALUES ('caf\xe9')", b"INSERT INTO raw_names VALUES ('ok\xff')"):
        result = conn.pgconn.exec_(raw)
        assert result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"22021", raw
        result = conn.pgconn.prepare(b"", raw)
        assert result.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"22021", raw
    # The connection goes on, and nothing became U+FFFD.
    assert conn.execute("SELECT count(*) FROM raw_names").fetchone() == (0,)


def test_session_time_zone_from_set_and_from_the_startup_parameter(server):
    instant = datetime.datetime(2024, 7, 1, 10, 0, tzinfo=datetime.timezone.utc)
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'Europe/Berlin'")
        for binary in (False, True):
            with conn.cursor(binary=binary) as cursor:
                row = cursor.execute("SELECT '2024-07-01 12:00'::timestamptz, '2024-07-01 12:00'::timestamptz::text, "
                                     "'2024-01-01 12:00'::timestamptz::text").fetchone()
                assert row == (instant, "2024-07-01 12:00:00+02", "2024-01-01 12:00:00+01"), f"binary={binary}: {row}"
                # The server reported the new TimeZone, so psycopg gives the instant in it.
                assert row[0].utcoffset() == datetime.timedelta(hours=2), f"binary={binary}: {row}"
    with psycopg.connect(server.dsn, autocommit=True, options="-c TimeZone=Asia/Kolkata") as conn:
        assert conn.execute("SELECT '2024-07-01 12:00Z'::timestamptz::text").fetchone() == ("2024-07-01 17:30:00+05:30",)
        assert conn.info.parameter_status("TimeZone") == "Asia/Kolkata"
    with pytest.raises(psycopg.OperationalError, match="TimeZone"):
        psycopg.connect(server.dsn, options="-c TimeZone=Nowhere/Land")


def test_time_columns_arrive_as_datetime_time_in_text_and_binary(conn):
    conn.execute("CREATE TABLE opening (id integer PRIMARY KEY, opens time)")
    conn.execute("INSERT INTO opening VALUES (%s, %s), (2, '17:30:00.25')", (1, datetime.time(9, 15)))
    for binary in (False, True):
        with conn.cursor(binary=binary) as cursor:
            cursor.execute("SELECT opens, opens + interval '1 hour' FROM opening ORDER BY id")
            assert cursor.fetchall() == [(datetime.time(9, 15), datetime.time(10, 15)),
                                         (datetime.time(17, 30, 0, 250000), datetime.time(18, 30, 0, 250000))], f"binary={binary}"
            assert [column.type_code for column in cursor.description] == [1083, 1083]
        with conn.cursor(binary=binary) as cursor:
            found = cursor.execute("SELECT id FROM opening WHERE opens < %s", (datetime.time(12, 0),)).fetchall()
            assert found == [(1,)], f"binary={binary}"
    with pytest.raises(psycopg.errors.DatetimeFieldOverflow):
        conn.execute("INSERT INTO opening VALUES (3, '25:00')")


def test_widths_dates_and_time_zones_arrive_as_their_python_types(conn):
    conn.execute("CREATE TABLE dated (id integer PRIMARY KEY, s smallint, r real, v varchar(4), c char(3), "
                 "day date, atz timestamptz)")
    day = datetime.date(2024, 2, 29)
    atz = datetime.datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=datetime.timezone.utc)
    conn.execute("INSERT INTO dated VALUES (%s, %s, %s, %s, %s, %s, %s)", (1, -7, 1.1, "abcd", "x", day, atz))
    for binary in (False, True):
        with conn.cursor(binary=binary) as cursor:
            cursor.execute("SELECT id, s, r, v, c, day, atz, day + 1, 2147483647::bigint + 1 FROM dated")
            row = cursor.fetchone()
            assert row[:5] == (1, -7, pytest.approx(1.1, rel=1e-7), "abcd", "x  "), f"binary={binary}: {row}"
            assert row[5:] == (day, atz, datetime.date(2024, 3, 1), 2147483648), f"binary={binary}: {row}"
            types = [column.type_code for column in cursor.description]
            assert [types[i] for i in (0, 1, 2, 5, 6, 7, 8)] == [23, 21, 700, 1082, 1184, 1082, 20]
    assert conn.execute("SELECT r::text FROM dated").fetchone() == ("1.1",)
    errors = [("INSERT INTO dated (id, v) VALUES (2, 'abcde')", psycopg.errors.StringDataRightTruncation),
              ("INSERT INTO dated (id, s) VALUES (2, 40000)", psycopg.errors.NumericValueOutOfRange),
              ("SELECT 2147483647 + 1", psycopg.errors.NumericValueOutOfRange),
              ("SELECT '2024-02-30'::date", psycopg.errors.DatetimeFieldOverflow),
              ("SELECT 'soon'::timestamp", psycopg.errors.InvalidDatetimeFormat)]
    for sql, error in errors:
        with pytest.raises(error):
            conn.execute(sql)


def test_intervals_arrive_as_timedelta(conn):
    for binary in (False, True):
        with conn.cursor(binary=binary) as cursor:
            cursor.execute("SELECT interval '1 day 02:00:00.5', timestamp '2024-03-01' - timestamp '2024-02-28 22:00'")
            assert cursor.fetchone() == (datetime.timedelta(days=1, hours=2, milliseconds=500),
                                         datetime.timedelta(days=1, hours=2)), f"binary={binary}"
            assert cursor.description[0].type_code == 1186


def test_uuid_round_trips_as_python_uuid(conn):
    import uuid
    conn.execute("CREATE TABLE keyed (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), n integer)")
    given = uuid.UUID("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")
    conn.execute("INSERT INTO keyed VALUES (%s, 1)", (given,))
    conn.execute("INSERT INTO keyed (n) VALUES (2)")
    for binary in (False, True):
        with conn.cursor(binary=binary) as cursor:
            rows = cursor.execute("SELECT id, n FROM keyed ORDER BY n").fetchall()
            assert rows[0] == (given, 1) and isinstance(rows[1][0], uuid.UUID) and rows[1][0].version == 4, rows
            assert cursor.description[0].type_code == 2950
            assert cursor.execute("SELECT n FROM keyed WHERE id = %s", (given,)).fetchone() == (1,)


def test_binary_results(conn):
    with conn.cursor(binary=True) as cursor:
        cursor.execute("SELECT 7::bigint, 1.5::double precision, true, 'text'")
        assert cursor.fetchone() == (7, 1.5, True, "text")


def test_null_parameters_and_results(conn):
    assert conn.execute("SELECT %s::text IS NULL", (None,)).fetchone() == (True,)


def test_results_larger_than_work_mem_stream_in_text_and_binary(conn):
    """An Execute that wants every row streams them (Describe of the portal plans the
    query without running it): past work_mem, which collected rows would exceed, the rows
    arrive whole; an error part way is reported with its SQLSTATE and the connection goes on."""
    conn.execute("CREATE TABLE streamed_rows (id bigint PRIMARY KEY, body text, score double precision)")
    conn.execute("INSERT INTO streamed_rows SELECT g, repeat('z', 100) || g, g * 0.5 FROM generate_series(1, 30000) AS g")
    conn.execute("SET work_mem = '64kB'")
    for binary in (False, True):
        cursor = conn.cursor(binary=binary)
        cursor.execute("SELECT id, body, score FROM streamed_rows WHERE id > %s", (0,))
        assert [column.name for column in cursor.description] == ["id", "body", "score"]
        rows = cursor.fetchall()
        assert len(rows) == 30000 and cursor.rowcount == 30000
        assert rows[0] == (1, "z" * 100 + "1", 0.5) and rows[-1] == (30000, "z" * 100 + "30000", 15000.0)
    with pytest.raises(psycopg.errors.DivisionByZero):
        conn.execute("SELECT id, 1 / (20000 - id) FROM streamed_rows WHERE id > %s", (0,)).fetchall()
    assert conn.execute("SELECT count(*) FROM streamed_rows WHERE id > %s", (29990,)).fetchone() == (10,)


def test_executemany_pipelines_inserts(conn):
    conn.execute("CREATE TABLE many (id bigint PRIMARY KEY, label text)")
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO many VALUES (%s, %s)", [(n, f"row {n}") for n in range(500)])
    assert conn.execute("SELECT count(*), max(id) FROM many").fetchone() == (500, 499)


def test_prepared_statements_after_repeated_execution(conn):
    conn.execute("CREATE TABLE prep (id bigint PRIMARY KEY, v text)")
    for n in range(12):  # psycopg prepares after 5 executions
        conn.execute("INSERT INTO prep VALUES (%s, %s)", (n, str(n)))
    for n in range(12):
        assert conn.execute("SELECT v FROM prep WHERE id = %s", (n,)).fetchone() == (str(n),)
    assert conn.execute("SELECT v FROM prep WHERE id = %s", (5,), prepare=True).fetchone() == ("5",)


def test_pipelined_point_selects_keep_their_order_around_statements_that_wait(conn):
    # A prepared point select is answered on the event loop as its messages arrive; an INSERT
    # or a scan waits for an engine thread. Pipelined together, the answers keep their order
    # and each statement sees the ones before it.
    conn.execute("CREATE TABLE pipe (id bigint PRIMARY KEY, v text)")
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO pipe VALUES (%s, %s)", [(n, f"v{n}") for n in range(1, 21)])
    point = "SELECT v FROM pipe WHERE id = %s"
    for _ in range(3):
        with conn.pipeline():
            before = [conn.execute(point, (n,), prepare=True) for n in (1, 2)]
            conn.execute("INSERT INTO pipe VALUES (%s, %s)", (100, "new"), prepare=True)
            after = conn.execute(point, (100,), prepare=True)
            count = conn.execute("SELECT count(*) FROM pipe")
            conn.execute("DELETE FROM pipe WHERE id = %s", (100,), prepare=True)
            gone = conn.execute(point, (100,), prepare=True)
        assert [cursor.fetchone() for cursor in before] == [("v1",), ("v2",)]
        assert after.fetchone() == ("new",)
        assert count.fetchone() == (21,)
        assert gone.fetchone() is None
    # An error skips the rest of its batch, point selects too; the next batch runs again.
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.pipeline():
            conn.execute("INSERT INTO pipe VALUES (%s, %s)", (1, "duplicate"), prepare=True)
            conn.execute(point, (1,), prepare=True)
    assert conn.execute(point, (1,), prepare=True).fetchone() == ("v1",)
    assert conn.execute("SELECT count(*) FROM pipe").fetchone() == (20,)


def test_prepared_statements_are_deallocated_after_a_rollback_and_by_name(server):
    """psycopg sends DEALLOCATE ALL after a ROLLBACK (or DROP) while it holds prepared
    statements, and DEALLOCATE name when its cache of them overflows."""
    with psycopg.connect(server.dsn, prepare_threshold=0) as conn:
        conn.prepared_max = 2
        conn.execute("CREATE TABLE dealloc (id bigint PRIMARY KEY)")
        conn.commit()
        for n in range(5):  # each text is prepared at once; the third evicts the first
            conn.execute(f"INSERT INTO dealloc VALUES (%s) -- {n}", (n,))
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM dealloc").fetchone() == (0,)
        conn.execute("INSERT INTO dealloc VALUES (%s)", (7,))
        conn.commit()
        assert conn.execute("SELECT id FROM dealloc").fetchall() == [(7,)]
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        assert conn.execute("DEALLOCATE ALL").statusmessage == "DEALLOCATE ALL"
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("DEALLOCATE PREPARE no_such_statement")


def test_transactions_commit_and_roll_back(server):
    with psycopg.connect(server.dsn) as conn:
        conn.execute("CREATE TABLE tx (id bigint PRIMARY KEY)")
        conn.commit()
        conn.execute("INSERT INTO tx VALUES (1)")
        conn.rollback()
        conn.execute("INSERT INTO tx VALUES (2)")
        conn.commit()
        assert conn.execute("SELECT id FROM tx").fetchall() == [(2,)]


def test_nested_transactions_use_savepoints(server):
    # psycopg's nested conn.transaction() blocks are SAVEPOINT / ROLLBACK TO / RELEASE.
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE nested (id bigint PRIMARY KEY)")
        with conn.transaction():
            conn.execute("INSERT INTO nested VALUES (1)")
            with pytest.raises(psycopg.errors.UniqueViolation):
                with conn.transaction():
                    conn.execute("INSERT INTO nested VALUES (2)")
                    conn.execute("INSERT INTO nested VALUES (1)")
            with conn.transaction():
                conn.execute("INSERT INTO nested VALUES (3)")
        assert conn.execute("SELECT id FROM nested ORDER BY id").fetchall() == [(1,), (3,)]
        with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
            conn.execute("SAVEPOINT outside")


def test_errors_carry_sqlstate_and_abort_the_block(server):
    with psycopg.connect(server.dsn) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM no_such_table")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        with pytest.raises(psycopg.errors.SyntaxError) as caught:
            conn.execute("SELEC 1")
        assert caught.value.diag.sqlstate == "42601"
        conn.rollback()
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("SELECT 1 / %s", (0,))


def test_unique_violation(conn):
    conn.execute("CREATE TABLE uniq (id bigint PRIMARY KEY)")
    conn.execute("INSERT INTO uniq VALUES (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO uniq VALUES (%s)", (1,))


def test_merge_with_parameters_reports_its_rowcount(conn):
    conn.execute("CREATE TABLE stock (item text PRIMARY KEY, qty integer NOT NULL CHECK (qty >= 0))")
    conn.execute("INSERT INTO stock VALUES ('apple', 5), ('pear', 2)")
    upsert = ("MERGE INTO stock s USING (VALUES (%s, %s)) AS d(item, qty) ON s.item = d.item "
              "WHEN MATCHED AND s.qty + d.qty = 0 THEN DELETE "
              "WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty "
              "WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty)")
    with conn.cursor() as cursor:
        cursor.execute(upsert, ("apple", 3))
        assert cursor.rowcount == 1 and cursor.statusmessage == "MERGE 1"
        cursor.execute(upsert, ("kiwi", 4), prepare=True)
        assert cursor.rowcount == 1
        cursor.execute(upsert, ("pear", -2), prepare=True)
        assert cursor.rowcount == 1
        cursor.execute("MERGE INTO stock s USING (SELECT %s::text AS item) d ON s.item = d.item WHEN MATCHED THEN DO NOTHING", ("apple",))
        assert cursor.rowcount == 0 and cursor.statusmessage == "MERGE 0"
    assert conn.execute("SELECT item, qty FROM stock ORDER BY item").fetchall() == [("apple", 8), ("kiwi", 4)]
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(upsert, ("apple", -9))
    with pytest.raises(psycopg.errors.CardinalityViolation):
        conn.execute("MERGE INTO stock s USING (VALUES (%s), (%s)) AS d(item) ON s.item = d.item WHEN MATCHED THEN DELETE", ("kiwi", "kiwi"))
    assert conn.execute("SELECT item, qty FROM stock ORDER BY item").fetchall() == [("apple", 8), ("kiwi", 4)]

def test_vector_search_with_text_parameters(conn):
    conn.execute("CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3))")
    conn.execute("INSERT INTO items (embedding) VALUES ('[1,2,3]'), ('[4,5,6]'), ('[1,1,1]')")
    conn.execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops)")
    rows = conn.execute("SELECT id FROM items ORDER BY embedding <-> %s LIMIT 2", ("[1,1,1]",)).fetchall()
    assert rows == [(3,), (1,)]


def test_multiple_statements_in_one_simple_query(conn):
    conn.execute("CREATE TABLE multi (id bigint); INSERT INTO multi VALUES (1); INSERT INTO multi VALUES (2)")
    assert conn.execute("SELECT count(*) FROM multi").fetchone() == (2,)


def test_wrong_password_is_refused(server):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(server.dsn.replace("password=e2e-test-key", "password=wrong"))


def test_register_vector_and_numpy_search(server):
    import numpy as np
    from pgvector.psycopg import register_vector

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE docs (id bigserial PRIMARY KEY, embedding vector(3))")
        vectors = [np.array([1, 2, 3]), np.array([4, 5, 6]), np.array([1, 1, 2])]
        for vector in vectors:
            conn.execute("INSERT INTO docs (embedding) VALUES (%s)", (vector,))
        rows = conn.execute("SELECT id, embedding FROM docs ORDER BY embedding <-> %s LIMIT 5", (np.array([1, 1, 1]),)).fetchall()
        assert [row[0] for row in rows] == [3, 1, 2]
        assert as_list(rows[0][1]) == [1, 1, 2]
        with conn.cursor(binary=True) as cursor:
            cursor.execute("SELECT embedding FROM docs WHERE id = %s", (2,))
            assert as_list(cursor.fetchone()[0]) == [4, 5, 6]


def test_halfvec_with_register_vector(server):
    """pgvector-python registers halfvec when pg_type has it: HalfVector and float16 numpy
    values go in as text and binary, come back rounded to half precision, and an HNSW index
    with halfvec_cosine_ops answers what the exact scan answers."""
    import numpy as np
    from pgvector import HalfVector
    from pgvector.psycopg import register_vector

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE halves (id int PRIMARY KEY, embedding halfvec(3))")
        conn.execute("INSERT INTO halves VALUES (1, %s), (2, %s)", (HalfVector([0.1, 0.2, 0.3]), HalfVector([1, 2, 3])))
        conn.execute("INSERT INTO halves VALUES (3, %b)", (HalfVector([-1, 0.5, 65504]),))
        with conn.cursor(binary=True) as cursor:
            cursor.execute("INSERT INTO halves VALUES (4, %s)", (HalfVector(np.array([3, 2, 1], dtype=np.float16)),))
        rows = conn.execute("SELECT id, embedding::text, embedding FROM halves ORDER BY id").fetchall()
        assert [row[1] for row in rows] == ["[0.099975586,0.19995117,0.30004883]", "[1,2,3]", "[-1,0.5,65504]", "[3,2,1]"]
        assert isinstance(rows[0][2], HalfVector) and rows[0][2].to_list() == [np.float16(0.1), np.float16(0.2), np.float16(0.3)]
        with conn.cursor(binary=True) as cursor:
            cursor.execute("SELECT embedding FROM halves WHERE id = 3")
            assert cursor.fetchone()[0].to_list() == [-1, 0.5, 65504]
        with pytest.raises(psycopg.errors.NumericValueOutOfRange, match="out of range for type halfvec"):
            conn.execute("INSERT INTO halves VALUES (5, %s)", ("[1,2,100000]",))
        query = "SELECT id FROM halves ORDER BY embedding <=> %s LIMIT 2"
        exact = conn.execute(query, (HalfVector([1, 2, 2.9]),)).fetchall()
        conn.execute("CREATE INDEX ON halves USING hnsw (embedding halfvec_cosine_ops)")
        assert conn.execute(query, (HalfVector([1, 2, 2.9]),)).fetchall() == exact == [(2, ), (1, )]
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + query, (HalfVector([1, 2, 2.9]),)).fetchall())
        assert "halves_embedding_idx" in plan


def test_bit_columns_with_register_vector(server):
    """pgvector's binary vectors: a bit(3) column filled with pgvector-python's Bit in text
    and binary form, searched by Hamming distance."""
    from pgvector import Bit
    from pgvector.psycopg import register_vector

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE bitvecs (id int PRIMARY KEY, embedding bit(3))")
        conn.execute("INSERT INTO bitvecs VALUES (1, %s), (2, %s)", (Bit("000"), Bit("111")))
        conn.execute("INSERT INTO bitvecs VALUES (3, %b)", (Bit("011"),))
        assert conn.execute("SELECT id FROM bitvecs ORDER BY embedding <~> %s, id", (Bit("101"),)).fetchall() == [(2,), (1,), (3,)]
        assert conn.execute("SELECT embedding FROM bitvecs WHERE id = 3").fetchone()[0] == "011", "no loader: text, as from pgvector"
        with pytest.raises(psycopg.errors.StringDataLengthMismatch):
            conn.execute("INSERT INTO bitvecs VALUES (4, %s)", (Bit("10"),))


def test_real_array_parameters_into_vector_columns_and_binary_quantize_rerank(conn):
    """pgvector declares its array-to-vector casts AS ASSIGNMENT: a Python list (sent as a
    float8[] in text), a binary float8[] and a numpy array's list go into a vector column;
    then pgvector's README query, binary quantization re-ranked by cosine distance."""
    import numpy as np

    conn.execute("CREATE TABLE quantized (id bigint PRIMARY KEY, embedding vector(3))")
    conn.execute("INSERT INTO quantized VALUES (1, %s), (2, %s)", ([1.0, 1.0, 1.0], [2.0, -2.0, 3.0]))
    conn.execute("INSERT INTO quantized VALUES (3, %b)", ([-1.0, -2.0, -3.0],))
    conn.execute("INSERT INTO quantized VALUES (4, %s), (5, %s)",
                 (np.array([1, -2, 2.5], dtype=np.float32).tolist(), np.array([-1, 2, 3], dtype=np.float32).tolist()))
    rows = conn.execute("SELECT id, embedding::text, binary_quantize(embedding) FROM quantized ORDER BY id").fetchall()
    assert rows == [(1, "[1,1,1]", "111"), (2, "[2,-2,3]", "101"), (3, "[-1,-2,-3]", "000"),
                    (4, "[1,-2,2.5]", "101"), (5, "[-1,2,3]", "011")]
    with pytest.raises(psycopg.errors.NullValueNotAllowed, match="array must not contain nulls"):
        conn.execute("INSERT INTO quantized VALUES (6, %s)", ([1.0, None, 3.0],))
    rerank = conn.execute(
        "SELECT id FROM (SELECT * FROM quantized ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize(%s) LIMIT 3) "
        "ORDER BY embedding <=> %s LIMIT 2", ("[1,-2,3]", "[1,-2,3]")).fetchall()
    assert rerank == [(4,), (2,)]


def as_list(vector):
    """pgvector-python returns numpy arrays or, in newer versions, its Vector class."""
    return vector.to_list() if hasattr(vector, "to_list") else vector.tolist()


def test_catalog_introspection(conn):
    conn.execute("CREATE TABLE introspected (id bigint PRIMARY KEY, title text NOT NULL)")
    columns = conn.execute("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                           "WHERE table_name = 'introspected' ORDER BY ordinal_position").fetchall()
    assert columns == [("id", "bigint", "NO"), ("title", "text", "NO")]
    assert conn.execute("SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'introspected'").fetchone() == (1,)


def test_copy_from_stdin_and_to_stdout(conn):
    conn.execute("CREATE TABLE copied (id bigint PRIMARY KEY, label text, embedding vector(2))")
    with conn.cursor() as cursor:
        with cursor.copy("COPY copied (id, label, embedding) FROM STDIN") as copy:
            for n in range(1200):
                copy.write_row((n, None if n % 100 == 0 else f"label\t{n}", f"[{n},{n + 1}]"))
    assert conn.execute("SELECT count(*), count(label) FROM copied").fetchone() == (1200, 1188)
    assert conn.execute("SELECT label FROM copied WHERE id = 7").fetchone() == ("label\t7",)
    with conn.cursor() as cursor:
        with cursor.copy("COPY (SELECT id, label FROM copied WHERE id < 3 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            text = b"".join(bytes(block) for block in copy).decode()
    assert text == "id,label\n0,\n1,label\t1\n2,label\t2\n"


def test_copy_writes_each_type_as_postgresql_and_fills_always_identity_columns(conn):
    """COPY TO prints a date without a time, a timestamptz with its offset and a real with
    float4's digits, as a query's text rows do; COPY FROM writes the ids given for a
    GENERATED ALWAYS identity column, as PostgreSQL does (pg_dump's restore relies on it)."""
    conn.execute("CREATE TABLE copy_typed (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, d date, t timestamptz, r real)")
    with conn.cursor() as cursor:
        with cursor.copy("COPY copy_typed (id, d, t, r) FROM STDIN") as copy:
            copy.write(b"7\t2024-02-29\t2024-02-29 10:00:00+02\t1.1\n")
    assert conn.execute("SELECT id FROM copy_typed").fetchone() == (7,)
    conn.execute("SET TimeZone = 'UTC'")
    with conn.cursor() as cursor:
        with cursor.copy("COPY copy_typed TO STDOUT") as copy:
            assert b"".join(bytes(block) for block in copy) == b"7\t2024-02-29\t2024-02-29 08:00:00+00\t1.1\n"
    with pytest.raises(psycopg.errors.GeneratedAlways):
        conn.execute("INSERT INTO copy_typed (id) VALUES (8)")


def test_copy_and_float_parameters_name_the_table_their_schema_says_while_a_temporary_table_hides_it(conn):
    """COPY public.t and UPDATE public.t change the permanent t, pg_temp.t and a bare t the
    temporary one; a float8 parameter stored into an integer column rounds half to even."""
    conn.execute("CREATE TABLE shadowed (id int PRIMARY KEY, i int)")
    conn.execute("CREATE TEMP TABLE shadowed (id int PRIMARY KEY, i int)")
    with conn.cursor() as cursor:
        with cursor.copy("COPY public.shadowed FROM STDIN") as copy:
            copy.write_row((1, 10))
        with cursor.copy("COPY pg_temp.shadowed (id, i) FROM STDIN") as copy:
            copy.write_row((1, 20))
            copy.write_row((2, 21))
    conn.execute("UPDATE public.shadowed SET i = %s", (2.5,))
    conn.execute("UPDATE shadowed SET i = %s WHERE id = 1", (-2.5,))
    assert conn.execute("SELECT id, i FROM public.shadowed").fetchall() == [(1, 2)]
    assert conn.execute("SELECT id, i FROM shadowed ORDER BY id").fetchall() == [(1, -2), (2, 21)]
    with conn.cursor() as cursor:
        with cursor.copy("COPY public.shadowed TO STDOUT") as copy:
            assert b"".join(bytes(block) for block in copy) == b"1\t2\n"
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        with conn.cursor().copy("COPY public.shadowed FROM STDIN") as copy:
            copy.write_row((3, "2.5"))


def test_binary_copy_in_and_out_as_pgvector_python_bulk_loads(server):
    """pgvector-python's README loads embeddings with a binary COPY; rows of every common
    type go in and come back in PostgreSQL's binary COPY format."""
    import numpy as np
    from pgvector.psycopg import register_vector
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("CREATE TABLE bin_items (id bigserial PRIMARY KEY, embedding vector(3))")
        embeddings = np.random.default_rng(7).random((1500, 3), dtype=np.float32)
        with conn.cursor().copy("COPY bin_items (embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["vector"])
            for embedding in embeddings:
                copy.write_row([embedding])
        assert conn.execute("SELECT count(*) FROM bin_items").fetchone() == (1500,)
        stored = conn.execute("SELECT embedding FROM bin_items WHERE id = 1500").fetchone()[0]
        assert as_list(stored) == embeddings[-1].tolist()

        conn.execute("CREATE TABLE bin_typed (i int, b bigint, s smallint, f double precision, r real, t text, "
                     "ok boolean, raw bytea, day date, at timestamptz, doc jsonb, n numeric, tags text[])")
        row = (1, 2**40, 3, 1.5, 2.5, "tab\there", True, b"\x00\xff", datetime.date(2024, 2, 29),
               datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), {"a": [1, 2]}, decimal.Decimal("12.50"), ["x", "y"])
        types = ["int4", "int8", "int2", "float8", "float4", "text", "bool", "bytea", "date", "timestamptz", "jsonb", "numeric", "text[]"]
        with conn.cursor().copy("COPY bin_typed FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(types)
            copy.write_row(row)
            copy.write_row((None,) * len(types))
        with conn.cursor().copy("COPY (SELECT * FROM bin_typed ORDER BY i NULLS LAST) TO STDOUT WITH (FORMAT BINARY)") as copy:
            copy.set_types(types)
            out = list(copy.rows())
        assert out[0][:7] == row[:7] and out[0][7] == row[7] and out[0][8:] == row[8:]
        assert out[1] == (None,) * len(types)
        with conn.cursor().copy("COPY (SELECT i FROM bin_typed WHERE false) TO STDOUT WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4"])
            assert list(copy.rows()) == [], "no rows: the header and the trailer only"

        with pytest.raises(psycopg.errors.BadCopyFileFormat):
            with conn.cursor().copy("COPY bin_items (embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.write(b"not the binary COPY signature")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("COPY bin_items FROM STDIN WITH (FORMAT binary, HEADER)")
        assert conn.execute("SELECT count(*) FROM bin_items").fetchone() == (1500,)


def test_copy_errors_roll_back_the_whole_copy(conn):
    conn.execute("CREATE TABLE strict_copy (id bigint PRIMARY KEY)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.cursor() as cursor:
            with cursor.copy("COPY strict_copy FROM STDIN") as copy:
                copy.write_row((1,))
                copy.write_row((1,))
    assert conn.execute("SELECT count(*) FROM strict_copy").fetchone() == (0,)


def test_cancel_request_stops_a_running_statement(server):
    import threading
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE spin (n bigint)")
        conn.execute("INSERT INTO spin VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)")
        done = threading.Event()

        def cancel_until_done():  # a cancel that arrives before the statement starts has no effect: repeat it
            while not done.wait(0.05):
                conn.cancel()

        canceller = threading.Thread(target=cancel_until_done)
        canceller.start()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled):
                # 10^9 rows of cross join: it ends only by being cancelled.
                conn.execute("SELECT count(*) FROM spin a, spin b, spin c, spin d, spin e, spin f, spin g, spin h, spin i")
        finally:
            done.set()
            canceller.join()
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_statement_timeout_and_session_defaults(conn):
    assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("10min",)
    conn.execute("SET statement_timeout = '200ms'")
    conn.execute("CREATE TABLE spin2 (n bigint)")
    conn.execute("INSERT INTO spin2 VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)")
    with pytest.raises(psycopg.errors.QueryCanceled):
        conn.execute("SELECT count(*) FROM spin2 a, spin2 b, spin2 c, spin2 d, spin2 e, spin2 f, spin2 g, spin2 h, spin2 i")
    conn.execute("RESET statement_timeout")


def test_idle_transaction_is_ended_and_its_connection_closed(server):
    with psycopg.connect(server.dsn) as idle:
        idle.execute("SET idle_in_transaction_session_timeout = '300ms'")
        idle.execute("CREATE TABLE held (id bigint)")
        idle.commit()
        idle.execute("INSERT INTO held VALUES (1)")
        with psycopg.connect(server.dsn, autocommit=True) as other:
            other.execute("INSERT INTO held VALUES (2)")  # an idle block holds up no other writer
            assert other.execute("SELECT id FROM held").fetchall() == [(2,)]  # and shows it nothing
        time.sleep(0.6)  # past the idle timeout: the server ends the block and the connection
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            idle.execute("SELECT 1")
        with pytest.raises(psycopg.OperationalError):  # the server closed the connection after the FATAL error
            idle.execute("SELECT 1")


def test_sigterm_ends_idle_connections_and_exits_cleanly():
    """A connection pool keeps idle connections open; SIGTERM must not wait for them. They
    get PostgreSQL's FATAL 57P01 and the server checkpoints and exits 0 at once; a
    transaction left open is rolled back, a committed one is there after a restart."""
    import tempfile
    from conftest import Server

    with tempfile.TemporaryDirectory(prefix="vireo-e2e-shutdown-") as data_dir:
        running = Server(data_dir)
        idle = psycopg.connect(running.dsn, autocommit=True)
        in_block = psycopg.connect(running.dsn)
        idle.execute("CREATE TABLE kept (id bigint PRIMARY KEY)")
        idle.execute("INSERT INTO kept VALUES (1)")
        in_block.execute("INSERT INTO kept VALUES (2)")  # never committed
        started = time.monotonic()
        code, output = running.stop()
        assert code == 0 and "checkpointed and closed" in output, output
        assert time.monotonic() - started < 5, "idle connections held the shutdown up"
        with pytest.raises(psycopg.errors.AdminShutdown):
            idle.execute("SELECT 1")
        idle.close()
        in_block.close()
        restarted = Server(data_dir)
        try:
            with psycopg.connect(restarted.dsn, autocommit=True) as conn:
                assert conn.execute("SELECT id FROM kept").fetchall() == [(1,)]
        finally:
            assert restarted.stop()[0] == 0


def test_named_cursors_fetch_in_pieces(server):
    """psycopg's server-side cursors: DECLARE, a Describe of the cursor's portal, then FETCH
    FORWARD itersize until a short piece; fetchmany, scroll, and WITH HOLD past COMMIT."""
    with psycopg.connect(server.dsn) as conn:
        conn.execute("CREATE TABLE cursor_rows (id bigint PRIMARY KEY, label text)")
        conn.execute("INSERT INTO cursor_rows SELECT i, 'row ' || i FROM generate_series(1, 5000) AS s(i)")
        conn.commit()
        with conn.cursor(name="big") as cursor:
            cursor.itersize = 500
            cursor.execute("SELECT id, label FROM cursor_rows WHERE id > %s ORDER BY id", (0,))
            assert [column.name for column in cursor.description] == ["id", "label"]
            rows = list(cursor)
        assert [row[0] for row in rows] == list(range(1, 5001))
        assert rows[4999] == (5000, "row 5000")
        with conn.cursor(name="pieces") as cursor:
            cursor.execute("SELECT id FROM cursor_rows ORDER BY id")
            sizes = []
            while piece := cursor.fetchmany(1200):
                sizes.append(len(piece))
            assert sizes == [1200, 1200, 1200, 1200, 200]
            cursor.scroll(9, mode="absolute")
            assert cursor.fetchone() == (10,)
        conn.commit()
        with conn.cursor(name="held", withhold=True) as cursor:
            cursor.execute("SELECT id FROM cursor_rows ORDER BY id LIMIT 3")
            conn.commit()
            assert cursor.fetchall() == [(1,), (2,), (3,)]
        with pytest.raises(psycopg.errors.InvalidCursorName):
            conn.execute('FETCH 1 FROM "big"')


def test_tools_read_pg_settings_and_pg_views(conn):
    """The introspection monitoring tools and admin GUIs send: pg_settings with the
    session's own values (in base units), pg_views with the view's query."""
    conn.execute("SET work_mem = '4MB'")
    row = conn.execute("SELECT setting, unit, source, vartype FROM pg_settings WHERE name = %s", ("work_mem",)).fetchone()
    assert row == ("4096", "kB", "session", "integer")
    conn.execute("CREATE TABLE tool_items (id bigint PRIMARY KEY, tag text)")
    conn.execute("CREATE VIEW tool_tags AS SELECT tag FROM tool_items")
    views = conn.execute("SELECT schemaname, viewname, definition FROM pg_catalog.pg_views WHERE viewname = %s", ("tool_tags",)).fetchall()
    assert views == [("public", "tool_tags", " SELECT tag FROM tool_items;")]
    sizes = conn.execute("SELECT pg_relation_size('tool_items'), pg_total_relation_size(%s)", ("tool_items",)).fetchone()
    assert sizes[0] > 0 and sizes[1] >= sizes[0]


def test_discard_all_resets_the_connection_and_drops_its_prepared_statements(conn, server):
    """DISCARD ALL, as connection pools send it: settings back to their defaults, cursors
    closed, advisory locks released, and the connection's prepared statements dropped."""
    from psycopg import pq
    conn.execute("SET application_name = 'before-discard'")
    conn.execute("SELECT pg_advisory_lock(4242)")
    assert conn.pgconn.prepare(b"kept_statement", b"SELECT 1").status == pq.ExecStatus.COMMAND_OK
    with pytest.raises(psycopg.errors.ActiveSqlTransaction):
        with conn.transaction():
            conn.execute("DISCARD ALL")
    conn.execute("DISCARD ALL")
    assert conn.execute("SHOW application_name").fetchone() == ("",)
    result = conn.pgconn.exec_prepared(b"kept_statement", [])
    assert result.status == pq.ExecStatus.FATAL_ERROR
    assert result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
    with psycopg.connect(server.dsn, autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(4242)").fetchone() == (True,)


def test_pg_cancel_backend_and_pg_terminate_backend_reach_other_connections(server):
    """What an administrator's dashboard sends: cancel another connection's statement
    (57014), end another connection (FATAL 57P01); false for a pid no connection has."""
    import threading
    with psycopg.connect(server.dsn, autocommit=True) as admin, \
            psycopg.connect(server.dsn, autocommit=True) as busy, \
            psycopg.connect(server.dsn, autocommit=True) as idle:
        outcome = {}

        def sleep():
            try:
                busy.execute("SELECT pg_sleep(30)")
            except psycopg.Error as error:
                outcome["sqlstate"] = error.sqlstate

        sleeper = threading.Thread(target=sleep)
        sleeper.start()
        cancelled = False
        for _ in range(500):
            cancelled = admin.execute("SELECT pg_cancel_backend(%s)", (busy.info.backend_pid,)).fetchone()[0]
            sleeper.join(timeout=0.01)
            if not sleeper.is_alive():
                break
        sleeper.join()
        assert cancelled is True
        assert outcome == {"sqlstate": "57014"}
        assert busy.execute("SELECT 1").fetchone() == (1,)
        assert admin.execute("SELECT pg_terminate_backend(%s)", (idle.info.backend_pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError):
            idle.execute("SELECT 1")
        assert admin.execute("SELECT pg_cancel_backend(999999)").fetchone() == (False,)


def test_explain_format_json_arrives_as_a_parsed_plan(conn):
    """Plan viewers and ORMs' query loggers read EXPLAIN (FORMAT JSON) as a json value."""
    conn.execute("CREATE TABLE planned (id bigint PRIMARY KEY, grp int, name text)")
    conn.execute("INSERT INTO planned VALUES (1, 1, 'a'), (2, 2, 'b')")
    (document,) = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT name FROM planned WHERE id = %s", (1,)).fetchone()
    assert isinstance(document, list) and len(document) == 1
    assert document[0]["Execution Time"] >= 0
    plan = document[0]["Plan"]
    nodes = [plan] + plan.get("Plans", [])
    lookup = next(node for node in nodes if node.get("Relation Name") == "planned")
    assert lookup["Node Type"] == "Primary Key Lookup"
    assert lookup["Actual Rows"] == 1
    digest = conn.execute("SELECT encode(sha256(%s), 'hex')", (b"abc",)).fetchone()[0]
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_result_description_names_the_source_column_and_its_declared_type(conn):
    """RowDescription as PostgreSQL 15 sends it: the table OID and attribute number of a column
    read unchanged, varchar's and char's own OIDs, and the declared modifiers that
    cursor.description turns into display_size, precision and scale."""
    conn.execute("CREATE TABLE column_origins (id integer PRIMARY KEY, name varchar(10), price numeric(10,2), code char(4))")
    conn.execute("CREATE VIEW origin_view AS SELECT id, name FROM column_origins")
    table_oid, view_oid = conn.execute("SELECT 'column_origins'::regclass::oid, 'origin_view'::regclass::oid").fetchone()
    for prepare in (False, True):
        cursor = conn.execute("SELECT id, name, price, code, id + 1 AS next, name::varchar(3) AS short FROM column_origins",
                              prepare=prepare)
        description = cursor.description
        assert [column.type_code for column in description] == [23, 1043, 1700, 1042, 23, 1043]
        assert [(column.display_size, column.precision, column.scale) for column in description[1:4]] == \
            [(10, None, None), (None, 10, 2), (4, None, None)]
        assert description[5].display_size == 3
        result = cursor.pgresult
        assert [(result.ftable(i), result.ftablecol(i)) for i in range(6)] == \
            [(table_oid, 1), (table_oid, 2), (table_oid, 3), (table_oid, 4), (0, 0), (0, 0)]
    result = conn.execute("SELECT name FROM origin_view").pgresult
    assert (result.ftable(0), result.ftablecol(0), result.ftype(0), result.fmod(0)) == (view_oid, 2, 1043, 14)


def test_text_type_names_and_time_precisions_as_postgres_describes_them(conn):
    """PostgreSQL 15's answers: pg_typeof names a varchar or char column or cast by its own type,
    an expression over one is text (OID 25) while the column and an unbounded ::varchar are
    varchar (1043); a timestamp(p) or time(p) column or cast rounds its values to p digits and
    carries p as the RowDescription's type modifier."""
    conn.execute("CREATE TABLE typed_columns (v varchar, c char(3), at timestamp(2), t time(1))")
    conn.execute("INSERT INTO typed_columns VALUES ('a', 'b', %s, '10:00:00.16')",
                 (datetime.datetime(2024, 1, 1, 10, 0, 0, 125000),))
    for prepare in (False, True):
        cursor = conn.execute("SELECT v, v || 'x', 'a'::varchar, at, t, at::timestamp(1), pg_typeof(v)::text, pg_typeof(c)::text "
                              "FROM typed_columns", prepare=prepare)
        result = cursor.pgresult
        assert [result.ftype(i) for i in range(6)] == [1043, 25, 1043, 1114, 1083, 1114]
        assert [result.fmod(i) for i in range(6)] == [-1, -1, -1, 2, 1, 1]
        assert cursor.fetchone() == ("a", "ax", "a", datetime.datetime(2024, 1, 1, 10, 0, 0, 130000), datetime.time(10, 0, 0, 200000),
                                     datetime.datetime(2024, 1, 1, 10, 0, 0, 100000), "character varying", "character")


def test_keyset_pagination_with_a_row_comparison_of_parameters(conn):
    # The idiom of keyset pagination: `(created_at, id) > (%s, %s)` with the last row's values,
    # which psycopg sends typed (timestamptz, integer), in text and in binary.
    conn.execute("CREATE TABLE feed (id integer PRIMARY KEY, created_at timestamptz NOT NULL, title text)")
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO feed VALUES (%s, %s, %s)",
                           [(i, start + datetime.timedelta(minutes=i // 3), f"t{i}") for i in range(1, 41)])
    expected = [row[0] for row in conn.execute("SELECT id FROM feed ORDER BY created_at, id").fetchall()]
    for binary in (False, True):
        seen, after = [], (start - datetime.timedelta(days=1), 0)
        with conn.cursor(binary=binary) as cursor:
            for _ in range(20):
                page = cursor.execute("SELECT created_at, id FROM feed WHERE (created_at, id) > (%s, %s) "
                                      "ORDER BY created_at, id LIMIT 6", after).fetchall()
                if not page:
                    break
                seen += [row[1] for row in page]
                after = page[-1]
        assert seen == expected, binary
    found = conn.execute("SELECT id FROM feed WHERE (id, title) IN ((%s, %s), (%s, %s)) ORDER BY id",
                         (3, "t3", 4, "nope")).fetchall()
    assert found == [(3,)]
