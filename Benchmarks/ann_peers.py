#!/usr/bin/env python3
"""Runs hnswlib and faiss (IndexHNSWFlat) on the vectors `vireo bench ann` wrote, with
the same parameters, then prints Vireo's QPS over each peer's at equal recall (the
peer's recall/QPS curve interpolated at Vireo's recall) and plots recall vs QPS.

usage: ann_peers.py VIREO_JSON [--out-dir DIR]
"""
import argparse
import json
import os
import time

import numpy as np


def read_vecs(path, dtype):
    # Mapped, so that only the copy without the dimension column is held in memory
    # (a 5M x 384 base is 7.7 GB).
    raw = np.memmap(path, dtype=np.int32, mode="r")
    d = int(raw[0])
    return np.ascontiguousarray(raw.reshape(-1, d + 1)[:, 1:]).view(dtype)


def write_fvecs(path, rows):
    """Rows of floats as an .fvecs file (each row: its dimension as int32, then the floats)."""
    rows = np.ascontiguousarray(rows, np.float32)
    out = np.empty((rows.shape[0], rows.shape[1] + 1), np.float32)
    out[:, 0] = np.array([rows.shape[1]], np.int32).view(np.float32)[0]
    out[:, 1:] = rows
    out.tofile(path)


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def recall(found, truth, k):
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth))
    return hits / float(truth.shape[0] * k)


def sweep(search, queries, truth, k, efs, set_ef, repeats=3):
    """Batch search on one thread (each peer's fastest single-thread path); the fastest
    of `repeats` runs counts, as for Vireo, because the machine may be shared."""
    set_ef(max(efs))
    search(queries, k)  # warm-up
    points = []
    for ef in efs:
        set_ef(ef)
        best = None
        for _ in range(repeats):
            start = time.perf_counter()
            labels = search(queries, k)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        points.append({"efSearch": ef, "recall": recall(labels, truth, k), "qps": len(queries) / best})
    return points


def run_hnswlib(cfg, base, queries, truth):
    import hnswlib
    space = {"l2": "l2", "ip": "ip", "cosine": "cosine"}[cfg["metric"]]
    before = rss_bytes()
    index = hnswlib.Index(space=space, dim=base.shape[1])
    index.init_index(max_elements=base.shape[0], ef_construction=cfg["efConstruction"], M=cfg["m"], random_seed=42)
    index.set_num_threads(cfg["threads"])
    start = time.perf_counter()
    index.add_items(base, np.arange(base.shape[0]))
    build = time.perf_counter() - start
    memory = rss_bytes() - before
    index.set_num_threads(1)
    search = lambda q, k: index.knn_query(q, k=k, num_threads=1)[0]
    points = sweep(search, queries, truth, cfg["k"], efs(cfg), index.set_ef)
    return {"system": "hnswlib", "buildSeconds": build, "indexBytes": memory, "sweep": points}


def run_faiss(cfg, base, queries, truth):
    import faiss
    metric = faiss.METRIC_L2 if cfg["metric"] == "l2" else faiss.METRIC_INNER_PRODUCT
    if cfg["metric"] == "cosine":
        base, queries = base.copy(), queries.copy()
        faiss.normalize_L2(base)
        faiss.normalize_L2(queries)
    before = rss_bytes()
    index = faiss.IndexHNSWFlat(base.shape[1], cfg["m"], metric)
    index.hnsw.efConstruction = cfg["efConstruction"]
    faiss.omp_set_num_threads(cfg["threads"])
    start = time.perf_counter()
    index.add(base)
    build = time.perf_counter() - start
    memory = rss_bytes() - before
    faiss.omp_set_num_threads(1)

    def set_ef(ef):
        index.hnsw.efSearch = ef

    search = lambda q, k: index.search(q, k)[1]
    points = sweep(search, queries, truth, cfg["k"], efs(cfg), set_ef)
    return {"system": "faiss", "buildSeconds": build, "indexBytes": memory, "sweep": points}


def numpy_exact(cfg, base, queries):
    """numpy matmul + argpartition over the same batch Vireo's BLAS search used."""
    q = queries[: cfg["exactBatchSize"]]
    start = time.perf_counter()
    if cfg["metric"] == "l2":
        scores = (base * base).sum(1)[None, :] - 2 * q @ base.T
    elif cfg["metric"] == "ip":
        scores = -(q @ base.T)
    else:
        scores = -(q @ base.T) / np.linalg.norm(base, axis=1)[None, :]
    top = np.argpartition(scores, cfg["k"], axis=1)[:, : cfg["k"]]
    np.take_along_axis(scores, top, 1).argsort(1)
    elapsed = time.perf_counter() - start
    return len(q) / elapsed


def efs(cfg):
    return [p["efSearch"] for p in cfg["sweep"]]


def qps_at_recall(points, target):
    """The peer's QPS at `target` recall, linear between its two bracketing points."""
    pts = sorted(points, key=lambda p: p["recall"])
    if target <= pts[0]["recall"]:
        return pts[0]["qps"], "≤"
    if target > pts[-1]["recall"]:
        return None, "peer never reaches this recall"
    for a, b in zip(pts, pts[1:]):
        if a["recall"] <= target <= b["recall"]:
            if b["recall"] == a["recall"]:
                return max(a["qps"], b["qps"]), ""
            t = (target - a["recall"]) / (b["recall"] - a["recall"])
            return a["qps"] + t * (b["qps"] - a["qps"]), ""
    return None, ""


def table(cfg, peers, numpy_qps):
    lines = [f"### {cfg['dataset']} ({cfg['count']} × {cfg['dimension']}, {cfg['metric']}, m={cfg['m']}, "
             f"ef_construction={cfg['efConstruction']}, k={cfg['k']})", ""]
    head = "| ef_search | Vireo recall | Vireo QPS | p50 ms | p99 ms |"
    rule = "|---:|---:|---:|---:|---:|"
    for p in peers:
        head += f" {p['system']} QPS at that recall | Vireo / {p['system']} |"
        rule += "---:|---:|"
    lines += [head, rule]
    for v in cfg["sweep"]:
        row = f"| {v['efSearch']} | {v['recall']:.4f} | {v['qps']:.0f} | {v['latencyMsP50']:.3f} | {v['latencyMsP99']:.3f} |"
        for p in peers:
            qps, note = qps_at_recall(p["sweep"], v["recall"])
            row += " n/a | n/a |" if qps is None else f" {note}{qps:.0f} | {v['qps'] / qps:.2f}× |"
        lines.append(row)
    lines += ["", "| system | build s | index MiB | curve (ef: recall / QPS) |", "|---|---:|---:|---|"]
    curve = lambda s: ", ".join(f"{p['efSearch']}: {p['recall']:.3f}/{p['qps']:.0f}" for p in s)
    lines.append(f"| vireo | {cfg['buildSeconds']:.1f} | {cfg['indexBytes'] / 2**20:.0f} | {curve(cfg['sweep'])} |")
    for p in peers:
        lines.append(f"| {p['system']} | {p['buildSeconds']:.1f} | {p['indexBytes'] / 2**20:.0f} (RSS growth) | {curve(p['sweep'])} |")
    lines += ["", f"Exact search, batch of {cfg['exactBatchSize']}: Vireo BLAS {cfg['exactBatchQPS']:.0f} QPS, "
              f"numpy matmul + argpartition {numpy_qps:.0f} QPS (Vireo / numpy {cfg['exactBatchQPS'] / numpy_qps:.2f}×); "
              f"Vireo one query at a time {cfg['exactSingleQPS']:.0f} QPS.",
              f"Vireo peak RSS {cfg['peakRSSBytes'] / 2**20:.0f} MiB; index bytes are the arrays' size, peers' are RSS growth during build."]
    return "\n".join(lines)


def plot(cfg, peers, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 5))
    for s in [cfg] + peers:
        pts = s["sweep"]
        ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts], marker="o", label=s["system"])
    ax.set_xlabel(f"recall@{cfg['k']}")
    ax.set_ylabel("queries per second (1 thread)")
    ax.set_yscale("log")
    ax.set_title(f"{cfg['dataset']} {cfg['metric']} m={cfg['m']} efC={cfg['efConstruction']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=120, bbox_inches="tight")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("vireo_json")
    parser.add_argument("--out-dir", default=None)
    args = parser.parse_args()
    with open(args.vireo_json) as f:
        cfg = json.load(f)
    out = args.out_dir or os.path.dirname(cfg["files"]["base"])
    base = read_vecs(cfg["files"]["base"], np.float32)
    queries = read_vecs(cfg["files"]["queries"], np.float32)
    truth = read_vecs(cfg["files"]["groundTruth"], np.int32)
    peers = [run_hnswlib(cfg, base, queries, truth), run_faiss(cfg, base, queries, truth)]
    numpy_qps = numpy_exact(cfg, base, queries)
    text = table(cfg, peers, numpy_qps)
    print(text)
    stem = os.path.join(out, f"ann-{cfg['dataset']}-{cfg['metric']}")
    with open(stem + ".md", "w") as f:
        f.write(text + "\n")
    with open(stem + "-all.json", "w") as f:
        json.dump({"vireo": cfg, "peers": peers, "numpyExactBatchQPS": numpy_qps}, f, indent=2)
    plot(cfg, peers, stem + ".png")
    print(f"\nwrote {stem}.md, {stem}-all.json, {stem}.png")


if __name__ == "__main__":
    main()
