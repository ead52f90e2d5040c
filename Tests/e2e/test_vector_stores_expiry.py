"""expires_after in a real `vireo serve`: a store left unused past its days turns 'expired'
and the background worker deletes it (VIREO_EXPIRY_SWEEP_MS shortens the sweep for the
test); a store without expiry, and one still in its time, stay. The official SDK reads both."""
import tempfile
import time

import openai
import psycopg
import pytest

from conftest import API_KEY, Server

SWEEP_MS = 200
WAIT_S = 30


@pytest.fixture(scope="module")
def sweeping_server():
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-expiry-") as data_dir:
        running = Server(data_dir, environment={"VIREO_EXPIRY_SWEEP_MS": str(SWEEP_MS)})
        yield running
        code, output = running.stop()
        assert code == 0, output


def test_an_expired_store_is_deleted_by_the_worker(sweeping_server):
    client = openai.OpenAI(api_key=API_KEY, base_url=sweeping_server.base_url + "/openai/v1", _strict_response_validation=True)
    short = client.vector_stores.create(name="short", expires_after={"anchor": "last_active_at", "days": 1})
    fresh = client.vector_stores.create(name="fresh", expires_after={"anchor": "last_active_at", "days": 1})
    lasting = client.vector_stores.create(name="lasting")
    assert short.status == "completed" and short.expires_at == short.last_active_at + 86400, short
    # As if nobody had used it for two days.
    with psycopg.connect(sweeping_server.dsn, autocommit=True) as connection:
        connection.execute("UPDATE vireo_vector_stores SET last_active_at = last_active_at - 172800 WHERE id = %s", (short.id,))
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            seen = client.vector_stores.retrieve(short.id)
            assert seen.status == "expired", seen
        except openai.NotFoundError:
            break
        assert time.monotonic() < deadline, f"the store was not deleted within {WAIT_S} s"
        time.sleep(SWEEP_MS / 1000)
    remaining = {store.id for store in client.vector_stores.list()}
    assert remaining == {fresh.id, lasting.id}, remaining
    assert "expired and was deleted" in "".join(sweeping_server.output)
