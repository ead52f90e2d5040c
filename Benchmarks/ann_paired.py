#!/usr/bin/env python3
"""Paired timing for a noisy, shared machine: builds (once, cached) hnswlib and faiss
indexes on the files `vireo bench ann` wrote, then alternates Vireo runs and peer runs
ROUNDS times, so every system sees the same background load. Prints, per ef_search,
each system's best and median QPS over the rounds.

usage: ann_paired.py DATA_DIR [--metric l2|ip|cosine] [--ef 10,40,160] [--rounds 4]
                     [--vireo BINARY] [--baseline BINARY] [--quantization none|int8] [--no-faiss] [--cache]
                     [--baseline-cache]

BINARY is `vireo` or the lighter `vireo-bench-ann` (same options). With --baseline, a
second Vireo binary (e.g. the build before a change) runs in the same rounds as
"baseline", so a change is measured under the same load as the peers; with
--baseline-cache it loads the same snapshot as --vireo (same graph, same recall: only the
search code differs; both binaries must read that snapshot format). After the table,
the median ratio of Vireo's QPS to each other system's at each ef_search (recall
differences shown beside it) and the median over rounds of the per-round ratios.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np

from ann_peers import read_vecs, recall


def peers(data, metric, m=16, ef_construction=200, faiss_too=True):
    import hnswlib
    if not faiss_too:
        return hnswlib_only(data, metric, m, ef_construction), None
    import faiss
    base = read_vecs(f"{data}/base.fvecs", np.float32)
    space = {"l2": "l2", "ip": "ip", "cosine": "cosine"}[metric]
    h = hnswlib.Index(space=space, dim=base.shape[1])
    f_metric = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
    h_path, f_path = f"{data}/hnswlib.bin", f"{data}/faiss.bin"
    if not os.path.exists(h_path):
        h.init_index(max_elements=len(base), ef_construction=ef_construction, M=m)
        h.set_num_threads(2)
        h.add_items(base)
        h.save_index(h_path)
        if metric == "cosine":
            faiss.normalize_L2(base)
        f = faiss.IndexHNSWFlat(base.shape[1], m, f_metric)
        f.hnsw.efConstruction = ef_construction
        f.add(base)
        faiss.write_index(f, f_path)
    h = hnswlib.Index(space=space, dim=base.shape[1])
    h.load_index(h_path)
    h.set_num_threads(1)
    f = faiss.read_index(f_path)
    faiss.omp_set_num_threads(1)
    return h, f


def hnswlib_only(data, metric, m, ef_construction):
    """hnswlib without faiss (a venv without faiss-cpu); prints its index's memory."""
    import hnswlib
    base = read_vecs(f"{data}/base.fvecs", np.float32)
    h_path = f"{data}/hnswlib.bin"
    if not os.path.exists(h_path):
        h = hnswlib.Index(space=metric, dim=base.shape[1])
        h.init_index(max_elements=len(base), ef_construction=ef_construction, M=m)
        h.set_num_threads(2)
        h.add_items(base)
        h.save_index(h_path)
    h = hnswlib.Index(space=metric, dim=base.shape[1])
    h.load_index(h_path)
    h.set_num_threads(1)
    # The saved index is hnswlib's level-0 array and link lists as they sit in memory.
    print(f"hnswlib: index {os.path.getsize(h_path) / 2**20:.0f} MiB (its saved file)")
    return h


def time_peers(h, f, queries, truth, efs, metric, faiss_too=True):
    fq = queries.copy()
    if faiss_too:
        import faiss
        if metric == "cosine":
            faiss.normalize_L2(fq)
    result = {}
    for ef in efs:
        h.set_ef(ef)
        if faiss_too:
            f.hnsw.efSearch = ef
        best_h = best_f = float("inf")
        for _ in range(3):
            t = time.perf_counter(); lh = h.knn_query(queries, k=10, num_threads=1)[0]; best_h = min(best_h, time.perf_counter() - t)
            if faiss_too:
                t = time.perf_counter(); lf = f.search(fq, 10)[1]; best_f = min(best_f, time.perf_counter() - t)
        result[("hnswlib", ef)] = (recall(lh, truth, 10), len(queries) / best_h)
        if faiss_too:
            result[("faiss", ef)] = (recall(lf, truth, 10), len(queries) / best_f)
    return result


def time_vireo(binary, data, metric, efs, quantization="none", system="vireo", cache=False, extra=()):
    command = [binary] if os.path.basename(binary).startswith("vireo-bench-ann") else [binary, "bench", "ann"]
    command += list(extra)
    if cache:
        command += ["--index-cache", f"{data}/vireo-{quantization}.snap", "--skip-exact"]
    out = subprocess.run(command + ["--quantization", quantization, "--base", f"{data}/base.fvecs", "--queries", f"{data}/queries.fvecs",
                          "--ground-truth", f"{data}/groundtruth.ivecs", "--metric", metric,
                          "--ef-search", ",".join(map(str, efs)), "--data-out", f"{data}/paired-tmp"],
                         capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            result[(system, int(cells[0]))] = (float(cells[1]), float(cells[2]))
        if line.startswith("build ") or line.startswith("re-rank "):
            result[(system, "rss")] = result.get((system, "rss"), "") + line + "; "
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--metric", default="l2")
    parser.add_argument("--ef", default="10,40,160")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--vireo", default=".build/release/vireo")
    parser.add_argument("--baseline", help="a second Vireo binary timed in the same rounds")
    parser.add_argument("--quantization", default="none")
    parser.add_argument("--no-faiss", action="store_true")
    parser.add_argument("--vireo-args", default="", help="more options for --vireo, e.g. '--rerank-from pages --rerank 20'")
    parser.add_argument("--cache", action="store_true",
                        help="--vireo builds its index once and reloads the snapshot in later rounds (as the peers do)")
    parser.add_argument("--baseline-cache", action="store_true",
                        help="--baseline loads --vireo's cached snapshot too (same graph for both)")
    args = parser.parse_args()
    efs = [int(e) for e in args.ef.split(",")]
    queries = read_vecs(f"{args.data}/queries.fvecs", np.float32)
    truth = read_vecs(f"{args.data}/groundtruth.ivecs", np.int32)
    h, f = peers(args.data, args.metric, faiss_too=not args.no_faiss)
    runs = {}
    systems = ["vireo"] + (["baseline"] if args.baseline else []) + ["hnswlib"] + ([] if args.no_faiss else ["faiss"])
    for _ in range(args.rounds):
        measured = time_vireo(args.vireo, args.data, args.metric, efs, args.quantization, cache=args.cache,
                              extra=args.vireo_args.split())
        if args.baseline:
            measured.update(time_vireo(args.baseline, args.data, args.metric, efs, args.quantization, "baseline",
                                       cache=args.baseline_cache))
        measured.update(time_peers(h, f, queries, truth, efs, args.metric, not args.no_faiss))
        for key, value in measured.items():
            runs.setdefault(key, []).append(value)
    for system in ("vireo", "baseline"):
        if (system, "rss") in runs:
            print(f"{system}: {runs[(system, 'rss')][0]}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}, rounds: {args.rounds}")
    print()
    print("| ef_search | system | recall@10 | best QPS | median QPS |")
    print("|---:|---|---:|---:|---:|")
    for ef in efs:
        for system in systems:
            values = runs[(system, ef)]
            qps = [v[1] for v in values]
            print(f"| {ef} | {system} | {values[0][0]:.3f} | {max(qps):.0f} | {statistics.median(qps):.0f} |")
    print()
    print("| ef_search | ratio | median QPS ratio | median of per-round ratios (min–max) | recall vireo / other |")
    print("|---:|---|---:|---:|---|")
    for ef in efs:
        mine = runs[("vireo", ef)]
        for other in systems[1:]:
            theirs = runs[(other, ef)]
            per_round = sorted(a[1] / b[1] for a, b in zip(mine, theirs))
            median_ratio = statistics.median(v[1] for v in mine) / statistics.median(v[1] for v in theirs)
            print(f"| {ef} | vireo / {other} | {median_ratio:.2f}x | {statistics.median(per_round):.2f}x "
                  f"({per_round[0]:.2f}–{per_round[-1]:.2f}) | {mine[0][0]:.3f} / {theirs[0][0]:.3f} |")


if __name__ == "__main__":
    main()
