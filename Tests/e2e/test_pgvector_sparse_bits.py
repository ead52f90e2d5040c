"""pgvector-python's Bit against a real `vireo serve`: HNSW indexes over bit(n) columns
(bit_hamming_ops, bit_jaccard_ops), each expected answer taken from pgvector 0.8.5 running
the same statements."""
import random

import psycopg
import pytest


@pytest.fixture
def conn(server):
    from pgvector.psycopg import register_vector

    with psycopg.connect(server.dsn, autocommit=True) as connection:
        register_vector(connection)
        yield connection


def bit_type():
    """Bit: pgvector-python 0.4+ exports it, 0.3 from pgvector.utils."""
    try:
        from pgvector import Bit
    except ImportError:
        from pgvector.utils import Bit
    return Bit


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b))


def jaccard(a, b):
    both = sum(x == y == "1" for x, y in zip(a, b))
    either = sum(x == "1" or y == "1" for x, y in zip(a, b))
    return 1.0 if both == 0 else 1 - both / either


def test_hnsw_over_bit_columns_answers_as_the_exact_scan(conn):
    """Bit values in text and binary form into a bit(64) column; with bit_hamming_ops and
    bit_jaccard_ops indexes, EXPLAIN shows each and the k nearest have the exact distances."""
    Bit = bit_type()
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
