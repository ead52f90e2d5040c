"""Fusion functions for hybrid search, computed over the same two candidate lists (each
query's top 100 by BM25 and by vector similarity, with their scores, or their first 20 or 50) so that they can be
compared with each other and with hybrid_search's own ranking on equal terms.

- rrf: reciprocal rank fusion, sum of weight / (k + rank) (Cormack et al. 2009; Elasticsearch,
  OpenSearch, Vespa's reciprocal_rank_fusion and hybrid_search before this benchmark).
- minmax: each list's scores scaled to [0, 1] by its own minimum and maximum, then a weighted
  sum; a document missing from a list gets 0 there (Weaviate's relativeScoreFusion, OpenSearch's
  min_max normalisation with arithmetic_mean).
- zscore: each list's scores scaled by mean - 3σ .. mean + 3σ (Weaviate's distributionBased).
- tmm: min-max with the theoretical minimum (0 for BM25, -1 for cosine similarity) instead of the
  list's own, "TM2C2" of Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
  Retrieval" (ACM TOIS 2023)."""
import statistics


def _lists(ranking, query, depth):
    return ranking["ids"].get(query, [])[:depth], ranking.get("scores", {}).get(query, [])[:depth]


def rrf(keyword, vector, k=60, keyword_weight=1.0, vector_weight=1.0):
    fused = {}
    for ids, weight in ((keyword, keyword_weight), (vector, vector_weight)):
        for rank, doc in enumerate(ids):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank + 1)
    return fused


def _scaled(ids, scores, low, high):
    span = high - low
    return {doc: (score - low) / span if span > 0 else 1.0 for doc, score in zip(ids, scores)}


def weighted(keyword, vector, keyword_weight, vector_weight):
    fused = {}
    for scaled, weight in ((keyword, keyword_weight), (vector, vector_weight)):
        for doc, value in scaled.items():
            fused[doc] = fused.get(doc, 0.0) + weight * value
    return fused


def minmax(ids, scores):
    return _scaled(ids, scores, min(scores), max(scores)) if scores else {}


def zscore(ids, scores):
    if len(scores) < 2:
        return minmax(ids, scores)
    mean, deviation = statistics.fmean(scores), statistics.pstdev(scores)
    return _scaled(ids, scores, mean - 3 * deviation, mean + 3 * deviation)


def theoretical(low):
    return lambda ids, scores: _scaled(ids, scores, low, max(scores)) if scores else {}


def ranked(fused, depth=100):
    return [doc for doc, _ in sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:depth]]


def alternatives(keyword, vector):
    """{name: {query: [id…]}} for each fusion tried, from `vireo bench fts`'s bm25 and vector."""
    methods = {
        "rrf k=60 1:1": lambda k, v: rrf(k[0], v[0]),
        "rrf k=60 keyword 2:1": lambda k, v: rrf(k[0], v[0], keyword_weight=2),
        "rrf k=60 vector 1:2": lambda k, v: rrf(k[0], v[0], vector_weight=2),
        "rrf k=10 1:1": lambda k, v: rrf(k[0], v[0], k=10),
    }
    for name, scale in (("minmax", minmax), ("zscore", zscore)):
        for keyword_weight in (0.3, 0.5, 0.7):
            methods[f"{name} {keyword_weight:.1f}:{1 - keyword_weight:.1f}"] = (
                lambda k, v, scale=scale, w=keyword_weight: weighted(scale(*k), scale(*v), w, 1 - w))
    methods["tmm 0.5:0.5"] = lambda k, v: weighted(theoretical(0.0)(*k), theoretical(-1.0)(*v), 0.5, 0.5)
    runs = [(name, method, 100) for name, method in methods.items()]
    runs += [(f"{name}, depth {depth}", methods[name], depth) for name in ("rrf k=60 1:1", "minmax 0.5:0.5") for depth in (20, 50)]
    queries = keyword["ids"].keys()
    return {name: {query: ranked(method(_lists(keyword, query, depth), _lists(vector, query, depth))) for query in queries}
            for name, method, depth in runs}
