"""Ranking modes of the tables API's search (issue 12): vector, keyword (BM25 over a tsvector
column, from its gin index) and hybrid (relative score fusion), over a real `vireo serve`,
checked against the same rankings computed from SQL."""
from conftest import rest, call

DOCS = [
    ("disk controller failed with error E1234", [0.9, 0.1]),
    ("storage device stopped responding", [0.8, 0.3]),
    ("quarterly sales grew in the north", [0.1, 0.9]),
    ("disk quotas for the sales team", [0.4, 0.6]),
    ("the controller of the sales region", [0.2, 0.8]),
]


def make_table(server, name):
    call(server.base_url, "POST", "/api/v1/tables", {"name": name, "columns": {"body": "string", "embedding": "vector(2)"}})
    call(server.base_url, "POST", "/api/v1/query", {"sql": f"ALTER TABLE {name} ADD COLUMN tsv tsvector "
                                                        "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED", "params": []})
    call(server.base_url, "POST", "/api/v1/query", {"sql": f"CREATE INDEX {name}_tsv ON {name} USING gin (tsv)", "params": []})
    call(server.base_url, "POST", f"/api/v1/tables/{name}/rows",
         {"rows": [{"body": body, "embedding": vector} for body, vector in DOCS]})


def sql_rows(server, sql, params):
    answer = call(server.base_url, "POST", "/api/v1/query", {"sql": sql, "params": params})
    names = [column["name"] for column in answer["columns"]]
    return [dict(zip(names, row)) for row in answer["rows"]]


def test_keyword_ranking_is_bm25_best_first(server):
    make_table(server, "fts_keyword")
    body = call(server.base_url, "POST", "/api/v1/tables/fts_keyword/search", {"query": "disk controller", "k": 3})
    assert body["ranking"] == "keyword" and body["column"] == "tsv"
    expected = sql_rows(server, "SELECT id, bm25(tsv, to_tsquery('english', 'disk | controller')) AS score FROM fts_keyword "
                                "WHERE tsv @@ to_tsquery('english', 'disk | controller') ORDER BY score DESC, id LIMIT 3", [])
    assert [(r["row"]["id"], round(r["score"], 9)) for r in body["results"]] == \
        [(row["id"], round(row["score"], 9)) for row in expected]
    assert "tsv" not in body["results"][0]["row"]


def test_hybrid_ranking_fuses_both_and_is_the_default_with_both_inputs(server):
    make_table(server, "fts_hybrid")
    body = call(server.base_url, "POST", "/api/v1/tables/fts_hybrid/search", {"query": "disk controller", "vector": [0.85, 0.2], "k": 5})
    assert body["ranking"] == "hybrid"
    keyword = sql_rows(server, "SELECT id, bm25(tsv, to_tsquery('english', 'disk | controller')) AS score FROM fts_hybrid "
                               "WHERE tsv @@ to_tsquery('english', 'disk | controller') ORDER BY score DESC, id", [])
    vector = sql_rows(server, "SELECT id, -(embedding <=> '[0.85, 0.2]') AS score FROM fts_hybrid ORDER BY embedding <=> '[0.85, 0.2]', id", [])
    # hybrid_search's default fusion: each side's scores scaled to 0…1 (min-max), then added.
    fused = {}
    for hits in (keyword, vector):
        low, high = min(h["score"] for h in hits), max(h["score"] for h in hits)
        for hit in hits:
            fused[hit["id"]] = fused.get(hit["id"], 0) + ((hit["score"] - low) / (high - low) if high > low else 1.0)
    keyword = [hit["id"] for hit in keyword]
    expected = sorted(fused, key=lambda row_id: (-fused[row_id], row_id))[:5]
    assert [r["row"]["id"] for r in body["results"]] == expected
    assert abs(body["results"][0]["score"] - fused[expected[0]]) < 1e-9
    first = body["results"][0]
    assert first["keyword_rank"] == keyword.index(first["row"]["id"]) + 1
    filtered = call(server.base_url, "POST", "/api/v1/tables/fts_hybrid/search",
                    {"query": "sales", "vector": [0.1, 0.9], "filter": {"body": "disk quotas for the sales team"}})
    assert [r["row"]["body"] for r in filtered["results"]] == ["disk quotas for the sales team"]


def test_ranking_modes_need_their_inputs(server):
    make_table(server, "fts_errors")
    status, body = rest(server.base_url, "POST", "/api/v1/tables/fts_errors/search", {"query": "disk", "ranking": "hybrid"})
    assert status == 422, body
    status, body = rest(server.base_url, "POST", "/api/v1/tables/fts_errors/search", {"vector": [1, 0], "ranking": "keyword"})
    assert status == 422, body
    body = call(server.base_url, "POST", "/api/v1/tables/fts_errors/search", {"vector": [1, 0], "k": 1})
    assert body["ranking"] == "vector" and "distance" in body["results"][0]
    status, body = rest(server.base_url, "POST", "/api/v1/tables/fts_errors/search", {"query": "disk", "text_column": "body"})
    assert status == 422, body
