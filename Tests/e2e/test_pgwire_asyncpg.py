"""asyncpg, a second driver that prepares every statement and speaks binary."""
import asyncio

import asyncpg

from conftest import API_KEY


def run(coroutine):
    return asyncio.run(coroutine)


async def connect(server):
    return await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", database="vireo",
                                 password=API_KEY, ssl=False)


def test_asyncpg_prepares_binds_and_fetches(server):
    async def scenario():
        conn = await connect(server)
        try:
            await conn.execute("CREATE TABLE apg (id bigint PRIMARY KEY, name text, score double precision, ok boolean)")
            await conn.executemany("INSERT INTO apg VALUES ($1, $2, $3, $4)",
                                   [(n, f"name {n}", n / 2, n % 2 == 0) for n in range(50)])
            rows = await conn.fetch("SELECT id, name, score, ok FROM apg WHERE id < $1 ORDER BY id", 3)
            assert [tuple(row) for row in rows] == [(0, "name 0", 0.0, True), (1, "name 1", 0.5, False), (2, "name 2", 1.0, True)]
            assert await conn.fetchval("SELECT count(*) FROM apg WHERE ok") == 25
            async with conn.transaction():
                await conn.execute("DELETE FROM apg WHERE id >= $1", 10)
            assert await conn.fetchval("SELECT count(*) FROM apg") == 10
        finally:
            await conn.close()
    run(scenario())


def test_asyncpg_fetches_a_result_larger_than_work_mem(server):
    """asyncpg describes the statement, then binds and executes: the rows stream in binary."""
    async def scenario():
        conn = await connect(server)
        try:
            await conn.execute("CREATE TABLE apg_big (id bigint PRIMARY KEY, body text)")
            await conn.execute("INSERT INTO apg_big SELECT g, repeat('q', 200) || g FROM generate_series(1, 20000) AS g")
            await conn.execute("SET work_mem = '64kB'")
            rows = await conn.fetch("SELECT id, body FROM apg_big WHERE id > $1", 0)
            assert len(rows) == 20000 and tuple(rows[-1]) == (20000, "q" * 200 + "20000")
            async with conn.transaction():
                rows = await conn.fetch("SELECT id FROM apg_big WHERE id > $1", 10)
                assert len(rows) == 19990
        finally:
            await conn.close()
    run(scenario())


def test_pgvector_register_vector_for_asyncpg(server):
    """pgvector-python's asyncpg registration looks `vector` up in pg_type and needs
    typtype typed "char" (asyncpg decodes it as bytes) and oid typed oid; then vectors go
    both ways in pgvector's binary form."""
    import numpy as np
    from pgvector.asyncpg import register_vector

    async def scenario():
        conn = await connect(server)
        try:
            await register_vector(conn)
            await conn.execute("CREATE TABLE apg_vectors (id bigint PRIMARY KEY, embedding vector(3))")
            await conn.executemany("INSERT INTO apg_vectors VALUES ($1, $2)",
                                   [(1, np.array([1, 0, 0], dtype=np.float32)), (2, np.array([0, 1, 0], dtype=np.float32))])
            row = await conn.fetchrow("SELECT id, embedding FROM apg_vectors ORDER BY embedding <-> $1 LIMIT 1",
                                      np.array([0.1, 0.9, 0], dtype=np.float32))
            assert row["id"] == 2
            assert row["embedding"].to_list() == [0.0, 1.0, 0.0]
            kinds = await conn.fetch("SELECT typname, typtype FROM pg_type WHERE oid = $1", 16385)
            assert [(r["typname"], r["typtype"]) for r in kinds] == [("vector", b"b")]
        finally:
            await conn.close()
    run(scenario())


def test_binary_results_of_mixed_type_unions_and_cases(server):
    """asyncpg reads every result in binary by the column's described type: the branches of a
    UNION must be converted to it (an integer branch under a numeric column read as 0.0 before)."""
    import decimal

    async def scenario():
        conn = await connect(server)
        try:
            rows = await conn.fetch("SELECT 1 AS x UNION ALL SELECT 2.5 ORDER BY 1")
            assert [row["x"] for row in rows] == [decimal.Decimal(1), decimal.Decimal("2.5")]
            rows = await conn.fetch("SELECT 1.5::real AS x UNION ALL SELECT 2")
            assert [row["x"] for row in rows] == [1.5, 2.0]
            assert await conn.fetchval("SELECT CASE WHEN true THEN 1 ELSE 2.5 END") == decimal.Decimal(1)
            assert tuple(await conn.fetchrow("SELECT * FROM (SELECT 1, 'a') s(n, t)")) == (1, "a")
        finally:
            await conn.close()
    run(scenario())


def test_asyncpg_cursors_are_portals_that_move_and_fetch_moves(server):
    """asyncpg's cursors are pgwire portals paged by row-limited Executes; `forward` sends
    `MOVE FORWARD n portal`, so SQL's MOVE, FETCH and CLOSE must reach the same portal (in
    PostgreSQL portals and cursors share one namespace), even one bound and not yet run."""
    async def scenario():
        conn = await connect(server)
        try:
            await conn.execute("CREATE TABLE apg_cur (id bigint PRIMARY KEY)")
            await conn.execute("INSERT INTO apg_cur SELECT g FROM generate_series(1, 1000) AS g")
            async with conn.transaction():
                seen = [row["id"] async for row in conn.cursor("SELECT id FROM apg_cur ORDER BY id", prefetch=7)]
                assert seen == list(range(1, 1001))
                cursor = await conn.cursor("SELECT id FROM apg_cur WHERE id > $1 ORDER BY id", 10)
                assert [row["id"] for row in await cursor.fetch(5)] == [11, 12, 13, 14, 15]
                assert await cursor.forward(10) == 10
                assert [row["id"] for row in await cursor.fetch(2)] == [26, 27]
                name = cursor._portal_name
                assert [row["id"] for row in await conn.fetch(f'FETCH 2 FROM "{name}"')] == [28, 29]
                assert await conn.execute(f'MOVE BACKWARD 3 IN "{name}"') == "MOVE 3"
                assert (await cursor.fetchrow())["id"] == 27
                await conn.execute(f'CLOSE "{name}"')
                try:
                    await cursor.fetch(1)
                    raise AssertionError("a closed portal was fetched")
                except asyncpg.exceptions.InvalidCursorNameError:
                    pass
            async with conn.transaction():
                bound = await conn.cursor("SELECT id FROM apg_cur WHERE id > 995")
                assert await bound.forward(10) == 5
                assert await bound.fetch(1) == []
        finally:
            await conn.close()
    run(scenario())


def test_asyncpg_pool_resets_connections_it_takes_back(server):
    """A pool runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` on
    each connection returned to it: every part must be accepted, and do what it says."""
    async def scenario():
        pool = await asyncpg.create_pool(host="127.0.0.1", port=server.pg_port, user="vireo", database="vireo",
                                         password=API_KEY, ssl=False, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                await conn.execute("SET application_name = 'borrowed'")
                assert await conn.fetchval("SELECT pg_try_advisory_lock(17)") is True
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT current_setting('application_name')") != "borrowed"
                other = await connect(server)
                try:
                    assert await other.fetchval("SELECT pg_try_advisory_lock(17)") is True, "the pool's reset unlocked it"
                finally:
                    await other.close()
            assert await pool.fetchval("SELECT $1::int + 1", 41) == 42
        finally:
            await pool.close()
    run(scenario())


def test_asyncpg_copy_records_to_table_uses_binary_copy(server):
    """asyncpg's copy_records_to_table sends PostgreSQL's binary COPY format."""
    async def scenario():
        conn = await connect(server)
        try:
            await conn.execute("CREATE TABLE apg_copy (id bigint PRIMARY KEY, name text, score double precision)")
            records = [(n, None if n % 7 == 0 else f"name {n}", n / 4) for n in range(2000)]
            assert await conn.copy_records_to_table("apg_copy", records=records) == "COPY 2000"
            rows = await conn.fetch("SELECT id, name, score FROM apg_copy ORDER BY id")
            assert [tuple(row) for row in rows] == records
        finally:
            await conn.close()
    run(scenario())
