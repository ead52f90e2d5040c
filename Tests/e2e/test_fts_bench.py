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
    ranked = result["bm25"]["ids"]["1"]
    assert ranked[0] == 1 and set(ranked) == {1, 4, 2}
    assert result["bm25"]["scores"]["1"] == sorted(result["bm25"]["scores"]["1"], reverse=True)
    assert result["top10_qps"] > 0 and result["index_bytes"] >= 0
    pytest.importorskip("rank_bm25")
    lexemes = run.query_lexemes(os.environ["VIREO_BIN"], corpus["queries"], str(tmp_path))
    assert lexemes == [["night", "templ"], ["sheep", "wine"]]
    overlap = run.agreement(result, corpus, lexemes)
    assert overlap["rank_bm25, Lucene idf"] == 1.0


def test_fusions_rank_by_rank_or_by_scaled_score():
    import fusion
    keyword = {"ids": {"1": [10, 20, 30]}, "scores": {"1": [9.0, 3.0, 1.0]}}
    vector = {"ids": {"1": [30, 40]}, "scores": {"1": [0.8, 0.6]}}
    fused = fusion.alternatives(keyword, vector)
    # RRF: 30 is in both lists (1/63 + 1/61) and beats 10 (1/61 alone).
    assert fused["rrf k=60 1:1"]["1"][:2] == [30, 10]
    # Min-max: 10 scores 0.5·1, 30 scores 0.5·0 + 0.5·1, 40 nothing; 10 and 30 tie, the lower id first.
    assert fused["minmax 0.5:0.5"]["1"] == [10, 30, 20, 40]
    assert fused["minmax 0.7:0.3"]["1"][0] == 10 and fused["minmax 0.3:0.7"]["1"][0] == 30


def test_gcide_senses_are_cleaned_and_wordnet_borrowed_ones_dropped():
    import build_dictionary
    single = " [F. riv[`e]re a river.]\n   A large stream of water flowing in a bed; as, the {Thames}.\n   [1913 Webster]\n"
    assert build_dictionary.only_sense(single) == "A large stream of water flowing in a bed"
    numbered = "\n   1. One sense.\n      [1913 Webster]\n\n   2. Another.\n      [1913 Webster]\n"
    assert build_dictionary.only_sense(numbered) is None
    borrowed = "\n   a large natural stream of water\n      [WordNet 1.5]\n"
    assert build_dictionary.only_sense(borrowed) is None
    assert build_dictionary.clean("(Zool.) Any one of numerous small birds. --Shak.") == "Any one of numerous small birds."


def test_quality_by_set_scores_each_set_and_the_mixture():
    corpus = {"queries": [{"id": 1, "relevant": [3], "set": "kjv"}, {"id": 10001, "relevant": [100005], "set": "dictionary"}]}
    figures = run.quality_by_set({"bm25": {"1": [3], "10001": [7]}}, corpus, ["kjv", "dictionary"])["bm25"]
    assert figures["kjv"]["ndcg@10"] == 1.0 and figures["dictionary"]["ndcg@10"] == 0.0 and figures["mixed"]["ndcg@10"] == 0.5


def test_subsample_keeps_every_judged_document_and_some_others():
    corpus = {"documents": [{"id": i, "text": str(i)} for i in range(1, 101)],
              "queries": [{"id": 1, "relevant": [50], "set": "kjv"}, {"id": 2, "relevant": [99], "set": "kjv"}]}
    kept = [document["id"] for document in run.subsample(corpus, 10)["documents"]]
    assert len(kept) == 12 and {50, 99} <= set(kept) and kept == sorted(kept)
