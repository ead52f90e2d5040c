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
rounded to 6 decimals; then 200 seeded random strings with the fast tokenizer's ids. The weights stay in the cache folder; nothing here downloads.
"""
import argparse
import json
import pathlib
import random
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
    "Literal [SEP] and [MASK]\u0301 tokens stay special, [cls] does not; \ufff0glued 𫠠 ext-E.",
    LONG_PARAGRAPH * 3,
    ("Le modèle découpe les mots inconnus en morceaux plus courts; " * 30).strip(),
]

# Random strings for the tokenizer alone (ids, no embeddings): words from the vocabulary
# mixed with characters from many scripts and with the cases the reference treats
# specially (control, format, private-use and unassigned code points, combining marks,
# odd whitespace, special tokens written in the text).
FUZZ_CHARACTER_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßœŒłŁđĐİıŞşĞğ",
    "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΣΩάέήίόύώϊϋΐабвгдежзийклмнопрстуфхцчшщъыьэюяЁЖЗИЙ",
    "我喜欢在公园里散步的人们天地玄黄宇宙洪荒あいうえおかきくけこアイウエオカキクケコー안녕하세요세계한국어",
    "😀🍕👩‍💻🇫🇷❤️✨🎉👍🏽🥺🫠",
    "\u0301\u0308\u0327\u0300\u20dd\u0489\u0bcd\u0e38",
    "\u0000\u0001\u0007\u001f\u007f\u0085\u200b\u200c\u200d\u200e\u2060\ufeff\u00ad\ue000\ufffd\ufff0",
    " \t\n\r\u00a0\u2000\u2028\u2029\u3000\u1680\u202f",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह्ािीुภาษาไทยสวัสดี",
    "∑∏∫√∞≈≠≤≥±×÷²³¹ᵢₐ°€£¥₹©®™§¶•…—–‘’“”«»¿¡ＡＢＣａｂｃ１２３！？（）ﬁﬂĳǆǅ",
]
FUZZ_SPECIAL_PIECES = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[cls]", "[SEP", "[[SEP]]"]


def fuzz_texts(vocabulary, count, seed=7):
    generator = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(generator.randint(0, 16)):
            draw = generator.random()
            if draw < 0.3:
                word = generator.choice(vocabulary).replace("##", "")
                parts.append((word.upper() if generator.random() < 0.3 else word) + generator.choice(["", " ", "-"]))
            elif draw < 0.35:
                parts.append(generator.choice(FUZZ_SPECIAL_PIECES))
            else:
                parts.append(generator.choice(generator.choice(FUZZ_CHARACTER_POOLS)))
        texts.append("".join(parts))
    return texts


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

    vocabulary = (pathlib.Path(args.model_dir) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    tokenizer_cases = [{"text": text, "pieceIds": fast.encode(text, add_special_tokens=False).ids}
                       for text in fuzz_texts(vocabulary, count=200)]

    cases = [
        {"text": text, "pieceCount": count, "inputIds": ids, "embedding": [round(float(v), 6) for v in vector]}
        for text, count, ids, vector in zip(SENTENCES, piece_counts, input_ids, embeddings)
    ]
    document = {
        "model": "all-MiniLM-L6-v2",
        "producer": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
                    f"tokenizers {tokenizers.__version__}",
        "maxSeqLength": model.max_seq_length,
    }
    # One case a line keeps the file reviewable in a diff.
    def listing(items):
        return "[\n" + ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in items) + "\n]"
    text = (json.dumps(document, ensure_ascii=False)[:-1] + ',\n"cases": ' + listing(cases)
            + ',\n"tokenizerCases": ' + listing(tokenizer_cases) + "}\n")
    json.loads(text)  # the hand-joined document must still be JSON
    pathlib.Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(cases)} embedding cases and {len(tokenizer_cases)} tokenizer cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
