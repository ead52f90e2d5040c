#!/usr/bin/env python3
"""Full-text search benchmark (issue 12): Vireo's BM25 (gin index, WAND top-k), MiniLM vector
and hybrid rankings, beside SQLite FTS5 (bm25()) and PostgreSQL 15 (tsvector + GIN, ts_rank)
on the same corpus, and Vireo's BM25 against rank_bm25 with the same tokenisation.

    run.py --vireo PATH/vireo [--model-dir DIR] [--out DIR] [--pg-bin /usr/lib/postgresql/15/bin]
           [--sets kjv,dictionary] [--skip-peers]

Quality: nDCG@10 and recall@100 over the judged queries of each set, in one table holding the
documents of every set named: `kjv` (known-item queries, build_corpus.py) and `dictionary`
(paraphrase queries, build_dictionary.py); `mixed` is all the queries together. Beside
hybrid_search's own ranking, fusions of the same BM25 and vector top-100 lists computed here
(fusion.py), to compare fusion functions on the same candidates. Speed: index build
time and size, and single-thread top-10 queries per second for the 1–4 word speed queries,
every engine asked for the documents holding any of the words, best first. Vireo and SQLite
run in-process; PostgreSQL answers over its Unix socket (psycopg), so its figure includes a
round trip per query. Agreement: overlap@10 between Vireo's top 10 and rank_bm25's (BM25Okapi
with its own idf, and with Lucene's idf, which Vireo uses) over the documents' lexemes."""
import argparse
import json
import math
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import fusion

HERE = os.path.dirname(os.path.abspath(__file__))


def best_qps(run, queries, rounds=3):
    for query in queries:
        run(query)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for query in queries:
            run(query)
        best = max(best, len(queries) / (time.perf_counter() - start))
    return best


def sqlite_fts5(corpus, directory):
    path = os.path.join(directory, "fts5.sqlite")
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='porter')")
    start = time.perf_counter()
    with db:
        db.executemany("INSERT INTO docs (rowid, body) VALUES (?, ?)", [(d["id"], d["text"]) for d in corpus["documents"]])
    build = time.perf_counter() - start
    db.execute("VACUUM")
    size = os.path.getsize(path)

    def run(text):
        expression = " OR ".join('"' + word + '"' for word in text.split())
        return [row[0] for row in db.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10", (expression,))]
    return {"build_seconds": build, "index_bytes": size, "top10_qps": best_qps(run, corpus["speed_queries"])}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres(corpus, directory, pg_bin):
    try:
        import psycopg
    except ImportError:
        return {"skipped": "psycopg is not installed in this Python"}
    if not os.path.exists(os.path.join(pg_bin, "initdb")):
        return {"skipped": f"no PostgreSQL binaries in {pg_bin} (apt-get install postgresql-15)"}
    data = os.path.join(directory, "pg")
    # PostgreSQL refuses to run as root: as root, its files and processes belong to `postgres`.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    os.makedirs(data)
    if as_user:
        shutil.chown(data, "postgres")
    subprocess.run(as_user + [os.path.join(pg_bin, "initdb"), "-D", data, "-A", "trust", "--locale=C", "-U", "bench"], check=True, capture_output=True)
    port = free_port()
    subprocess.run(as_user + [os.path.join(pg_bin, "pg_ctl"), "-D", data, "-o", f"-p {port} -k {directory} -c listen_addresses=''",
                   "-l", os.path.join(data, "pg.log"), "-w", "start"], check=True, capture_output=True)
    try:
        with psycopg.connect(host=directory, port=port, user="bench", dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, "
                         "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED)")
            start = time.perf_counter()
            with conn.cursor().copy("COPY docs (id, body) FROM STDIN") as copy:
                for document in corpus["documents"]:
                    copy.write_row((document["id"], document["text"]))
            conn.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
            build = time.perf_counter() - start
            size = conn.execute("SELECT pg_relation_size('docs_tsv')").fetchone()[0]
            query = "CAST(replace(CAST(plainto_tsquery('english', %s) AS text), '&', '|') AS tsquery)"
            sql = f"SELECT id FROM docs WHERE tsv @@ {query} ORDER BY ts_rank(tsv, {query}) DESC LIMIT 10"
            cursor = conn.cursor()
            qps = best_qps(lambda text: cursor.execute(sql, (text, text)).fetchall(), corpus["speed_queries"])
        return {"build_seconds": build, "index_bytes": size, "top10_qps": qps}
    finally:
        subprocess.run(as_user + [os.path.join(pg_bin, "pg_ctl"), "-D", data, "-m", "fast", "stop"], capture_output=True)


def query_lexemes(vireo, queries, directory):
    """Each judged query's lexemes, as Vireo's plainto_tsquery('english', …) makes them."""
    script = "".join("SELECT plainto_tsquery('english', '" + q["text"].replace("'", "''") + "')::text AS q;\n" for q in queries)
    output = subprocess.run([vireo, "sql", os.path.join(directory, "lexemes.vireo")], input=script, capture_output=True,
                            text=True, check=True).stdout
    lines = output.splitlines()
    # Each answer prints a header ` q`, a rule, one row (empty for a query of stop words only), `(1 row)`.
    found = [lines[index + 2] for index, line in enumerate(lines) if line.strip() == "q" and index + 2 < len(lines)]
    return [sorted({part.strip().strip("'") for part in row.split("&") if part.strip()}) for row in found]


def agreement(vireo_result, corpus, lexemes):
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        return {"skipped": "rank_bm25 is not installed in this Python (pip install rank_bm25)"}

    class LuceneBM25(BM25Okapi):
        def _calc_idf(self, nd):
            self.idf = {word: math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5)) for word, freq in nd.items()}

    ids = sorted(vireo_result["lexemes"], key=int)
    tokens = [[word for word, count in vireo_result["lexemes"][i].items() for _ in range(count)] for i in ids]
    overlaps = {}
    for name, model in (("rank_bm25 BM25Okapi", BM25Okapi(tokens, k1=1.2, b=0.75)), ("rank_bm25, Lucene idf", LuceneBM25(tokens, k1=1.2, b=0.75))):
        total = 0.0
        for query, words in zip(corpus["queries"], lexemes):
            scores = model.get_scores(words)
            ranked = sorted((i for i in range(len(ids)) if scores[i] > 0), key=lambda i: (-scores[i], int(ids[i])))[:10]
            reference = {int(ids[i]) for i in ranked}
            ours = set(ranked_ids(vireo_result["bm25"])[str(query["id"])][:10])
            total += len(ours & reference) / max(1, min(10, len(reference))) if reference else 1.0
        overlaps[name] = total / len(corpus["queries"])
    return overlaps


def quality(ranked, corpus):
    """nDCG@10 (binary gains, ideal DCG over the relevant documents) and recall@100."""
    ndcg = recall = 0.0
    for query in corpus["queries"]:
        found = ranked.get(str(query["id"]), [])
        relevant = set(query["relevant"])
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(relevant))))
        ndcg += sum(1 / math.log2(rank + 2) for rank, doc in enumerate(found[:10]) if doc in relevant) / ideal
        recall += len(relevant & set(found[:100])) / len(relevant)
    return {"ndcg@10": ndcg / len(corpus["queries"]), "recall@100": recall / len(corpus["queries"])}


def ranked_ids(ranking):
    """A ranking from `vireo bench fts`: {"ids": {query: [id…]}, "scores": …}, or the ids alone."""
    return ranking["ids"] if "ids" in ranking else ranking


def build_corpus(sets, directory):
    """One corpus holding every named set's documents; queries tagged with their set."""
    corpus = {"documents": [], "queries": [], "speed_queries": []}
    for name in sets:
        path = os.path.join(directory, f"corpus-{name}.json")
        if not os.path.exists(path):
            script, extra = {"kjv": ("build_corpus.py", []), "dictionary": ("build_dictionary.py", ["--first-id", "100001"])}[name]
            subprocess.run([sys.executable, os.path.join(HERE, script), path] + extra, check=True)
        part = json.load(open(path))
        offset = {"kjv": 0, "dictionary": 10000}[name]
        corpus["documents"] += part["documents"]
        corpus["queries"] += [dict(query, id=query["id"] + offset, set=name) for query in part["queries"]]
        corpus["speed_queries"] += part.get("speed_queries", [])
    if not corpus["speed_queries"]:
        corpus["speed_queries"] = [query["text"] for query in corpus["queries"][:500]]
    return corpus


def subsample(corpus, distractors):
    """Every judged query and relevant document, and `distractors` other documents (fixed seed):
    a smaller run (a debug build's exact vector scans) with the same queries and judgments."""
    relevant = {doc for query in corpus["queries"] for doc in query["relevant"]}
    others = [document for document in corpus["documents"] if document["id"] not in relevant]
    kept = [document for document in corpus["documents"] if document["id"] in relevant]
    kept += random.Random(12).sample(others, min(distractors, len(others)))
    return dict(corpus, documents=sorted(kept, key=lambda document: document["id"]))


def quality_by_set(rankings, corpus, sets):
    """{ranking: {set: figures}}, with "mixed" (every query) when there are several sets."""
    groups = {name: {"queries": [q for q in corpus["queries"] if q["set"] == name]} for name in sets}
    if len(sets) > 1:
        groups["mixed"] = corpus
    return {name: {group: quality(ranked, queries) for group, queries in groups.items()} for name, ranked in rankings.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vireo", required=True)
    parser.add_argument("--model-dir")
    parser.add_argument("--out", default="bench-out/fts")
    parser.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin")
    parser.add_argument("--sets", default="kjv,dictionary", help="comma-separated: kjv (known-item), dictionary (paraphrase)")
    parser.add_argument("--skip-peers", action="store_true", help="quality only: no SQLite, PostgreSQL or rank_bm25")
    parser.add_argument("--distractors", type=int, help="keep only the relevant documents and this many others")
    arguments = parser.parse_args()
    os.makedirs(arguments.out, exist_ok=True)
    sets = arguments.sets.split(",")
    corpus = build_corpus(sets, arguments.out)
    if arguments.distractors is not None:
        corpus = subsample(corpus, arguments.distractors)
    corpus_path = os.path.join(arguments.out, "corpus.json")
    json.dump(corpus, open(corpus_path, "w"))
    model = arguments.model_dir if arguments.model_dir and os.path.exists(os.path.join(arguments.model_dir, "model.safetensors")) else None
    if model is None:
        print("no all-MiniLM-L6-v2 model directory (--model-dir, see docs/benchmarks-embed.md): vector and hybrid rankings skipped")
    vireo_json = os.path.join(arguments.out, "vireo.json")
    command = [arguments.vireo, "bench", "fts", "--corpus", corpus_path, "--output", vireo_json]
    cache = ["--embedding-cache", os.path.join(arguments.out, "embeddings.bin")]
    subprocess.run(command + (["--model-directory", model] + cache if model else []), check=True)
    vireo = json.load(open(vireo_json))
    rankings = {name: ranked_ids(vireo[name]) for name in ("bm25", "vector", "hybrid") if name in vireo}
    if "vector" in vireo:
        rankings.update({"fusion: " + name: ranked for name, ranked in fusion.alternatives(vireo["bm25"], vireo["vector"]).items()})
    report = {"documents": len(corpus["documents"]), "judged_queries": len(corpus["queries"]),
              "speed_queries": len(corpus["speed_queries"]), "quality": quality_by_set(rankings, corpus, sets)}
    if not arguments.skip_peers:
        with tempfile.TemporaryDirectory(prefix="vireo-bench-fts-") as directory:
            os.chmod(directory, 0o777)
            peers = {"SQLite FTS5": sqlite_fts5(corpus, directory), "PostgreSQL 15": postgres(corpus, directory, arguments.pg_bin)}
            lexemes = query_lexemes(arguments.vireo, corpus["queries"], directory)
        report["speed"] = {"Vireo": {"build_seconds": vireo["index_seconds"], "load_seconds": vireo["load_seconds"],
                                     "index_bytes": vireo["index_bytes"], "top10_qps": vireo["top10_qps"]}, **peers}
        report["agreement_overlap@10"] = agreement(vireo, corpus, lexemes)
    json.dump(report, open(os.path.join(arguments.out, "report.json"), "w"), indent=2)
    print_report(report)


def print_report(report):
    print(f"\n{report['documents']} documents, {report['judged_queries']} judged queries, {report['speed_queries']} speed queries\n")
    groups = list(next(iter(report["quality"].values())).keys())
    print("| ranking | " + " | ".join(f"{g} nDCG@10 | {g} recall@100" for g in groups) + " |")
    print("|---|" + "---:|" * (2 * len(groups)))
    for name, by_group in report["quality"].items():
        print(f"| {name} | " + " | ".join(f"{f['ndcg@10']:.3f} | {f['recall@100']:.3f}" for f in by_group.values()) + " |")
    if "speed" in report:
        print("\n| engine | index build s | index MB | top-10 QPS |\n|---|---:|---:|---:|")
        for name, figures in report["speed"].items():
            if "skipped" in figures:
                print(f"| {name} | skipped: {figures['skipped']} | | |")
            else:
                print(f"| {name} | {figures['build_seconds']:.2f} | {figures['index_bytes'] / 1e6:.1f} | {figures['top10_qps']:.0f} |")
        print("\n| reference | overlap@10 with Vireo's bm25 |\n|---|---:|")
        for name, value in report["agreement_overlap@10"].items():
            print(f"| {name} | {value if isinstance(value, str) else format(value, '.4f')} |")


if __name__ == "__main__":
    main()
