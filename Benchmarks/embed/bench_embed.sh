#!/usr/bin/env bash
# Batch embedding throughput: the native all-MiniLM-L6-v2 (vireo-bench-embed, release) and
# sentence-transformers on the same model folder and the same sentences, one after the other.
#
#   Benchmarks/embed/bench_embed.sh [COUNT] [RUNS]
#
# sentence-transformers and torch (CPU) install from PyPI into $PEER_VENV (default
# /tmp/vireo-st-venv) the first time; the model comes from `make models`.
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-1000}"
runs="${2:-3}"
peer_venv="${PEER_VENV:-/tmp/vireo-st-venv}"
model_dir="${VIREO_MODEL_DIR:-$(scripts/fetch-minilm.sh | tail -n 1)}"
sentences="$(mktemp /tmp/vireo-embed-sentences.XXXXXX.json)"
trap 'rm -f "$sentences"' EXIT

[ -x "$peer_venv/bin/python" ] || python3 -m venv "$peer_venv"
"$peer_venv/bin/python" -c "import sentence_transformers, torch" 2>/dev/null || \
  "$peer_venv/bin/pip" install -q torch sentence-transformers

swift build -c release --product vireo-bench-embed >&2
VIREO_MODEL_DIR="$model_dir" "$(swift build -c release --show-bin-path)/vireo-bench-embed" \
  --count "$count" --runs "$runs" --sentences-out "$sentences"
"$peer_venv/bin/python" Benchmarks/embed/embed_peer.py "$model_dir" "$sentences" --runs "$runs" 2>/dev/null
