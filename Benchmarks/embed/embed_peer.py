#!/usr/bin/env python3
"""sentence-transformers on the sentences vireo-bench-embed wrote: the peer figure printed
beside the native one. Same model folder, CPU, 2 threads, batch 32, the best of --runs.

    python embed_peer.py MODEL_DIR SENTENCES_JSON [--runs N]
"""
import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("sentences")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import sentence_transformers
    import torch

    torch.set_num_threads(2)
    texts = json.load(open(args.sentences, encoding="utf-8"))
    model = sentence_transformers.SentenceTransformer(args.model_dir, device="cpu")
    model.encode(texts[:32], batch_size=32)  # warm-up
    seconds = []
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        model.encode(texts, batch_size=32, convert_to_numpy=True)
        seconds.append(time.perf_counter() - start)
    best, median = min(seconds), sorted(seconds)[len(seconds) // 2]
    print(f"sentence-transformers {sentence_transformers.__version__} (torch {torch.__version__}, 2 threads)  "
          f"{len(texts)} sentences, batch 32: best {best:.2f} s = {len(texts) / best:.0f} sentences/s, "
          f"median {len(texts) / median:.0f} sentences/s")


if __name__ == "__main__":
    main()
