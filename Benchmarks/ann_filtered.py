#!/usr/bin/env python3
"""Filtered vector search in process, Vireo against hnswlib, on the same rows and filters.

`vireo bench ann --filter-percent P,...` searches its HNSW index with a filter on row ids
(a bitmap, as the SQL engine has once a B-tree range or its filter cache gave the
matching rows) and writes the categories it filtered on and the exact answers among the
matching rows (BLAS). hnswlib gets the same vectors, labels, M and ef_construction and
answers `knn_query(queries, k, num_threads=1, filter=f)` over all queries in one call, `f`
being the `__contains__` of a frozenset of the matching labels (a C call per node it asks
about, no Python frame; hnswlib's Python binding still takes the GIL for each). Every base
row has a category in 0..999, each value on count / 1000 rows, so `category < s` with
s = 500, 100, 10, 1 matches 50%, 10%, 1% and 0.1% of the rows, as in
Benchmarks/net/bench_ann_filtered.py (which compares the same over pgwire).

The rounds alternate Vireo (a fresh process loading its cached graph) and hnswlib, so both
see the same background load. Every answer is checked: min(k, matching) rows, none outside
the filter. The tables give, per filter and ef_search, each system's recall and median QPS
(with range), and at the smallest ef reaching --target-recall in each system, the median of
the per-round QPS ratios.

usage: ann_filtered.py DATA_DIR --vireo BINARY [--baseline BINARY] [--count 20000] [--dim 384]
                       [--queries 200] [--percents 50,10,1,0.1] [--ef 10,20,40,64,100,160]
                       [--rounds 3] [--target-recall 0.95]

DATA_DIR receives base.fvecs and queries.fvecs (MiniLM-like unit vectors, as the pgwire
benchmark makes them) unless they exist, the cached graphs, and Vireo's outputs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "net"))
from ann_peers import read_vecs, write_fvecs  # noqa: E402
from netbench import minilm_like  # noqa: E402

K = 10


def read_truth(path):
    """Rows of an .ivecs file, without the -1 padding of rows shorter than the first."""
    return [[int(x) for x in row if x >= 0] for row in read_vecs(path, np.int32)]


def ensure_data(args):
    base_path, query_path = f"{args.data}/base.fvecs", f"{args.data}/queries.fvecs"
    if not os.path.exists(base_path):
        os.makedirs(args.data, exist_ok=True)
        write_fvecs(base_path, minilm_like(args.count, args.dim, seed=1))
        write_fvecs(query_path, minilm_like(args.queries, args.dim, seed=2))
    return read_vecs(base_path, np.float32), read_vecs(query_path, np.float32)


def run_vireo(binary, args, system):
    """One process: loads (or builds and caches) the graph, sweeps every filter and ef."""
    out = f"{args.data}/{system}-out"
    command = [binary] if os.path.basename(binary).startswith("vireo-bench-ann") else [binary, "bench", "ann"]
    command += ["--base", f"{args.data}/base.fvecs", "--queries", f"{args.data}/queries.fvecs", "--metric", "cosine",
                "--m", str(args.m), "--ef-construction", str(args.ef_construction), "--ef-search", args.ef,
                "--filter-percent", args.percents, "--repeats", "1", "--k", str(K),
                "--index-cache", f"{args.data}/vireo-m{args.m}-efc{args.ef_construction}.snap",
                "--data-out", out, "--json", f"{out}/report.json"]
    subprocess.run(command, capture_output=True, text=True, check=True)
    with open(f"{out}/report.json") as f:
        report = json.load(f)
    return {(p["percent"], p["efSearch"]): p for p in report["filtered"]}, out


def hnswlib_index(base, args):
    import hnswlib
    path = f"{args.data}/hnswlib-m{args.m}-efc{args.ef_construction}.bin"
    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    if os.path.exists(path):
        index.load_index(path)
    else:
        index.init_index(max_elements=len(base), M=args.m, ef_construction=args.ef_construction, random_seed=100)
        index.add_items(base, np.arange(len(base)), num_threads=2)
        index.save_index(path)
    index.set_num_threads(1)
    return index


def hnswlib_answers(index, queries, accept):
    """All queries in one call; hnswlib raises when one finds fewer than k, then each
    query is asked alone, with a smaller k until it answers."""
    try:
        return [list(map(int, row)) for row in index.knn_query(queries, k=K, num_threads=1, filter=accept)[0]]
    except RuntimeError:
        answers = []
        for q in queries:
            for k in range(K, 0, -1):
                try:
                    answers.append(list(map(int, index.knn_query(q, k=k, num_threads=1, filter=accept)[0][0])))
                    break
                except RuntimeError:
                    continue
            else:
                answers.append([])
    return answers


def run_hnswlib(index, queries, filters, efs):
    result = {}
    for percent, (matching, truth) in filters.items():
        accept = frozenset(matching).__contains__
        for ef in efs:
            index.set_ef(ef)
            start = time.perf_counter()
            answers = hnswlib_answers(index, queries, accept)
            elapsed = time.perf_counter() - start
            result[(percent, ef)] = checked(answers, truth, matching, len(queries) / elapsed)
    return result


def checked(answers, truth, matching, qps):
    hits = sum(len(set(a) & set(t)) for a, t in zip(answers, truth))
    wanted = sum(len(t) for t in truth)
    short = sum(len(a) < min(K, len(matching)) for a in answers)
    outside = sum(x not in matching for a in answers for x in a)
    return {"recall": hits / max(wanted, 1), "qps": qps, "shortAnswers": short, "rowsOutsideFilter": outside}


def callback_cost(index, queries, count, ef):
    """hnswlib at `ef` without a filter, then with one accepting every row: what its
    per-node Python call costs on its own."""
    everything = frozenset(range(count)).__contains__
    index.set_ef(ef)
    start = time.perf_counter()
    index.knn_query(queries, k=K, num_threads=1)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    index.knn_query(queries, k=K, num_threads=1, filter=everything)
    return len(queries) / plain, len(queries) / (time.perf_counter() - start)


def first_reaching(runs, system, percent, efs, target):
    """The smallest ef whose first-round recall reaches `target`, else the best recall's."""
    points = [(ef, runs[(system, percent, ef)][0]["recall"]) for ef in efs]
    reaching = [ef for ef, r in points if r >= target]
    return reaching[0] if reaching else max(points, key=lambda p: p[1])[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--vireo", required=True, help="vireo or vireo-bench-ann (release build)")
    parser.add_argument("--baseline", help="a second Vireo binary timed in the same rounds")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--percents", default="50,10,1,0.1")
    parser.add_argument("--ef", default="10,20,40,64,100,160")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target-recall", type=float, default=0.95)
    args = parser.parse_args()
    efs = [int(e) for e in args.ef.split(",")]
    base, queries = ensure_data(args)
    index = hnswlib_index(base, args)
    systems = ["vireo"] + (["baseline"] if args.baseline else []) + ["hnswlib"]
    runs, filters, costs = {}, None, []
    for _ in range(args.rounds):
        for system in systems[:-1]:
            measured, out = run_vireo(args.vireo if system == "vireo" else args.baseline, args, system)
            for key, point in measured.items():
                runs.setdefault((system, *key), []).append(point)
        if filters is None:  # the categories and exact answers Vireo wrote
            categories = np.fromfile(f"{out}/categories.i32", dtype=np.int32)
            filters = {}
            for percent in (float(p) for p in args.percents.split(",")):
                s = max(1, round(percent * 1000 / 100))
                matching = frozenset(int(i) for i in np.nonzero(categories < s)[0])
                filters[percent] = (matching, read_truth(f"{out}/filtered-truth-{s}.ivecs"))
        for key, point in run_hnswlib(index, queries, filters, efs).items():
            runs.setdefault(("hnswlib", *key), []).append(point)
        costs.append(callback_cost(index, queries, len(base), 64))
    report(args, runs, systems, filters, efs, costs)


def report(args, runs, systems, filters, efs, costs):
    print(f"{args.count} x {args.dim} MiniLM-like, cosine, m {args.m}, ef_construction {args.ef_construction}, "
          f"{args.queries} queries, k {K}, {args.rounds} rounds, load average at the end {os.getloadavg()[0]:.2f}")
    print()
    print("| filter (matching rows) | ef_search | system | route | recall@10 | QPS, median (range) | short answers | rows outside |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for percent, (matching, _) in filters.items():
        for ef in efs:
            for system in systems:
                points = runs[(system, percent, ef)]
                qps = [p["qps"] for p in points]
                route = ("exact" if points[0]["rankedExactly"] else "graph") if "rankedExactly" in points[0] else "graph"
                print(f"| {percent:g}% ({len(matching)}) | {ef} | {system} | {route} | {points[0]['recall']:.3f} | "
                      f"{statistics.median(qps):.0f} ({min(qps):.0f}–{max(qps):.0f}) | "
                      f"{max(p['shortAnswers'] for p in points)} | {max(p['rowsOutsideFilter'] for p in points)} |")
    print()
    print(f"At the smallest ef_search reaching recall@10 {args.target_recall} in each system:")
    print()
    print("| filter | system | ef_search | recall@10 | median QPS | vireo / system, median of per-round ratios (range) |")
    print("|---|---|---:|---:|---:|---:|")
    for percent in filters:
        vireo_ef = first_reaching(runs, "vireo", percent, efs, args.target_recall)
        mine = runs[("vireo", percent, vireo_ef)]
        for system in systems:
            ef = first_reaching(runs, system, percent, efs, args.target_recall)
            theirs = runs[(system, percent, ef)]
            ratios = sorted(a["qps"] / b["qps"] for a, b in zip(mine, theirs))
            ratio = "" if system == "vireo" else f"{statistics.median(ratios):.2f}× ({ratios[0]:.2f}–{ratios[-1]:.2f})"
            print(f"| {percent:g}% | {system} | {ef} | {theirs[0]['recall']:.3f} | {statistics.median(p['qps'] for p in theirs):.0f} | {ratio} |")
    plain = statistics.median(c[0] for c in costs)
    accepting = statistics.median(c[1] for c in costs)
    print()
    print(f"hnswlib at ef 64 without a filter: {plain:.0f} QPS; with a filter accepting every row: {accepting:.0f} QPS "
          f"(its per-node call, medians of {len(costs)} rounds)")


if __name__ == "__main__":
    main()
