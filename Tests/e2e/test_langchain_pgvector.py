"""LangChain's pgvector stores (langchain-postgres `PGVector`, and the newer `PGVectorStore` over a
`PGEngine`) against `vireo serve`, unchanged. PGVector creates its tables and the gin index over
`cmetadata jsonb_path_ops`, adds texts with metadata, searches with k and with metadata filters
(which compile to jsonb_path_match, `->>` … IN, LIKE and jsonb_exists), scores, deletes by id
and re-opens the store. Every answer is checked against a brute-force computation of the same
cosine distances in numpy. PGVectorStore keeps metadata in columns of its own table (filters
compile to plain SQL on them), talks through SQLAlchemy's async engine with psycopg, and its
search reads one parameter twice (in cosine_distance, then in ORDER BY … <=>). The embeddings
are seeded fakes: no model, no network."""
import uuid
import zlib

import numpy as np
import psycopg
import pytest
from langchain_core.embeddings import Embeddings
from langchain_postgres import Column, PGEngine, PGVector, PGVectorStore

from conftest import API_KEY

DIMENSIONS = 16
TOPICS = ["birds", "fish", "trees", "rivers"]


class SeededEmbeddings(Embeddings):
    """A unit vector per text, from a generator seeded by the text's CRC-32: deterministic."""

    def embed_documents(self, texts):
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text):
        vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIMENSIONS)
        return (vector / np.linalg.norm(vector)).tolist()


def corpus():
    texts, metadatas, ids = [], [], []
    for i in range(60):
        texts.append(f"note {i} about {TOPICS[i % 4]}")
        metadata = {"page": i, "topic": TOPICS[i % 4], "score": round(i * 0.25, 2)}
        if i % 5 == 0:
            metadata["reviewed"] = True
        metadatas.append(metadata)
        ids.append(f"doc-{i}")
    return texts, metadatas, ids


def holds(metadata, condition):
    """LangChain's filter language, evaluated in Python for the brute-force reference."""
    for key, wanted in condition.items():
        if key == "$and":
            if not all(holds(metadata, part) for part in wanted):
                return False
            continue
        if key == "$or":
            if not any(holds(metadata, part) for part in wanted):
                return False
            continue
        operator, value = next(iter(wanted.items())) if isinstance(wanted, dict) else ("$eq", wanted)
        present = key in metadata
        field = metadata.get(key)
        checks = {
            "$eq": lambda: present and field == value,
            "$ne": lambda: present and field != value,
            "$lt": lambda: present and field < value,
            "$lte": lambda: present and field <= value,
            "$gt": lambda: present and field > value,
            "$gte": lambda: present and field >= value,
            "$between": lambda: present and value[0] <= field <= value[1],
            "$in": lambda: present and str(field) in [str(v) for v in value],
            "$nin": lambda: present and str(field) not in [str(v) for v in value],
            "$like": lambda: present and str(field).startswith(value.rstrip("%")),
            "$exists": lambda: present == value,
        }
        if not checks[operator]():
            return False
    return True


def brute_force(query, k, live, condition=None):
    """(id, cosine distance) of the k nearest live documents passing `condition`, by numpy."""
    embeddings = SeededEmbeddings()
    candidates = [(doc_id, text) for doc_id, (text, metadata) in live.items() if condition is None or holds(metadata, condition)]
    if not candidates:
        return []
    matrix = np.array(embeddings.embed_documents([text for _, text in candidates]))
    target = np.array(embeddings.embed_query(query))
    distances = 1 - matrix @ target / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(target))
    order = np.argsort(distances, kind="stable")[:k]
    return [(candidates[i][0], float(distances[i])) for i in order]


def open_store(server, collection):
    url = f"postgresql+psycopg://vireo:{API_KEY}@127.0.0.1:{server.pg_port}/vireo"
    return PGVector(embeddings=SeededEmbeddings(), collection_name=collection, connection=url, use_jsonb=True)


def expect_search(store, query, k, live, condition=None):
    found = store.similarity_search_with_score(query, k=k, filter=condition)
    expected = brute_force(query, k, live, condition)
    assert [document.id for document, _ in found] == [doc_id for doc_id, _ in expected], (condition, found, expected)
    for (document, score), (doc_id, distance) in zip(found, expected):
        assert score == pytest.approx(distance, abs=1e-5), (doc_id, score, distance)
        assert document.page_content == live[doc_id][0]
        assert document.metadata == live[doc_id][1]
    plain = store.similarity_search(query, k=k, filter=condition)
    assert [document.id for document in plain] == [doc_id for doc_id, _ in expected]


FILTERS = [
    None,
    {"topic": "birds"},
    {"topic": {"$eq": "fish"}},
    {"topic": {"$ne": "fish"}},
    {"page": {"$gte": 40}},
    {"page": {"$lt": 7}},
    {"score": {"$lte": 2.5}},
    {"page": {"$between": [10, 20]}},
    {"topic": {"$in": ["trees", "rivers"]}},
    {"page": {"$in": [1, 2, 3, 44]}},
    {"topic": {"$nin": ["birds"]}},
    {"topic": {"$like": "ri%"}},
    {"reviewed": {"$exists": True}},
    {"reviewed": {"$exists": False}},
    {"$and": [{"topic": {"$eq": "fish"}}, {"page": {"$gt": 20}}]},
    {"$or": [{"topic": "birds"}, {"page": {"$lte": 3}}]},
    {"topic": "birds", "page": {"$gte": 30}},
]


def test_langchain_pgvector_store(server):
    texts, metadatas, ids = corpus()
    store = open_store(server, "langchain_e2e")
    assert store.add_texts(texts, metadatas=metadatas, ids=ids) == ids
    live = {doc_id: (text, metadata) for doc_id, text, metadata in zip(ids, texts, metadatas)}

    for condition in FILTERS:
        for query, k in [("where do birds nest", 4), ("river fish", 10)]:
            expect_search(store, query, k, live, condition)

    deleted = ["doc-0", "doc-1", "doc-5", "doc-13"]
    store.delete(ids=deleted)
    for doc_id in deleted:
        del live[doc_id]
    expect_search(store, "note 1 about fish", 5, live)
    expect_search(store, "note 1 about fish", 5, live, {"reviewed": {"$exists": True}})

    reopened = open_store(server, "langchain_e2e")
    for condition in FILTERS[:6]:
        expect_search(reopened, "trees by the river", 6, live, condition)
    assert {document.id for document in reopened.get_by_ids(["doc-2", "doc-5"])} == {"doc-2"}


def test_langchain_metadata_index_serves_containment(server):
    """LangChain's gin index over cmetadata jsonb_path_ops: `@>` goes through it (EXPLAIN) and
    answers as the metadata say; its definition reads back as LangChain wrote it."""
    texts, metadatas, ids = corpus()
    open_store(server, "langchain_index").add_texts(texts, metadatas=metadatas, ids=[f"x-{i}" for i in ids])
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        definition = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'langchain_pg_embedding' AND indexdef LIKE '%gin%'").fetchone()[0]
        assert "USING gin (cmetadata jsonb_path_ops)" in definition, definition
        query = "SELECT id FROM langchain_pg_embedding WHERE cmetadata @> %s::jsonb AND id LIKE 'x-%%' ORDER BY id"
        plan = "\n".join(row[0] for row in connection.execute("EXPLAIN " + query, ['{"topic": "trees"}']))
        assert "Index Scan using ix_cmetadata_gin" in plan, plan
        found = [row[0] for row in connection.execute(query, ['{"topic": "trees", "page": 6}'])]
        assert found == ["x-doc-6"]


V2_FILTERS = [None, {"topic": "birds"}, {"page": {"$gte": 40}}, {"topic": {"$in": ["trees", "rivers"]}},
              {"$and": [{"topic": {"$ne": "fish"}}, {"page": {"$lt": 30}}]}, {"page": {"$between": [10, 20]}}]


def test_langchain_pgvectorstore_over_pgengine(server):
    texts, metadatas, names = corpus()
    for metadata in metadatas:
        metadata.pop("reviewed", None)  # a column store has no absent fields: keep the columns
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, name)) for name in names]
    engine = PGEngine.from_connection_string(url=f"postgresql+psycopg://vireo:{API_KEY}@127.0.0.1:{server.pg_port}/vireo")
    engine.init_vectorstore_table(table_name="langchain_v2", vector_size=DIMENSIONS,
                                  metadata_columns=[Column("topic", "TEXT"), Column("page", "INTEGER"), Column("score", "DOUBLE PRECISION")])
    store = PGVectorStore.create_sync(engine=engine, table_name="langchain_v2", embedding_service=SeededEmbeddings(),
                                      metadata_columns=["topic", "page", "score"])
    store.add_texts(texts, metadatas=metadatas, ids=ids)
    live = {doc_id: (text, metadata) for doc_id, text, metadata in zip(ids, texts, metadatas)}
    for condition in V2_FILTERS:
        expect_search(store, "where do birds nest", 5, live, condition)
    store.delete(ids=ids[:3])
    for doc_id in ids[:3]:
        del live[doc_id]
    expect_search(store, "note 1 about fish", 5, live)
    reopened = PGVectorStore.create_sync(engine=engine, table_name="langchain_v2", embedding_service=SeededEmbeddings(),
                                         metadata_columns=["topic", "page", "score"])
    expect_search(reopened, "trees by the river", 6, live, {"topic": "trees"})
