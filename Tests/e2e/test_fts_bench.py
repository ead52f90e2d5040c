"""A tiny smoke run of the full-text benchmark harness (Benchmarks/fts): `vireo bench fts` on
a few documents, and run.py's scoring (nDCG@10, recall@100, overlap with rank_bm25)."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "Benchmarks", "fts"))
import run  # noqa: E402

DOCS = ["the lamp of the temple burned all night", "a shepherd kept his sheep by night", "bread and wine at the feast",
        "the temple gates were shut", "sheep and goats in the field", "wine from the vineyard of the king"]


def test_quality_scores_known_item_ranks():
    corpus = {"queries": [{"id": 1, "relevant": [3]}, {"id": 2, "relevant": [9]}]}
    figures = run.quality({"1": [5, 3], "2": [1, 2]}, corpus)
    assert figures["recall@100"] == 0.5
    assert abs(figures["ndcg@10"] - (1 / 1.584962500721156) / 2) < 1e-12


def test_vireo_bench_fts_ranks_and_agrees_with_rank_bm25(tmp_path):
    corpus = {"documents": [{"id": i + 1, "text": text} for i, text in enumerate(DOCS)],
              "queries": [{"id": 1, "text": "temple night", "relevant": [1]}, {"id": 2, "text": "sheep wine", "relevant": [2]}],
              "speed_queries": ["temple", "sheep wine"]}
    (tmp_path / "corpus.json").write_text(json.dumps(corpus))
    subprocess.run([os.environ["VIREO_BIN"], "bench", "fts", "--corpus", str(tmp_path / "corpus.json"), "--output",
                    str(tmp_path / "vireo.json"), "--database", str(tmp_path / "bench.vireo"), "--rounds", "1"],
                   check=True, capture_output=True)
    result = json.loads((tmp_path / "vireo.json").read_text())
    assert result["bm25"]["1"][0] == 1 and set(result["bm25"]["1"]) == {1, 4, 2}
    assert result["top10_qps"] > 0 and result["index_bytes"] >= 0
    pytest.importorskip("rank_bm25")
    lexemes = run.query_lexemes(os.environ["VIREO_BIN"], corpus["queries"], str(tmp_path))
    assert lexemes == [["night", "templ"], ["sheep", "wine"]]
    overlap = run.agreement(result, corpus, lexemes)
    assert overlap["rank_bm25, Lucene idf"] == 1.0
