#!/usr/bin/env python3
"""Filtered HNSW search: Vireo (`vireo serve`, release build) beside PostgreSQL with
pgvector 0.8 (iterative index scans on and off) over pgwire, and hnswlib with a filter
function in this process, on the same rows, with filters matching 50%, 10%, 1% and 0.1%.

Every row of `items (id bigint PRIMARY KEY, category int, embedding vector(DIM))` has a
`category` in 0...999, each value on count / 1000 rows (shuffled, independent of the
vector), so `category < s` matches exactly s / 1000 of the rows. Both servers get the same
rows by COPY and the same `CREATE INDEX ... USING hnsw (embedding vector_cosine_ops) WITH
(m = M, ef_construction = EFC)`, and (unless `--category-index off`) the same B-tree index
on `category`, `CREATE INDEX items_category_idx ON items (category)`, which a user filtering
by a column would create (Vireo reads a selective filter's matching rows from it; pgvector's
planner may use it too); they answer the same prepared statement,
`SELECT id FROM items WHERE category < %s ORDER BY embedding <=> %s LIMIT 10`.
hnswlib gets the same vectors, labels, M and ef_construction, and a filter function (the
`__contains__` of a frozenset of the matching labels, so no Python frame runs per node).
Vireo runs twice: as configured (it keeps the bitmap of a filter's matching rows for the
next search with the same filter while no commit changes the database), and with
`SET vireo.filter_cache = off`, so that every search finds its filter's rows anew.

For each system and filter, `hnsw.ef_search` (hnswlib: `set_ef`) is swept until recall@10
reaches the target; recall is against numpy's exact neighbours among the matching rows. Each
answer is checked: it must hold min(10, matching rows) rows, none outside the filter. The
table gives, at the smallest ef reaching the target (else at the best recall reached), the
recall, the share of queries answered with min(10, matching) rows, the rows outside the
filter (always a bug), QPS and p50/p99 latency at each client count.

usage: bench_ann_filtered.py --vireo PATH/TO/vireo [--count 20000] [--dim 384] [--clients 1,8] ...
Needs root (PostgreSQL runs as the `postgres` user) or to be that user.
"""
import argparse
import os
import re
import sys
import time

import hnswlib
import numpy as np

from bench_ann_pgwire import chosen_ef, connect, latency_figures, load, throughput, with_servers
from netbench import minilm_like

K = 10
QUERY = "SELECT id FROM items WHERE category < %s ORDER BY embedding <=> %s LIMIT 10"
# The same share of rows, a different range of categories for each query (`VARYING`).
QUERY_VARYING = "SELECT id FROM items WHERE category >= %s AND category < %s ORDER BY embedding <=> %s LIMIT 10"
CATEGORIES = 1000
SELECTIVITIES = {"50%": 500, "10%": 100, "1%": 10, "0.1%": 1}  # label: s in `category < s`
EF_CANDIDATES = [10, 20, 40, 64, 100, 160, 256, 400, 640, 1000]

# A prepared statement in PostgreSQL switches to its generic plan after five runs when that
# plan is no dearer than the custom ones, as it is here from about 20,000 rows on (the HNSW
# index scan, estimated for an unknown `s`; on a few thousand rows it is a sequential scan);
# this runs the generic plan from the first query on, and the plan printed is that one.
PGVECTOR_SETTINGS = ["SET plan_cache_mode = force_generic_plan"]
# name, system, settings before the sweep's `SET hnsw.ef_search`
MODES = [
    ("Vireo", "vireo", []),
    # Each search finds its filter's rows anew (no bitmap kept from the previous one).
    ("Vireo without filter cache", "vireo", ["SET vireo.filter_cache = off"]),
    # Every query its own filter (QUERY_VARYING): the cache never holds it.
    ("Vireo with a filter differing per query", "vireo", []),
    ("Vireo with a filter differing per query and no cache", "vireo", ["SET vireo.filter_cache = off"]),
    ("pgvector relaxed_order", "pgvector", PGVECTOR_SETTINGS + ["SET hnsw.iterative_scan = relaxed_order"]),
    ("pgvector strict_order", "pgvector", PGVECTOR_SETTINGS + ["SET hnsw.iterative_scan = strict_order"]),
    ("pgvector, no iterative scan", "pgvector", PGVECTOR_SETTINGS + ["SET hnsw.iterative_scan = off"]),
    ("hnswlib filter", "hnswlib", []),
]


VARYING = {"Vireo with a filter differing per query", "Vireo with a filter differing per query and no cache"}


def filtered_truth(base, queries, categories, s):
    """Exact top min(K, matching) ids (1-based) among the rows with category < s."""
    ids = np.nonzero(categories < s)[0]
    similarity = queries @ base[ids].T
    k = min(K, len(ids))
    top = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    return [list(ids[row] + 1) for row in top]


class Workload:
    """What a server mode runs for one selectivity: the statement, each query's parameters,
    the exact answers, and whether an id lies inside query n's filter. A fixed filter is
    `category < s`; a varying one `category >= low AND category < low + s`, low differing
    from query to query."""

    def __init__(self, base, queries, categories, s, varying):
        self.statement = QUERY_VARYING if varying else QUERY
        if not varying:
            matching = set(int(i) for i in np.nonzero(categories < s)[0] + 1)
            self.parameters = [(s, q) for q in queries]
            self.truth = filtered_truth(base, queries, categories, s)
            self.inside = lambda n, i: i in matching
            return
        lows = [(37 * n) % (CATEGORIES - s + 1) for n in range(len(queries))]
        self.parameters = [(low, low + s, q) for low, q in zip(lows, queries)]
        self.truth = []
        for low, q in zip(lows, queries):
            ids = np.nonzero((categories >= low) & (categories < low + s))[0]
            top = np.argsort(-(base[ids] @ q), kind="stable")[:min(K, len(ids))]
            self.truth.append([int(i) for i in ids[top] + 1])
        self.inside = lambda n, i: lows[n] <= categories[i - 1] < lows[n] + s


class Checked:
    """What a sweep point's answers show against the truth."""

    def __init__(self, answers, truth, inside):
        wanted = len(truth[0])
        self.recall = sum(len(set(a) & set(t)) for a, t in zip(answers, truth)) / float(len(truth) * wanted)
        self.full = sum(len(a) == wanted for a in answers) / float(len(answers))
        self.outside = sum(1 for n, a in enumerate(answers) for i in a if not inside(n, i))
        self.duplicated = sum(len(a) - len(set(a)) for a in answers)
        self.short = [n for n, a in enumerate(answers) if len(a) < wanted]


# --- the two servers ---------------------------------------------------------------------

def server_answers(connection, statement, parameters):
    with connection.cursor() as cursor:
        return [[row[0] for row in cursor.execute(statement, p, prepare=True)] for p in parameters]


def plan(dsn, settings, s, query_vector, generic):
    """The plan, on one line, vector literals elided: PostgreSQL's generic plan (the one its
    prepared statement runs, see PGVECTOR_SETTINGS), Vireo's for the bound values."""
    with connect(dsn) as connection:
        for setting in settings:
            connection.execute(setting)
        if generic:
            rows = connection.execute("EXPLAIN (GENERIC_PLAN) " + QUERY.replace("%s", "$1", 1).replace("%s", "$2"))
        else:
            rows = connection.execute("EXPLAIN " + QUERY, (s, query_vector))
        return re.sub(r"'\[[^]]*\]'", "'[...]'", " / ".join(str(row[0]).strip() for row in rows))


def server_sweep(dsn, settings, workload, target):
    points = []
    with connect(dsn) as connection:
        for setting in settings:
            connection.execute(setting)
        server_answers(connection, workload.statement, workload.parameters[:20])  # warm-up: pages and the prepared statement
        for ef in EF_CANDIDATES:
            connection.execute(f"SET hnsw.ef_search = {ef}")
            answers = server_answers(connection, workload.statement, workload.parameters)
            points.append((ef, Checked(answers, workload.truth, workload.inside)))
            if sweep_done(points, target):
                break
    return points


def sweep_done(points, target):
    """The target reached and one step beyond it measured, or recall flat for three steps."""
    recalls = [checked.recall for _, checked in points]
    if len(recalls) > 1 and recalls[-1] >= target and recalls[-2] >= target:
        return True
    return len(recalls) >= 4 and recalls[-1] >= target and recalls[-1] - recalls[-4] < 0.002


# --- hnswlib in this process -------------------------------------------------------------

def hnswlib_index(base, m, ef_construction):
    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=m, ef_construction=ef_construction, random_seed=100)
    start = time.perf_counter()
    index.add_items(base, np.arange(1, len(base) + 1), num_threads=1)
    return index, time.perf_counter() - start


def hnswlib_answers(index, queries, accept):
    answers = []
    for q in queries:
        try:
            labels, _ = index.knn_query(q, k=K, num_threads=1, filter=accept)
            answers.append([int(x) for x in labels[0]])
        except RuntimeError:  # "Cannot return the results in a contiguous 2D array": fewer than k found
            answers.append(hnswlib_fewer(index, q, accept))
    return answers


def hnswlib_fewer(index, q, accept):
    """hnswlib raises when it finds fewer than k; ask for fewer until it answers."""
    for k in range(K - 1, 0, -1):
        try:
            return [int(x) for x in index.knn_query(q, k=k, num_threads=1, filter=accept)[0][0]]
        except RuntimeError:
            continue
    return []


def hnswlib_sweep(index, queries, truth, matching_ids, target):
    accept = frozenset(int(i) for i in matching_ids).__contains__
    points = []
    for ef in EF_CANDIDATES:
        index.set_ef(ef)
        points.append((ef, Checked(hnswlib_answers(index, queries, accept), truth, lambda n, i: i in matching_ids)))
        if sweep_done(points, target):
            break
    return points


def hnswlib_throughput(index, ef, queries, matching_ids, seconds, count_max):
    accept = frozenset(int(i) for i in matching_ids).__contains__
    index.set_ef(ef)
    latencies = []
    start = time.perf_counter()
    deadline = start + seconds
    while len(latencies) < count_max and time.perf_counter() < deadline:
        q = queries[len(latencies) % len(queries)]
        begin = time.perf_counter()
        hnswlib_answers(index, [q], accept)
        latencies.append(time.perf_counter() - begin)
    return latency_figures(latencies, time.perf_counter() - start)


# --- the run -----------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vireo", required=True, help="the vireo binary (release build)")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200, help="queries of each sweep point and of the QPS runs")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--clients", default="1,8", help="client counts for the servers (hnswlib: one thread)")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--queries-per-client-max", type=int, default=100000)
    parser.add_argument("--selectivities", default=",".join(SELECTIVITIES), help="of " + ",".join(SELECTIVITIES).replace("%", "%%"))
    parser.add_argument("--modes", default="all", help="comma-separated names of MODES, or all")
    parser.add_argument("--category-index", choices=["on", "off"], default="on",
                        help="a B-tree index on category on both servers (default on)")
    args = parser.parse_args()
    if args.count % CATEGORIES:
        raise SystemExit(f"--count must be a multiple of {CATEGORIES}")
    base = minilm_like(args.count, args.dim, seed=1)
    queries = minilm_like(args.queries, args.dim, seed=2)
    categories = np.random.default_rng(3).permutation(np.arange(args.count) % CATEGORIES)
    modes = MODES if args.modes == "all" else [m for m in MODES if m[0] in args.modes.split(",")]
    with_servers(args.vireo, "vireo-bench-ann-filtered-", lambda vireo_dsn, pg_dsn:
                 report(args, {"vireo": vireo_dsn, "pgvector": pg_dsn}, modes, base, queries, categories))


def report(args, dsns, modes, base, queries, categories):
    clients = [int(c) for c in args.clients.split(",")]
    builds = {}
    for system in ("vireo", "pgvector"):
        builds[system] = load(dsns[system], base, args.m, args.ef_construction, system == "pgvector", categories)
        if args.category_index == "on":
            with connect(dsns[system]) as connection:
                connection.execute("CREATE INDEX items_category_idx ON items (category)")
                if system == "pgvector":
                    connection.execute("ANALYZE items")
    index, seconds = hnswlib_index(base, args.m, args.ef_construction)
    builds["hnswlib"] = (0.0, seconds)
    for system, (load_seconds, build_seconds) in builds.items():
        print(f"{system}: COPY {load_seconds:.1f} s, index build {build_seconds:.1f} s", file=sys.stderr)
    print(f"{args.count} × {args.dim} MiniLM-like vectors, cosine, m={args.m}, ef_construction={args.ef_construction}, "
          f"{len(queries)} queries, k={K}, target recall@{K} {args.target_recall}; `{QUERY}`; "
          f"B-tree index on category: {args.category_index}; "
          f"load average {os.getloadavg()[0]:.1f} at the start\n")
    header = "| filter (rows) | system | ef | recall@10 | min(k, matching) rows | rows outside filter |"
    header += "".join(f" QPS, {n} client{'s' if n > 1 else ''} | p50 / p99 ms, {n} |" for n in clients)
    print(header)
    print("|---|---|---:|---:|---:|---:|" + "---:|---:|" * len(clients), flush=True)
    for label in args.selectivities.split(","):
        s = SELECTIVITIES[label]
        matching = np.nonzero(categories < s)[0] + 1
        matching_ids = set(int(i) for i in matching)
        truth = filtered_truth(base, queries, categories, s)
        for name, system, settings in modes:
            if system == "hnswlib":
                points = hnswlib_sweep(index, queries, truth, matching_ids, args.target_recall)
            else:
                print(f"{name}, {label}: plan {plan(dsns[system], settings, s, queries[0], system == 'pgvector')}", file=sys.stderr)
                workload = Workload(base, queries, categories, s, name in VARYING)
                points = server_sweep(dsns[system], settings, workload, args.target_recall)
            print(f"{name}, {label}: sweep (ef: recall, full) " +
                  ", ".join(f"{ef}: {c.recall:.3f}, {c.full:.2f}" for ef, c in points), file=sys.stderr, flush=True)
            ef, checked = chosen(points, args.target_recall)
            if checked.short and system == "vireo":
                print(f"BUG: Vireo returned fewer than {len(truth[0])} rows for {len(checked.short)} queries "
                      f"(s = {s}, first query index {checked.short[0]})", file=sys.stderr)
            if (checked.outside or checked.duplicated) and system != "hnswlib":
                print(f"BUG: {name} returned {checked.outside} rows outside the filter, {checked.duplicated} duplicates",
                      file=sys.stderr)
            figures = []
            for n in clients:
                if system == "hnswlib":
                    figures.append(hnswlib_throughput(index, ef, queries, matching, args.seconds, args.queries_per_client_max)
                                   if n == 1 else None)
                else:
                    figures.append(throughput(dsns[system], settings + [f"SET hnsw.ef_search = {ef}"],
                                              workload.parameters, n, args.seconds, args.queries_per_client_max,
                                              statement=workload.statement))
            row = (f"| {label} ({len(matching)}) | {name} | {ef} | {checked.recall:.3f} | {checked.full:.1%} | "
                   f"{checked.outside} |")
            row += "".join(" | |" if f is None else f" {f[0]:.0f} | {f[1]:.2f} / {f[2]:.2f} |" for f in figures)
            print(row, flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


def chosen(points, target):
    """The smallest ef reaching the target, else the best recall reached."""
    recalls = [(ef, c.recall) for ef, c in points]
    ef, recall = chosen_ef(recalls, target)
    if recall < target:
        ef = max(points, key=lambda p: p[1].recall)[0]
    return ef, dict(points)[ef]


if __name__ == "__main__":
    main()
