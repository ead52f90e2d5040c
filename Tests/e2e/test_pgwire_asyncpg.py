"""asyncpg, a second driver that prepares every statement and speaks binary."""
import asyncio

import asyncpg

from conftest import API_KEY


def run(coroutine):
    return asyncio.run(coroutine)


def test_asyncpg_prepares_binds_and_fetches(server):
    async def scenario():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", database="vireo",
                                     password=API_KEY, ssl=False)
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
