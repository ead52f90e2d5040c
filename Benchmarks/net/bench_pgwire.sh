#!/usr/bin/env bash
# pgwire throughput: Vireo (`vireo serve`, release build) and PostgreSQL 15 from Debian,
# side by side in one run, on the same table and data, driven by the same pgbench
# scripts: point selects, ranges of 100 rows and single-row inserts at 1, 8 and 64 clients.
#
#   Benchmarks/net/bench_pgwire.sh [ROWS] [SECONDS] [PROTOCOL]
#
# ROWS rows are loaded first (default 100000); each run lasts SECONDS (default 10);
# PROTOCOL is pgbench's -M (simple, extended or prepared; default prepared). Both
# servers commit durably (Vireo fsyncs its WAL per commit; PostgreSQL has fsync and
# synchronous_commit on). Prints a markdown table. CLIENT_COUNTS (default "1 8 64") and
# WORKLOADS (default "select range insert") choose what runs.
set -euo pipefail
ROWS=${1:-100000}
SECONDS_PER_RUN=${2:-10}
PROTOCOL=${3:-prepared}
CLIENT_COUNTS=${CLIENT_COUNTS:-"1 8 64"}
WORKLOADS=${WORKLOADS:-"select range insert"}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/vireo-bench-net-XXXXXX)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
VIREO=$(cd "$ROOT" && swift build -c release --show-bin-path)/vireo
cleanup() {
  [ -n "${VIREO_PID:-}" ] && kill "$VIREO_PID" 2>/dev/null && wait "$VIREO_PID" 2>/dev/null || true
  [ -d "$WORK/pg" ] && su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the servers --------------------------------------------------------------------
VIREO_PORT=$(free_port)
"$VIREO" serve --data "$WORK/vireo" --pg-port "$VIREO_PORT" --http-port "$(free_port)" --pg-auth trust > "$WORK/vireo.log" 2>&1 &
VIREO_PID=$!
PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && chown postgres "$WORK" "$WORK/pg"
su postgres -c "$PG_BIN/initdb -D $WORK/pg -A trust -U postgres" > /dev/null
su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg -o '-p $PG_PORT -k $WORK -c fsync=on -c synchronous_commit=on -c max_connections=200' -l $WORK/pg.log start" > /dev/null
for _ in $(seq 100); do
  grep -q "pgwire listening" "$WORK/vireo.log" && pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 0.1
done

vireo_psql() { psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$VIREO_PORT" -U vireo -d vireo "$@"; }
pg_psql() { psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

# --- the same table and data in both ------------------------------------------------
seq 1 "$ROWS" | awk '{ printf "%d\tvalue %d\n", $1, $1 }' > "$WORK/rows.tsv"
for run in vireo_psql pg_psql; do
  $run -c "CREATE TABLE kv (id bigint PRIMARY KEY, v text)"
  $run -c "\\copy kv FROM '$WORK/rows.tsv'"
done
pg_psql -c "VACUUM ANALYZE kv"

cat > "$WORK/select.sql" <<SQL
\set id random(1, $ROWS)
SELECT v FROM kv WHERE id = :id;
SQL
cat > "$WORK/range.sql" <<SQL
\set id random(1, $((ROWS > 100 ? ROWS - 99 : 1)))
SELECT id, v FROM kv WHERE id BETWEEN :id AND :id + 99;
SQL
cat > "$WORK/insert.sql" <<SQL
\set id random($((ROWS + 1)), 2000000000)
INSERT INTO kv VALUES (:id, 'inserted') ON CONFLICT DO NOTHING;
SQL

# --- runs -----------------------------------------------------------------------------
run_pgbench() {  # host port user script clients
  pgbench -n -M "$PROTOCOL" -h 127.0.0.1 -p "$2" -U "$3" -f "$WORK/$4.sql" -c "$5" -j "$(( $5 < 2 ? 1 : 2 ))" \
    -T "$SECONDS_PER_RUN" "$3" 2>/dev/null \
    | awk '/^latency average/ { latency = $4 } /^tps/ { tps = $3 } END { printf "%.0f %.2f\n", tps, latency }'
}

echo "| workload | clients | Vireo tps | PostgreSQL tps | Vireo / PostgreSQL | Vireo latency ms | PostgreSQL latency ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
declare -A LABELS=([select]="point select" [range]="range of 100 rows" [insert]="point insert")
for script in $WORKLOADS; do
  for clients in $CLIENT_COUNTS; do
    read -r vireo_tps vireo_latency < <(run_pgbench 127.0.0.1 "$VIREO_PORT" vireo "$script" "$clients")
    read -r pg_tps pg_latency < <(run_pgbench 127.0.0.1 "$PG_PORT" postgres "$script" "$clients")
    ratio=$(awk -v a="$vireo_tps" -v b="$pg_tps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    echo "| ${LABELS[$script]} | $clients | $vireo_tps | $pg_tps | $ratio | $vireo_latency | $pg_latency |"
  done
done
