"""pgvector-python's Bit and SparseVector against a real `vireo serve`: HNSW indexes over
bit(n) columns (bit_hamming_ops, bit_jaccard_ops) and the sparsevec type, each expected
answer taken from pgvector 0.8.5 running the same statements."""
import random

import psycopg
import pytest


@pytest.fixture
def conn(server):
    from pgvector.psycopg import register_vector

    with psycopg.connect(server.dsn, autocommit=True) as connection:
        register_vector(connection)
        yield connection


def pgvector_types():
    """Bit and SparseVector: pgvector-python 0.4+ exports them, 0.3 from pgvector.utils."""
    try:
        from pgvector import Bit, SparseVector
    except ImportError:
        from pgvector.utils import Bit, SparseVector
    return Bit, SparseVector


def parts(sparse):
    """A SparseVector's dimension, indices and values (0.3 has no ==)."""
    return sparse.dimensions(), list(sparse.indices()), list(sparse.values())


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b))


def jaccard(a, b):
    both = sum(x == y == "1" for x, y in zip(a, b))
    either = sum(x == "1" or y == "1" for x, y in zip(a, b))
    return 1.0 if both == 0 else 1 - both / either


def test_hnsw_over_bit_columns_answers_as_the_exact_scan(conn):
    """Bit values in text and binary form into a bit(64) column; with bit_hamming_ops and
    bit_jaccard_ops indexes, EXPLAIN shows each and the k nearest have the exact distances."""
    Bit, _ = pgvector_types()
    rng = random.Random(5)
    rows = ["".join(rng.choice("01") for _ in range(64)) for _ in range(300)]
    conn.execute("CREATE TABLE fingerprints (id int PRIMARY KEY, bits bit(64))")
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO fingerprints VALUES (%s, %s)", [(i, Bit(b)) for i, b in enumerate(rows[:150])])
        cursor.executemany("INSERT INTO fingerprints VALUES (%s, %b)", [(i + 150, Bit(b)) for i, b in enumerate(rows[150:])])
    conn.execute("CREATE INDEX fingerprints_hamming ON fingerprints USING hnsw (bits bit_hamming_ops)")
    conn.execute("CREATE INDEX fingerprints_jaccard ON fingerprints USING hnsw (bits bit_jaccard_ops)")
    query = rows[7][:60] + "1111"
    for op, index, distance in (("<~>", "fingerprints_hamming", hamming), ("<%%>", "fingerprints_jaccard", jaccard)):
        sql = f"SELECT id, bits {op} %s FROM fingerprints ORDER BY bits {op} %s LIMIT 5"
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, (Bit(query), Bit(query))).fetchall())
        assert index in plan
        found = conn.execute(sql, (Bit(query), Bit(query))).fetchall()
        assert [round(d, 9) for _, d in found] == [round(d, 9) for d in sorted(distance(r, query) for r in rows)[:5]]
        assert all(abs(distance(rows[i], query) - d) < 1e-9 for i, d in found)
    with pytest.raises(psycopg.errors.DataException, match="different bit lengths 3 and 64"):
        conn.execute("SELECT id FROM fingerprints ORDER BY bits <~> %s LIMIT 1", (Bit("101"),))
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="type not supported for hnsw index"):
        conn.execute("CREATE TABLE varying_bits (b bit varying(8)); CREATE INDEX ON varying_bits USING hnsw (b bit_hamming_ops)")


def test_sparsevec_round_trips_in_text_and_binary(conn):
    """register_vector finds sparsevec through to_regtype and pg_type; SparseVector values go
    in as text and binary and come back as SparseVector, canonical (sorted, no zeros)."""
    _, SparseVector = pgvector_types()
    assert conn.execute("SELECT to_regtype('sparsevec') IS NOT NULL").fetchone() == (True,)
    conn.execute("CREATE TABLE sparse (id int PRIMARY KEY, embedding sparsevec(5))")
    conn.execute("INSERT INTO sparse VALUES (1, %s), (2, '{3:2,1:1.5}/5')", (SparseVector({0: 1.5, 2: 2.0}, 5),))
    conn.execute("INSERT INTO sparse VALUES (3, %b)", (SparseVector([0, 0, 0, 0, -1.25]),))
    rows = conn.execute("SELECT id, embedding::text, embedding FROM sparse ORDER BY id").fetchall()
    assert [row[1] for row in rows] == ["{1:1.5,3:2}/5", "{1:1.5,3:2}/5", "{5:-1.25}/5"]
    assert parts(rows[0][2]) == (5, [0, 2], [1.5, 2.0]) and parts(rows[2][2]) == (5, [4], [-1.25])
    with conn.cursor(binary=True) as cursor:
        cursor.execute("SELECT embedding FROM sparse WHERE id = 3")
        assert parts(cursor.fetchone()[0]) == (5, [4], [-1.25])
    assert conn.execute("SELECT format_type(atttypid, atttypmod), pg_typeof(embedding)::text FROM pg_attribute "
                        "JOIN sparse ON true WHERE attrelid = 'sparse'::regclass AND attname = 'embedding' LIMIT 1"
                        ).fetchone() == ("sparsevec(5)", "sparsevec")


def test_sparsevec_operators_functions_and_errors_as_pgvector(conn):
    _, SparseVector = pgvector_types()
    row = conn.execute("SELECT '{1:1,3:2}/3'::sparsevec <-> '{2:1}/3', '{1:1,3:2}/3'::sparsevec <#> '{1:3}/3', "
                       "'{1:1,3:2}/3'::sparsevec <=> '{1:1}/3', '{1:1,3:2}/3'::sparsevec <+> '{2:1}/3', "
                       "l2_norm('{1:3,3:4}/3'::sparsevec), l2_normalize('{1:3,3:4}/3'::sparsevec)::text").fetchone()
    assert row == (2.449489742783178, -3.0, 0.5527864045000421, 4.0, 5.0, "{1:0.6,3:0.8}/3")
    assert conn.execute("SELECT '[1,0,2]'::vector::sparsevec::text, '{1:1,3:2}/3'::sparsevec::vector::text, "
                        "'{1:1,3:2}/3'::sparsevec <-> '[1,0,2]'::vector").fetchone() == ("{1:1,3:2}/3", "[1,0,2]", 0.0)
    conn.execute("CREATE TABLE sparse_docs (id int PRIMARY KEY, embedding sparsevec(4))")
    conn.execute("INSERT INTO sparse_docs VALUES (1, '{1:1}/4'), (2, '{2:1,4:1}/4'), (3, '{1:0.9,2:0.1}/4')")
    query = "SELECT id FROM sparse_docs ORDER BY embedding <-> %s LIMIT 2"
    assert conn.execute(query, (SparseVector({0: 1.0}, 4),)).fetchall() == [(1,), (3,)]
    conn.execute("CREATE INDEX docs_l2 ON sparse_docs USING hnsw (embedding sparsevec_l2_ops)")
    assert conn.execute(query, (SparseVector({0: 1.0}, 4),)).fetchall() == [(1,), (3,)]
    plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + query, (SparseVector({0: 1.0}, 4),)).fetchall())
    assert "docs_l2" in plan
    with pytest.raises(psycopg.errors.ProgramLimitExceeded, match="more than 1000 non-zero elements for hnsw index"):
        conn.execute("CREATE TABLE wide (e sparsevec(2000)); CREATE INDEX ON wide USING hnsw (e sparsevec_ip_ops)")
        conn.execute("INSERT INTO wide VALUES (%s)", (SparseVector({i: 1.0 for i in range(1001)}, 2000),))
    errors = [
        ("SELECT '{1:1.5,1:2}/5'::sparsevec", psycopg.errors.DataException, "sparsevec indices must not contain duplicates"),
        ("SELECT '{6:1}/5'::sparsevec", psycopg.errors.DataException, "sparsevec index out of bounds"),
        ("SELECT '{1:1}/1000000001'::sparsevec", psycopg.errors.ProgramLimitExceeded, "more than 1000000000 dimensions"),
        ("SELECT '{1:1.5,3:2}'::sparsevec", psycopg.errors.InvalidTextRepresentation, "invalid input syntax for type sparsevec"),
        ("SELECT '{1:1}/3'::sparsevec <-> '{1:1}/4'", psycopg.errors.DataException, "different sparsevec dimensions 3 and 4"),
        ("INSERT INTO sparse_docs VALUES (9, '{1:1}/3')", psycopg.errors.DataException, "expected 4 dimensions, not 3"),
    ]
    for sql, error, message in errors:
        with pytest.raises(error, match=message):
            conn.execute(sql)
    # An unsorted binary value is refused as pgvector's sparsevec_recv refuses it.
    unsorted = SparseVector({0: 1.0, 2: 2.0}, 3)
    unsorted._indices = [2, 0]
    with pytest.raises(psycopg.errors.DataException, match="sparsevec indices must be in ascending order"):
        conn.execute("SELECT %b::sparsevec", (unsorted,))
