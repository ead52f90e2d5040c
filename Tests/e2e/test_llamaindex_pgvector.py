"""LlamaIndex's `PGVectorStore` (llama-index-vector-stores-postgres) against `vireo serve`, unchanged.

The store creates its schema, table and indexes through SQLAlchemy: a generated `tsvector`
column, a gin index over it, B-tree indexes over `CAST(metadata_ ->> 'page' AS INTEGER)`, a
gin index over `CAST(metadata_ -> 'tags' AS JSONB)` and an HNSW index with `vector_cosine_ops`.
It writes through psycopg2 and reads through psycopg2 (sync) and asyncpg (async: asyncpg
introspects the `vector` type inside the caller's transaction). Every dense answer is
checked against a brute-force cosine computation in numpy, every metadata filter operator
against the same filter evaluated in Python; text search and hybrid search against the rows
whose text holds the word. The embeddings are seeded fakes: no model, no network."""
import asyncio
import zlib

import numpy as np
import pytest
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.vector_stores.postgres import PGVectorStore

from conftest import API_KEY

DIMENSIONS = 16
TOPICS = ["birds", "fish", "trees", "rivers"]
# ts_rank of one matching word in a document, as PostgreSQL 15 computes it (no normalization).
ONE_WORD_RANK = 0.0607927


def embed(text):
    vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIMENSIONS)
    return (vector / np.linalg.norm(vector)).tolist()


def make_node(i):
    text = f"note {i} about {TOPICS[i % 4]}"
    metadata = {"page": i, "topic": TOPICS[i % 4], "tags": [TOPICS[i % 4], "all"]}
    if i % 5 == 0:
        metadata["reviewed"] = "yes"
    node = TextNode(text=text, id_=f"node-{i}", embedding=embed(text), metadata=metadata)
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=f"doc-{i % 6}")
    return node


def open_store(server, table):
    store = PGVectorStore.from_params(
        host="127.0.0.1", port=str(server.pg_port), database="vireo", user="vireo", password=API_KEY,
        table_name=table, embed_dim=DIMENSIONS, hybrid_search=True, text_search_config="english", use_jsonb=True,
        hnsw_kwargs={"hnsw_m": 16, "hnsw_ef_construction": 64, "hnsw_ef_search": 40},
        indexed_metadata_keys={("page", "int"), ("topic", "text"), ("tags", "text[]")},
    )
    # Setup errors are only logged by default; a test wants them raised.
    store.initialization_fail_on_error = True
    return store


def passes(metadata, filter_):
    """One LlamaIndex metadata filter, as the SQL the store writes for it evaluates it."""
    if isinstance(filter_, MetadataFilters):
        parts = [passes(metadata, part) for part in filter_.filters]
        return all(parts) if filter_.condition == FilterCondition.AND else any(parts)
    field, value, op = metadata.get(filter_.key), filter_.value, filter_.operator
    if op == FilterOperator.IS_EMPTY:
        return field is None
    if field is None:
        return False
    text = str(field)
    checks = {
        FilterOperator.EQ: lambda: text == str(value),
        FilterOperator.NE: lambda: text != str(value),
        FilterOperator.GT: lambda: float(field) > value,
        FilterOperator.GTE: lambda: float(field) >= value,
        FilterOperator.LT: lambda: float(field) < value,
        FilterOperator.LTE: lambda: float(field) <= value,
        FilterOperator.IN: lambda: text in value,
        FilterOperator.NIN: lambda: text not in value,
        FilterOperator.CONTAINS: lambda: value in field,
        FilterOperator.TEXT_MATCH: lambda: value in text,
        FilterOperator.TEXT_MATCH_INSENSITIVE: lambda: value.lower() in text.lower(),
        FilterOperator.ANY: lambda: any(v in field for v in value),
        FilterOperator.ALL: lambda: all(v in field for v in value),
    }
    return checks[op]()


def brute_force(query_text, k, live, filters=None):
    """(node id, cosine distance) of the k nearest live nodes passing `filters`, by numpy."""
    candidates = [node for node in live.values() if filters is None or passes(node.metadata, filters)]
    if not candidates:
        return []
    matrix = np.array([node.embedding for node in candidates])
    distances = 1 - matrix @ np.array(embed(query_text))
    order = np.argsort(distances, kind="stable")[:k]
    return [(candidates[i].node_id, float(distances[i])) for i in order]


def expect_dense(result, query_text, k, live, filters=None):
    expected = brute_force(query_text, k, live, filters)
    assert result.ids == [node_id for node_id, _ in expected], (filters, result.ids, expected)
    for similarity, (node_id, distance) in zip(result.similarities, expected):
        assert similarity == pytest.approx(1 - distance, abs=1e-5), node_id
    for node in result.nodes:
        assert node.get_content() == live[node.node_id].text
        assert node.metadata == live[node.node_id].metadata


def one(key, value, operator=FilterOperator.EQ):
    return MetadataFilters(filters=[MetadataFilter(key=key, value=value, operator=operator)])


FILTERS = [
    None,
    one("topic", "fish"),
    one("topic", "fish", FilterOperator.NE),
    one("page", 20, FilterOperator.GT),
    one("page", 7, FilterOperator.LTE),
    one("topic", ["trees", "rivers"], FilterOperator.IN),
    one("topic", ["birds"], FilterOperator.NIN),
    one("tags", "rivers", FilterOperator.CONTAINS),
    one("topic", "ive", FilterOperator.TEXT_MATCH),
    one("topic", "IRD", FilterOperator.TEXT_MATCH_INSENSITIVE),
    one("tags", ["birds", "none"], FilterOperator.ANY),
    one("tags", ["fish", "all"], FilterOperator.ALL),
    one("reviewed", None, FilterOperator.IS_EMPTY),
    MetadataFilters(filters=[
        MetadataFilter(key="topic", value="fish"),
        MetadataFilters(filters=[MetadataFilter(key="page", value=25, operator=FilterOperator.GT),
                                 MetadataFilter(key="page", value=6, operator=FilterOperator.LT)],
                        condition=FilterCondition.OR),
    ]),
]


@pytest.fixture(scope="module")
def store(server):
    store = open_store(server, "llama_notes")
    live = {node.node_id: node for node in map(make_node, range(40))}
    assert store.add(list(live.values())) == list(live)
    yield store, live
    asyncio.run(store.close())


def test_dense_search_with_every_filter_operator_matches_brute_force(store):
    store, live = store
    for filters in FILTERS:
        for query_text in ("note 3 about birds", "rivers and trees"):
            result = store.query(VectorStoreQuery(query_embedding=embed(query_text), similarity_top_k=5, filters=filters))
            expect_dense(result, query_text, 5, live, filters)


def test_text_and_hybrid_search(store):
    store, live = store
    rivers = {node_id for node_id, node in live.items() if node.metadata["topic"] == "rivers"}
    sparse = store.query(VectorStoreQuery(query_str="rivers", similarity_top_k=4, sparse_top_k=4,
                                          mode=VectorStoreQueryMode.TEXT_SEARCH))
    assert len(sparse.ids) == 4 and set(sparse.ids) <= rivers, sparse.ids
    assert sparse.similarities == pytest.approx([ONE_WORD_RANK] * 4, abs=1e-6)
    # The words are OR-ed: "fish" or "birds", at most sparse_top_k of either.
    either = store.query(VectorStoreQuery(query_str="fish, birds!", similarity_top_k=30, sparse_top_k=30,
                                          mode=VectorStoreQueryMode.SPARSE))
    assert sorted(either.ids) == sorted(i for i, n in live.items() if n.metadata["topic"] in ("fish", "birds"))
    filtered = store.query(VectorStoreQuery(query_str="fish", similarity_top_k=30, sparse_top_k=30,
                                            mode=VectorStoreQueryMode.SPARSE, filters=one("page", 20, FilterOperator.GT)))
    assert sorted(filtered.ids) == sorted(i for i, n in live.items() if n.metadata["topic"] == "fish" and n.metadata["page"] > 20)
    hybrid = store.query(VectorStoreQuery(query_embedding=embed("rivers"), query_str="rivers", similarity_top_k=3,
                                          sparse_top_k=3, mode=VectorStoreQueryMode.HYBRID))
    dense = [node_id for node_id, _ in brute_force("rivers", 3, live)]
    assert hybrid.ids[:3] == dense and set(hybrid.ids[3:]) <= rivers and len(set(hybrid.ids)) == len(hybrid.ids)


def test_mmr_and_reads_by_id_and_filter(store):
    store, live = store
    mmr = store.query(VectorStoreQuery(query_embedding=embed("note 9 about fish"), similarity_top_k=4,
                                       mode=VectorStoreQueryMode.MMR), mmr_threshold=0.5)
    assert len(mmr.ids) == 4 and mmr.ids[0] == "node-9" and len(set(mmr.ids)) == 4
    assert sorted(n.node_id for n in store.get_nodes(node_ids=["node-1", "node-2", "missing"])) == ["node-1", "node-2"]
    trees = store.get_nodes(filters=one("topic", "trees"))
    assert sorted(n.node_id for n in trees) == sorted(i for i, n in live.items() if n.metadata["topic"] == "trees")


def test_async_queries_adds_and_deletes_through_asyncpg(server):
    store = open_store(server, "llama_async")
    live = {node.node_id: node for node in map(make_node, range(24))}

    async def run():
        assert await store.async_add(list(live.values())) == list(live)
        for filters in (None, one("topic", "birds"), one("page", 10, FilterOperator.GTE)):
            result = await store.aquery(VectorStoreQuery(query_embedding=embed("fish"), similarity_top_k=4, filters=filters))
            expect_dense(result, "fish", 4, live, filters)
        hybrid = await store.aquery(VectorStoreQuery(query_embedding=embed("trees"), query_str="trees", similarity_top_k=2,
                                                     sparse_top_k=2, mode=VectorStoreQueryMode.HYBRID))
        assert hybrid.ids[:2] == [node_id for node_id, _ in brute_force("trees", 2, live)]
        assert [n.node_id for n in await store.aget_nodes(node_ids=["node-5"])] == ["node-5"]
        await store.adelete("doc-1")  # ref_doc_id: nodes 1, 7, 13, 19
        await store.adelete_nodes(node_ids=["node-2", "node-3"])
        for node_id in ("node-1", "node-7", "node-13", "node-19", "node-2", "node-3"):
            del live[node_id]
        result = await store.aquery(VectorStoreQuery(query_embedding=embed("fish"), similarity_top_k=6))
        expect_dense(result, "fish", 6, live)
        await store.aclear()
        assert await store.aget_nodes(filters=one("page", -1, FilterOperator.GT)) == []
        await store.close()

    asyncio.run(run())


def test_deletes_and_reopening_the_store(server):
    table = "llama_reopen"
    first = open_store(server, table)
    live = {node.node_id: node for node in map(make_node, range(30))}
    first.add(list(live.values()))
    first.delete("doc-2")  # nodes 2, 8, 14, 20, 26
    first.delete_nodes(node_ids=["node-0"], filters=one("topic", "birds"))
    for node_id in ("node-2", "node-8", "node-14", "node-20", "node-26", "node-0"):
        del live[node_id]
    asyncio.run(first.close())
    # A second store over the same table: its setup finds the table and indexes there.
    second = open_store(server, table)
    result = second.query(VectorStoreQuery(query_embedding=embed("note 4 about birds"), similarity_top_k=30))
    expect_dense(result, "note 4 about birds", 30, live)
    second.clear()
    assert second.get_nodes(filters=one("page", -1, FilterOperator.GT)) == []
    asyncio.run(second.close())
