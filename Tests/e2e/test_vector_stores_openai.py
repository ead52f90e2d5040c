"""The OpenAI-compatible surface (/openai/v1) of a real `vireo serve`, driven by the official
`openai` SDK in strict mode (every response must fit its models): files, vector stores, files
in stores with upload_and_poll, a file batch, search with a compound filter, and paging."""
import io

import openai
import pytest

from conftest import API_KEY
from documents import tiny_docx, tiny_pdf


@pytest.fixture()
def client(server):
    return openai.OpenAI(api_key=API_KEY, base_url=server.base_url + "/openai/v1", _strict_response_validation=True, max_retries=0)


def named(name, content):
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def test_openai_sdk_flow(client):
    store = client.vector_stores.create(name="manuals", metadata={"team": "docs"}, expires_after={"anchor": "last_active_at", "days": 7})
    assert store.name == "manuals" and store.file_counts.total == 0 and store.status == "completed" and store.expires_at

    pdf = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("volcano.pdf", tiny_pdf(["Volcanoes erupt molten lava and ash."])))
    assert pdf.status == "completed" and pdf.usage_bytes > 0 and pdf.last_error is None
    assert pdf.chunking_strategy.type == "static" and pdf.chunking_strategy.static.max_chunk_size_tokens == 256
    docx = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("baking.docx", tiny_docx(["Knead the dough, then bake the bread until golden."])),
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}})
    assert docx.status == "completed" and docx.chunking_strategy.static.chunk_overlap_tokens == 20
    client.vector_stores.files.update(file_id=pdf.id, vector_store_id=store.id, attributes={"topic": "geology", "year": 2021})
    client.vector_stores.files.update(file_id=docx.id, vector_store_id=store.id, attributes={"topic": "kitchen", "year": 2024})

    uploaded = [client.files.create(file=named(f"note-{index}.txt", f"Note {index} about tides and the moon.".encode()), purpose="assistants")
                for index in range(3)]
    assert uploaded[0].object == "file" and uploaded[0].purpose == "assistants" and uploaded[0].status == "processed"
    assert client.files.content(uploaded[0].id).read() == b"Note 0 about tides and the moon."
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=[file.id for file in uploaded], attributes={"topic": "sea", "year": 2023})
    assert batch.object == "vector_store.files_batch" and batch.status == "completed"
    assert batch.file_counts.completed == 3 and batch.file_counts.in_progress == 0
    batch_files = list(client.vector_stores.file_batches.list_files(batch_id=batch.id, vector_store_id=store.id))
    assert len(batch_files) == 3

    results = client.vector_stores.search(vector_store_id=store.id, query="molten lava", max_num_results=5, rewrite_query=True)
    assert results.data[0].filename == "volcano.pdf" and "lava" in results.data[0].content[0].text
    assert results.data[0].attributes == {"topic": "geology", "year": 2021}
    compound = {"type": "or", "filters": [
        {"type": "and", "filters": [{"key": "topic", "type": "eq", "value": "kitchen"}, {"key": "year", "type": "gte", "value": 2024}]},
        {"key": "topic", "type": "in", "value": ["sea"]}]}
    filtered = client.vector_stores.search(vector_store_id=store.id, query="bread and tides", filters=compound, max_num_results=10)
    assert {hit.filename for hit in filtered.data} == {"baking.docx", "note-0.txt", "note-1.txt", "note-2.txt"}
    older = client.vector_stores.search(vector_store_id=store.id, query="anything", filters={"key": "year", "type": "lt", "value": 2023})
    assert {hit.filename for hit in older.data} == {"volcano.pdf"}
    # Vector ranking scores by cosine similarity, which no chunk reaches here; hybrid (the
    # default) scores 1 for a chunk first in both rankings, as volcano.pdf is.
    strict = client.vector_stores.search(vector_store_id=store.id, query="molten lava",
                                         ranking_options={"score_threshold": 0.999, "ranking": "vector"})
    assert strict.data == []
    fused = client.vector_stores.search(vector_store_id=store.id, query="molten lava", ranking_options={"score_threshold": 0.999})
    assert [hit.filename for hit in fused.data] == ["volcano.pdf"]

    # Paging: the SDK follows `after` = the last id until has_more is false.
    files = list(client.vector_stores.files.list(vector_store_id=store.id, limit=2))
    assert len(files) == 5 and len({file.id for file in files}) == 5
    completed = client.vector_stores.files.list(vector_store_id=store.id, filter="completed", limit=100)
    assert len(completed.data) == 5 and completed.has_more is False
    content = client.vector_stores.files.content(file_id=pdf.id, vector_store_id=store.id)
    assert any("lava" in part.text for part in content)

    updated = client.vector_stores.update(vector_store_id=store.id, name="manuals-2")
    assert updated.name == "manuals-2" and updated.file_counts.completed == 5 and updated.usage_bytes > 0
    assert client.vector_stores.files.delete(file_id=docx.id, vector_store_id=store.id).deleted
    assert client.vector_stores.retrieve(store.id).file_counts.total == 4
    assert client.files.delete(uploaded[2].id).deleted
    assert client.vector_stores.delete(store.id).deleted


def test_openai_store_pages_and_errors(client):
    ids = [client.vector_stores.create(name=f"page-{index}").id for index in range(3)]
    listed = [store.id for store in client.vector_stores.list(limit=1, order="asc")]
    assert listed[-3:] == ids
    newest = client.vector_stores.list(limit=2)
    assert newest.data[0].id == ids[-1] and newest.has_more
    # Newest first, so the page before the oldest of the three holds the next newer one.
    assert [store.id for store in client.vector_stores.list(limit=1, before=ids[0]).data] == [ids[1]]
    assert client.vector_stores.list(limit=1, before=ids[-1]).data == []

    with pytest.raises(openai.NotFoundError) as missing:
        client.vector_stores.retrieve("no-such-store")
    assert missing.value.status_code == 404 and missing.value.body["type"] == "not_found_error"
    with pytest.raises(openai.BadRequestError) as bad:
        client.vector_stores.search(vector_store_id=ids[0], query="x", max_num_results=51)
    assert bad.value.body["param"] == "max_num_results"
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.search(vector_store_id=ids[0], query="x", filters={"key": "a", "type": "near", "value": 1})
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=named("tool.exe", b"MZ"), purpose="assistants")
    upload = client.files.create(file=named("a.txt", b"hello"), purpose="assistants")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.create(vector_store_id=ids[0], file_id=upload.id,
                                          chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 80}})
    bad_key = openai.OpenAI(api_key="wrong", base_url=str(client.base_url), _strict_response_validation=True, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.vector_stores.list()
