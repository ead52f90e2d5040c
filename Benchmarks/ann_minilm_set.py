#!/usr/bin/env python3
"""Real 384-d sentence embeddings for `vireo bench ann`: all-MiniLM-L6-v2 (the model
`make models` fetches) over the King James Version read offline from Debian's bible-kjv
package — every verse, and every clause of a verse cut at ';' or ':' that is at least
four words long, deduplicated — which gives about 80k texts. A random QUERIES of them
become the queries and the rest the base, written as OUT/base.fvecs and OUT/queries.fvecs
(unit length, so cosine = dot). `vireo bench ann --base OUT/base.fvecs --queries
OUT/queries.fvecs --metric cosine --data-out OUT` then writes the exact ground truth.

The forward pass is numpy's (mean pooling, then L2 normalisation, as sentence-transformers
does, GELU in its tanh form); it is checked against Tests/VireoQueryTests/Fixtures/minilm_reference.json (made by
sentence-transformers) before anything is written.

usage: ann_minilm_set.py OUT [--count N] [--queries 1000] [--model DIR] [--seed 42]
Needs numpy, tokenizers and safetensors (pip) and the `bible` command (apt bible-kjv).
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

from ann_peers import write_fvecs

MODEL = os.path.expanduser("~/.cache/vireo/models/all-MiniLM-L6-v2")
VERSE_LINE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def texts():
    out = subprocess.run(["bible", "-f", "-l0", "Gen1:1-Rev22:21"], check=True, capture_output=True, text=True).stdout
    verses = []
    for line in out.splitlines():
        match = VERSE_LINE.match(line)
        if match:
            verses.append(match.group(4).strip())
        elif line.strip() and verses:
            verses[-1] += " " + line.strip()
    seen, result = set(), []
    for verse in verses:
        for text in [verse] + [c.strip() for c in re.split(r"[;:]", verse)]:
            if len(text.split()) >= 4 and text not in seen:
                seen.add(text)
                result.append(text)
    return result


class MiniLM:
    def __init__(self, folder):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in load_file(f"{folder}/model.safetensors").items()}
        self.tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(256)
        config = json.load(open(f"{folder}/config.json"))
        self.layers, self.heads = config["num_hidden_layers"], config["num_attention_heads"]

    @staticmethod
    def norm(x, g, b):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * g + b

    def embed(self, batch):
        ids = [e.ids for e in self.tokenizer.encode_batch(batch)]
        length = max(map(len, ids))
        tokens = np.zeros((len(ids), length), np.int64)
        mask = np.zeros((len(ids), length), np.float32)
        for i, row in enumerate(ids):
            tokens[i, :len(row)] = row
            mask[i, :len(row)] = 1
        w = self.w
        x = w["embeddings.word_embeddings.weight"][tokens] + w["embeddings.position_embeddings.weight"][:length] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = self.norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        n, t, d = x.shape
        h = self.heads
        bias = ((1 - mask)[:, None, None, :] * -1e9).astype(np.float32)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            def linear(v, name):
                # 2-D and contiguous, so numpy hands it to BLAS sgemm.
                flat = np.ascontiguousarray(v.reshape(-1, v.shape[-1]))
                return (flat @ w[p + name + ".weight"].T + w[p + name + ".bias"]).reshape(*v.shape[:-1], -1)
            q, k, v = (np.ascontiguousarray(linear(x, f"attention.self.{s}").reshape(n, t, h, d // h).transpose(0, 2, 1, 3))
                       for s in ("query", "key", "value"))
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(d // h)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
            x = self.norm(x + linear(context, "attention.output.dense"),
                          w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            inner = linear(x, "intermediate.dense")
            # GELU in its tanh form (numpy has no erf; float32 tanh is vectorised): the
            # reference check below bounds what that changes.
            inner = 0.5 * inner * (1 + np.tanh(np.float32(0.7978845608) * (inner + np.float32(0.044715) * inner ** 3)))
            x = self.norm(x + linear(inner, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=0, help="at most this many texts in all (0: every one)")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    model = MiniLM(args.model)
    reference = json.load(open(os.path.join(os.path.dirname(__file__), "../Tests/VireoQueryTests/Fixtures/minilm_reference.json")))
    cases = reference["cases"]
    got = model.embed([c["text"] for c in cases])
    worst = min(float(g @ (np.array(c["embedding"]) / np.linalg.norm(c["embedding"]))) for g, c in zip(got, cases))
    print(f"forward pass against sentence-transformers: lowest cosine {worst:.5f} over {len(cases)} sentences")
    if worst < 0.999:
        sys.exit("the numpy forward pass does not match the reference")
    all_texts = texts()
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(all_texts))
    if args.count:
        order = order[:args.count]
    chosen = [all_texts[i] for i in order]
    # Sorted by length so a batch pads little.
    by_length = sorted(range(len(chosen)), key=lambda i: len(chosen[i]))
    vectors = np.zeros((len(chosen), 384), np.float32)
    for start in range(0, len(chosen), 256):
        part = by_length[start:start + 256]
        vectors[part] = model.embed([chosen[i] for i in part])
        if start % 10240 == 0:
            print(f"{start}/{len(chosen)}", flush=True)
    os.makedirs(args.out, exist_ok=True)
    write_fvecs(f"{args.out}/queries.fvecs", vectors[:args.queries])
    write_fvecs(f"{args.out}/base.fvecs", vectors[args.queries:])
    print(f"{len(chosen) - args.queries} base and {args.queries} query vectors in {args.out}")


if __name__ == "__main__":
    main()
