#!/usr/bin/env python3
"""Builds the paraphrase (reverse-dictionary) set of the full-text benchmark from two
independent public-domain dictionaries that Debian ships, read offline:

- documents: WordNet 3.0 synsets (package wordnet-base): the synset's words, then its gloss
  (definition and example sentences), e.g. "river: a large natural stream of water (larger
  than a creek); the river was navigable for 50 miles". 20,000 of the 117,659 synsets: every
  judged one, the rest drawn with a fixed seed.
- queries: Webster's 1913 definition of a word, from GCIDE (package dict-gcide), e.g. "A large
  stream of water flowing in a bed or channel and emptying into the ocean, a sea, a lake, or
  another stream": what a user who cannot think of the word would type, in other words than
  the document's.
- judgments: the query's word has exactly one synset of that part of speech in WordNet, and
  exactly one sense of it in GCIDE (a single entry of that part of speech, unnumbered); that
  synset is the one relevant document (grade 1). GCIDE senses taken from WordNet (tagged
  [WordNet 1.5]) are left out, and so are definitions that contain the word itself, are shorter
  than four words, or merely point elsewhere ("See X", "Same as X").

    build_dictionary.py OUT.json [--documents 20000] [--queries 600] [--first-id 1]

Nothing of the dictionaries is committed: only this script."""
import argparse
import gzip
import json
import os
import random
import re
import sys

WORDNET = "/usr/share/wordnet"
GCIDE = "/usr/share/dictd/gcide.dict.dz"
PARTS = {"noun": "n", "verb": "v", "adj": "a"}
# GCIDE's part-of-speech labels for the parts above.
GCIDE_PARTS = {"n.": "n", "v. t.": "v", "v. i.": "v", "v.": "v", "a.": "a"}
HEADER = re.compile(r'^([A-Za-z][A-Za-z -]*?) \\[^\\]*\\(?: \([^)]*\))?, ([a-z. ]+?\.)(?=[ ,;\[]|$)')
SOURCE_TAG = re.compile(r"\[(?:[^\]]*(?:Webster|WordNet|PJC)[^\]]*)\]")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def synsets():
    """offset → (part, words, gloss) and (lemma, part) → offsets, for nouns, verbs, adjectives."""
    found, senses = {}, {}
    for name, part in PARTS.items():
        path = os.path.join(WORDNET, "data." + name)
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: apt-get install wordnet-base")
        for line in open(path, encoding="utf-8"):
            if line.startswith("  "):
                continue
            fields, _, gloss = line.partition(" | ")
            parts = fields.split()
            count = int(parts[3], 16)
            words = [parts[4 + 2 * i].replace("_", " ") for i in range(count)]
            words = [re.sub(r"\([a-z]+\)$", "", word) for word in words]
            found[part + parts[0]] = (part, words, gloss.strip())
        for line in open(os.path.join(WORDNET, "index." + name), encoding="utf-8"):
            if line.startswith("  "):
                continue
            fields = line.split()
            synset_count = int(fields[2])
            senses[(fields[0], part)] = [part + offset for offset in fields[-synset_count:]]
    return found, senses


def gcide_entries():
    """word → [(part, body)] for every GCIDE entry, its body with markup still in."""
    text = gzip.open(GCIDE).read().decode("utf-8", "replace")
    entries = {}
    for block in re.split(r"\n(?=[A-Z][^\n]*\\[^\n]*\\)", text):
        match = HEADER.match(block)
        if not match:
            continue
        word, label = match.group(1).strip().lower(), match.group(2)
        if label in GCIDE_PARTS:
            entries.setdefault(word, []).append((GCIDE_PARTS[label], block[match.end():]))
    return entries


def clean(definition):
    definition = re.sub(r"\[[^\]]*\]", " ", definition)          # etymology, markup like [a^]
    definition = re.sub(r"\{([^}]*)\}", r"\1", definition)        # cross-reference braces
    definition = re.sub(r"^\s*pl\. [^.]*\.\s*", "", definition)          # plural forms: pl. Titmice.
    definition = re.sub(r"^\s*(\([A-Z][a-z]+\.\)\s*)+", "", definition)  # domain labels: (Zool.)
    definition = re.sub(r"--\s*[A-Z][^.]*\.?$", "", definition)  # trailing citation
    definition = re.sub(r"\s+", " ", definition).strip(" ;,")
    return definition


def strip_etymology(body):
    """The body without its leading etymology: a bracketed group, brackets nested inside."""
    body = re.sub(r"\[[^\]\s]{1,4}\]", "", body)  # character markup: [a^], [`e], [oe]
    text = body.lstrip(" ,")
    if not text.startswith("["):
        return text
    depth = 0
    for position, character in enumerate(text):
        depth += {"[": 1, "]": -1}.get(character, 0)
        if depth == 0:
            return text[position + 1:]
    return text


def only_sense(body):
    """The single sense of an entry body, or None when it has several, or comes from WordNet."""
    body = strip_etymology(body)
    first_tag = SOURCE_TAG.search(body)
    if first_tag is None or "WordNet" in first_tag.group(0):
        return None
    sense = body[:first_tag.start()]
    if re.search(r"(^|\n)\s*\d+\.", sense) or re.search(r"\n\s*2\.", body):
        return None
    sense = re.split(r";\s*as,|\s--\s*[A-Z]", sense)[0]
    return clean(sense)


def judged(entries, found, senses, count, rng):
    candidates = []
    for word, items in sorted(entries.items()):
        if " " in word or len(word) < 3:
            continue
        for part in sorted({part for part, _ in items}):
            bodies = [body for item_part, body in items if item_part == part]
            offsets = senses.get((word, part), [])
            if len(bodies) != 1 or len(offsets) != 1:
                continue
            definition = only_sense(bodies[0])
            if not definition or len(definition.split()) < 4 or re.match(r"(See|Same as|One who|Of or pertaining to) ", definition):
                continue
            if re.search(r"\b" + re.escape(word[:max(4, len(word) - 3)]), definition.lower()):
                continue
            candidates.append((word, part, definition, offsets[0]))
    rng.shuffle(candidates)
    chosen, seen = [], set()
    for word, part, definition, offset in candidates:
        if offset not in seen:
            seen.add(offset)
            chosen.append((word, definition, offset))
        if len(chosen) == count:
            break
    return chosen


def document_text(synset):
    part, words, gloss = synset
    gloss = re.sub(r'"([^"]*)"', r"\1", gloss)
    return ", ".join(words) + ": " + gloss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--first-id", type=int, default=1, help="the first document id (to share a table with another set)")
    arguments = parser.parse_args()
    if not os.path.exists(GCIDE):
        sys.exit(f"{GCIDE} is missing: apt-get install dict-gcide")
    rng = random.Random(12)
    found, senses = synsets()
    queries = judged(gcide_entries(), found, senses, arguments.queries, rng)
    relevant = [offset for _, _, offset in queries]
    others = sorted(set(found) - set(relevant))
    picked = relevant + rng.sample(others, max(0, arguments.documents - len(relevant)))
    picked.sort()
    ids = {offset: arguments.first_id + position for position, offset in enumerate(picked)}
    corpus = {"documents": [{"id": ids[offset], "text": document_text(found[offset])} for offset in picked],
              "queries": [{"id": position + 1, "text": definition, "relevant": [ids[offset]], "word": word}
                          for position, (word, definition, offset) in enumerate(queries)]}
    with open(arguments.out, "w") as out:
        json.dump(corpus, out)
    print(f"{len(corpus['documents'])} documents, {len(corpus['queries'])} judged queries -> {arguments.out}")


if __name__ == "__main__":
    main()
