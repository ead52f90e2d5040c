"""Multidimensional arrays and bit strings through psycopg 3 against a real `vireo serve`:
psycopg reads a two-dimensional array as a list of lists in text and binary results, and
sends one (a list of lists parameter) in both formats; `= ANY('{{…},{…}}')` literals, as
Haystack's pgvector store writes them, match every element."""
import psycopg
import pytest


@pytest.fixture
def conn(server):
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize("binary", [False, True])
def test_two_dimensional_arrays_arrive_as_lists_of_lists(conn, binary):
    with conn.cursor(binary=binary) as cursor:
        cursor.execute("SELECT '{{1,2},{3,NULL}}'::int[], ARRAY[['a','b c']], '{}'::int[], '{{{1},{2}}}'::bigint[]")
        assert cursor.fetchone() == ([[1, 2], [3, None]], [["a", "b c"]], [], [[[1], [2]]])


@pytest.mark.parametrize("binary", [False, True])
def test_list_of_lists_parameters_store_and_read_back(conn, binary):
    conn.execute("DROP TABLE IF EXISTS grids")
    conn.execute("CREATE TABLE grids (id integer PRIMARY KEY, grid integer[][], words text[])")
    with conn.cursor(binary=binary) as cursor:
        cursor.execute("INSERT INTO grids VALUES (%s, %s, %s)", (1, [[1, 2], [3, 4]], [["x"], ["y"]]))
        cursor.execute("SELECT grid, words, grid[2][1], array_dims(grid) FROM grids WHERE id = %s", (1,))
        assert cursor.fetchone() == ([[1, 2], [3, 4]], [["x"], ["y"]], 3, "[1:2][1:2]")
        cursor.execute("SELECT id FROM grids WHERE %s = ANY(grid)", (4,))
        assert cursor.fetchall() == [(1,)]


def test_any_over_a_two_dimensional_literal_as_haystack_writes_it(conn):
    conn.execute("DROP TABLE IF EXISTS haystack_meta_docs")
    conn.execute("CREATE TABLE haystack_meta_docs (id text PRIMARY KEY, meta_key text)")
    conn.execute("INSERT INTO haystack_meta_docs VALUES ('a', 'k1'), ('b', 'k2'), ('c', 'k3')")
    rows = conn.execute("SELECT id FROM haystack_meta_docs WHERE meta_key = ANY('{{k1,k3},{zz,k2}}') ORDER BY id").fetchall()
    assert rows == [("a",), ("b",), ("c",)]


def test_ragged_arrays_are_refused_with_postgres_sqlstates(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT '{{1,2},{3}}'::int[]")
    with pytest.raises(psycopg.errors.ArraySubscriptError):
        conn.execute("SELECT ARRAY[[1,2],[3]]")


def test_bit_string_operators(conn):
    assert conn.execute("SELECT B'1010' & B'0110', ~B'1010', B'1010' << 1, get_bit(B'1010', 0), ~5").fetchone() == (
        "0010", "0101", "0100", 1, -6)
    with pytest.raises(psycopg.errors.StringDataLengthMismatch):
        conn.execute("SELECT B'10' # B'101'")
