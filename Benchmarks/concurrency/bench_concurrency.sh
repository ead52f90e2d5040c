#!/usr/bin/env bash
# Concurrent commits: Vireo in-process (`vireo bench concurrency`, release build), SQLite
# (WAL, synchronous=FULL, busy_timeout; Python threads) and PostgreSQL 15 from Debian
# (pgbench, fsync and synchronous_commit on), in one run, on the same workloads:
#   insert     one-row INSERT
#   update10   UPDATE of ten random rows in one statement
#   transfer   TPC-B-like: two UPDATEs and an INSERT in BEGIN … COMMIT
# at 1, 4, 16 and 64 sessions. Prints a markdown table: commits/s, p50/p99 latency and
# fsyncs per commit (Vireo's and PostgreSQL's counted; SQLite's is its design figure).
#
#   Benchmarks/concurrency/bench_concurrency.sh [SECONDS] [ACCOUNTS]
set -euo pipefail
SECONDS_PER_RUN=${1:-5}
ACCOUNTS=${2:-100000}
SESSIONS=${SESSIONS:-"1,4,16,64"}
WORKLOADS=${WORKLOADS:-"insert,update10,transfer"}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/vireo-bench-concurrency-XXXXXX)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
VIREO=$(cd "$ROOT" && swift build -c release --show-bin-path)/vireo
cleanup() {
  [ -d "$WORK/pg" ] && su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- Vireo and SQLite -----------------------------------------------------------------
"$VIREO" bench concurrency --directory "$WORK" --sessions "$SESSIONS" --workloads "$WORKLOADS" \
  --seconds "$SECONDS_PER_RUN" --accounts "$ACCOUNTS" 2>/dev/null > "$WORK/vireo.tsv"
python3 "$HERE/sqlite_peer.py" "$WORK/sqlite.db" "$SESSIONS" "$WORKLOADS" "$SECONDS_PER_RUN" "$ACCOUNTS" > "$WORK/sqlite.tsv"

# --- PostgreSQL -----------------------------------------------------------------------
PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && chown postgres "$WORK" "$WORK/pg"
su postgres -c "$PG_BIN/initdb -D $WORK/pg -A trust -U postgres" > /dev/null
su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg -o '-p $PG_PORT -k $WORK -c fsync=on -c synchronous_commit=on -c max_connections=200' -l $WORK/pg.log start" > /dev/null
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done
pg() { psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }
pg -c "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, note text)"
pg -c "CREATE TABLE history (id bigserial PRIMARY KEY, account bigint, delta bigint)"
pg -c "INSERT INTO accounts SELECT g, 1000, 'account ' || g FROM generate_series(1, $ACCOUNTS) AS g"
pg -c "VACUUM ANALYZE accounts"
cat > "$WORK/insert.sql" <<SQL
\set a random(1, $ACCOUNTS)
INSERT INTO history (account, delta) VALUES (:a, 1);
SQL
{ for i in $(seq 10); do echo "\\set a$i random(1, $ACCOUNTS)"; done
  echo "UPDATE accounts SET balance = balance + 1 WHERE id IN (:a1, :a2, :a3, :a4, :a5, :a6, :a7, :a8, :a9, :a10);"; } > "$WORK/update10.sql"
cat > "$WORK/transfer.sql" <<SQL
\set f random(1, $ACCOUNTS)
\set t random(1, $ACCOUNTS)
\set amount random(1, 100)
BEGIN;
UPDATE accounts SET balance = balance - :amount WHERE id = :f;
UPDATE accounts SET balance = balance + :amount WHERE id = :t;
INSERT INTO history (account, delta) VALUES (:f, 0 - :amount::bigint);
COMMIT;
SQL
wal_syncs() { pg -A -t -c "SELECT wal_sync FROM pg_stat_wal"; }
for workload in ${WORKLOADS//,/ }; do
  for sessions in ${SESSIONS//,/ }; do
    before=$(wal_syncs)
    rm -f "$WORK"/pgb*
    (cd "$WORK" && pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" -U postgres -f "$WORK/$workload.sql" \
      -c "$sessions" -j "$(( sessions < 2 ? 1 : 2 ))" -T "$SECONDS_PER_RUN" -l --log-prefix=pgb postgres > "$WORK/pgbench.out" 2>&1) || true
    after=$(wal_syncs)
    tps=$(awk '/^tps/ { print int($3) }' "$WORK/pgbench.out")
    [ -n "$tps" ] || { echo "pgbench failed for $workload at $sessions sessions:" >&2; cat "$WORK/pgbench.out" >&2; }
    failed=$(awk '/number of failed transactions/ { print $5 }' "$WORK/pgbench.out")
    cat "$WORK"/pgb* | awk '{ print $3 / 1000 }' | sort -n > "$WORK/latencies"
    count=$(wc -l < "$WORK/latencies")
    p50=$(awk -v n="$count" 'NR == int(n * 0.5) + 1 { printf "%.2f", $1 }' "$WORK/latencies")
    p99=$(awk -v n="$count" 'NR == int(n * 0.99) + 1 { printf "%.2f", $1 }' "$WORK/latencies")
    per=$(awk -v s="$((after - before))" -v n="$count" 'BEGIN { if (n > 0) printf "%.2f", s / n; else print "-" }')
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$workload" "$sessions" "${tps:-0}" "${p50:-0}" "${p99:-0}" "$per" "${failed:-0}" >> "$WORK/pg.tsv"
  done
done

# --- the table --------------------------------------------------------------------------
echo "| workload | sessions | Vireo commits/s | PostgreSQL | SQLite | Vireo / PostgreSQL | Vireo / SQLite | p50 / p99 ms (Vireo · PostgreSQL · SQLite) | fsyncs per commit (Vireo · PostgreSQL) | Vireo 40001 |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"
paste "$WORK/vireo.tsv" "$WORK/pg.tsv" "$WORK/sqlite.tsv" | awk -F'\t' '{
  ratio_pg = ($10 > 0) ? sprintf("%.2f", $3 / $10) : "-"
  ratio_sq = ($17 > 0) ? sprintf("%.2f", $3 / $17) : "-"
  printf "| %s | %s | %s | %s | %s | %s | %s | %s/%s · %s/%s · %s/%s | %s · %s | %s |\n", $1, $2, $3, $10, $17, ratio_pg, ratio_sq, $4, $5, $11, $12, $18, $19, $6, $13, $7
}'
