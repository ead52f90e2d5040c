#!/usr/bin/env python3
"""Reference embeddings and token ids of all-MiniLM-L6-v2 from sentence-transformers,
written as the small JSON fixture the Swift tests compare the native model against.

Run once, in a throwaway venv (torch and sentence-transformers come from PyPI):

    python3 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch sentence-transformers
    /tmp/st-venv/bin/python scripts/minilm_reference.py "$(scripts/fetch-minilm.sh)"

It writes Tests/VireoQueryTests/Fixtures/minilm_reference.json: for every sentence, the
input ids sentence-transformers feeds the model (truncated to max_seq_length, 256), the
untruncated word-piece count from the fast tokenizer (tokenizer.json), and the embedding
rounded to 6 decimals. The weights stay in the cache folder; nothing here downloads.
"""
import argparse
import json
import pathlib
import sys

# Varied on purpose: short and long (past 256 word pieces), punctuation, accents, CJK,
# Hangul, other scripts, numbers, emoji, control and zero-width characters, an
# over-long word, and inputs with no word at all.
LONG_PARAGRAPH = (
    "Vector databases store high-dimensional embeddings produced by neural networks and "
    "answer nearest-neighbour queries over them. A graph index such as HNSW links every "
    "vector to a few close neighbours on several layers, so that a search can descend "
    "greedily from a coarse layer to the finest one, visiting only a small fraction of "
    "the collection. Exact search, by contrast, compares the query with every stored "
    "vector, which is slow for millions of rows but gives the true answer, and so it "
    "serves as the ground truth when recall is measured. "
)
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world!",
    "a",
    "",
    "   \t\n  ",
    "Café déjà vu: naïve façade, Ångström, São Paulo, Zürich.",
    "Die Straße ist naß und größer als gedacht.",
    "İstanbul'da ılık bir gün geçirdik.",
    "我喜欢在公园里散步。",
    "東京は日本の首都です。",
    "안녕하세요, 세계!",
    "Ελληνικά κείμενα και русский текст рядом.",
    "مرحبا بالعالم",
    "In 2023, revenue grew 12.5% to $4,321,000 (approx. €3.9M) on 1/2/2024.",
    "I love pizza 🍕🍕 and 👩‍💻 coding! 😀",
    "Wait... what?! (Really) -- yes; no: maybe [ok] {fine} <tag> @user #hashtag ~tilde `code` ^caret |pipe|",
    "func embed(_ texts: [String]) async throws -> [[Float]]",
    "See https://example.com/path?query=1&b=2 for details.",
    "VECTOR DATABASES Store EMBEDDINGS",
    "tab\tseparated\nnew line\r\nand\u0000nul and zero\u200bwidth\u00adsoft hyphen",
    "E = mc² and ∑ᵢ xᵢ² ≥ 0",
    "supercalifragilisticexpialidocious" * 4,
    "How do I reset my password?",
    "A man is playing a guitar.",
    "Patients with type 2 diabetes should monitor blood glucose levels regularly.",
    LONG_PARAGRAPH * 3,
    ("Le modèle découpe les mots inconnus en morceaux plus courts; " * 30).strip(),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", help="the all-MiniLM-L6-v2 folder (scripts/fetch-minilm.sh prints it)")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent
                                             / "Tests/VireoQueryTests/Fixtures/minilm_reference.json"))
    args = parser.parse_args()
    try:
        import sentence_transformers
        import tokenizers
        import torch
    except ImportError as error:
        sys.exit(f"{error}: run this with the venv's python (see the top of {__file__})")

    torch.set_num_threads(2)
    model = sentence_transformers.SentenceTransformer(args.model_dir, device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    embeddings = model.encode(SENTENCES, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    input_ids = [model.tokenize([sentence])["input_ids"][0].tolist() for sentence in SENTENCES]
    fast = tokenizers.Tokenizer.from_file(str(pathlib.Path(args.model_dir) / "tokenizer.json"))
    fast.no_truncation()
    fast.no_padding()  # tokenizer.json pads to 128, which would count padding as pieces
    piece_counts = [len(fast.encode(sentence, add_special_tokens=False).ids) for sentence in SENTENCES]
    assert max(piece_counts) > 256, "at least one sentence must be truncated"

    cases = [
        {"text": text, "pieceCount": count, "inputIds": ids, "embedding": [round(float(v), 6) for v in vector]}
        for text, count, ids, vector in zip(SENTENCES, piece_counts, input_ids, embeddings)
    ]
    document = {
        "model": "all-MiniLM-L6-v2",
        "producer": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
                    f"tokenizers {tokenizers.__version__}",
        "maxSeqLength": model.max_seq_length,
        "cases": cases,
    }
    # One case a line keeps the file reviewable in a diff.
    lines = ",\n".join("    " + json.dumps(case, ensure_ascii=False) for case in cases)
    header = {key: value for key, value in document.items() if key != "cases"}
    text = json.dumps(header, ensure_ascii=False)[:-1] + ', "cases": [\n' + lines + "\n]}\n"
    json.loads(text)  # the hand-joined document must still be JSON
    pathlib.Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(cases)} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
