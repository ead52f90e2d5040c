"""Ranking modes of vector-store search (issue 12) on a real `vireo serve` with the hashing
embedder: keyword (BM25 over the chunks' words) finds an exact code that the embedding does
not single out, hybrid (the default) fuses both rankings as hybrid_search does, vector keeps cosine similarity."""
from conftest import call, rest

NOTES = {
    "codes.md": "Fault E1234 means the disk controller failed. Replace the controller board.",
    "weather.md": "Rain and wind are expected over the northern hills tomorrow morning.",
    "kitchen.md": "Knead the dough, let it rise, then bake the bread until golden.",
    "music.md": "The orchestra tuned their violins before the evening concert began.",
}


def make_store(server, name):
    store = call(server.base_url, "POST", "/v1/vector_stores", {"name": name})
    for filename, text in NOTES.items():
        call(server.base_url, "POST", f"/v1/vector_stores/{store['id']}/files", form={"text": text, "filename": filename})
    return store["id"]


def search(server, store_id, **body):
    return call(server.base_url, "POST", f"/v1/vector_stores/{store_id}/search", body)["data"]


def test_keyword_ranking_finds_the_exact_code_first(server):
    store_id = make_store(server, "fts-keyword")
    hits = search(server, store_id, query="E1234", ranking="keyword")
    assert [hit["filename"] for hit in hits] == ["codes.md"], hits
    assert hits[0]["score"] == 1.0


def test_hybrid_is_the_default_and_fuses_both(server):
    store_id = make_store(server, "fts-hybrid")
    default = search(server, store_id, query="bake bread dough", max_results=4)
    hybrid = search(server, store_id, query="bake bread dough", max_results=4, ranking="hybrid")
    assert [hit["filename"] for hit in default] == [hit["filename"] for hit in hybrid]
    assert hybrid[0]["filename"] == "kitchen.md"
    scores = [hit["score"] for hit in hybrid]
    # Relative score fusion (hybrid_search's): each ranking scaled to 0..1 between its worst and
    # best candidate, averaged; the last vector candidate with no keyword match scores 0.
    assert scores == sorted(scores, reverse=True) and all(0 <= score <= 1 for score in scores)
    assert scores[0] > scores[-1]
    vector = search(server, store_id, query="bake bread dough", max_results=4, ranking="vector")
    assert len(vector) == 4 and len(hybrid) == 4
    keyword = search(server, store_id, query="bake bread dough", ranking="keyword")
    assert [hit["filename"] for hit in keyword] == ["kitchen.md"]


def test_openai_surface_takes_the_ranking_in_ranking_options(server):
    store_id = make_store(server, "fts-openai")
    page = call(server.base_url, "POST", f"/openai/v1/vector_stores/{store_id}/search",
                {"query": "E1234", "ranking_options": {"ranking": "keyword"}})
    assert [hit["filename"] for hit in page["data"]] == ["codes.md"]
    status, answer = rest(server.base_url, "POST", f"/v1/vector_stores/{store_id}/search", {"query": "x", "ranking": "sideways"})
    assert status in (400, 422), answer
