#!/usr/bin/env python3
"""Builds the full-text benchmark corpus: every verse of the King James Version (1611, public
domain; 31,102 verses), read offline from Debian's bible-kjv package (`bible` prints them), as
documents, and two query sets drawn from them with a fixed seed:

- judged queries (known-item search): 2–4 content words of one verse, shuffled; the verse is
  the relevant document (grade 1). Half of them drop one word and add one from a neighbouring
  verse, so that the words alone do not pin the verse down.
- speed queries: 1–4 content words of random verses (as many of each length).

    build_corpus.py OUT.json [--queries 600] [--speed-queries 500]

Nothing of the corpus is committed: only this script."""
import argparse
import json
import random
import re
import shutil
import subprocess
import sys

VERSE_LINE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")
STOP = set("""a about above after again against all am an and any are as at be because been before being below between both but by
could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if
in into is it its itself let me more most my myself no nor not of off on once only or other ought our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they this those through to too under until
up very was we were what when where which while who whom why with would you your yours yourself yourselves thee thou thy thine ye
unto hath saith shall shalt will upon also even said hast doth art""".split())


def verses():
    if shutil.which("bible") is None:
        sys.exit("the `bible` command is missing: apt-get install bible-kjv")
    output = subprocess.run(["bible", "-f", "-l0", "Gen1:1-Rev99:999"], check=True, capture_output=True, text=True).stdout
    found = []
    for line in output.splitlines():
        match = VERSE_LINE.match(line)
        if match:
            found.append(match.group(4).strip())
        elif line.strip() and found:
            found[-1] += " " + line.strip()
    return found


def content_words(text):
    return [word for word in re.findall(r"[a-z]+", text.lower()) if len(word) > 3 and word not in STOP]


def judged(texts, count, rng):
    queries = []
    while len(queries) < count:
        position = rng.randrange(len(texts))
        words = sorted(set(content_words(texts[position])))
        if len(words) < 3:
            continue
        chosen = rng.sample(words, min(len(words), rng.randint(2, 4)))
        if len(queries) % 2 == 1:
            neighbour = content_words(texts[min(position + 1, len(texts) - 1)])
            if neighbour:
                chosen = chosen[:-1] + [rng.choice(neighbour)]
        rng.shuffle(chosen)
        queries.append({"id": len(queries) + 1, "text": " ".join(chosen), "relevant": [position + 1]})
    return queries


def speed(texts, count, rng):
    queries = []
    while len(queries) < count:
        words = content_words(texts[rng.randrange(len(texts))])
        length = 1 + len(queries) % 4
        if len(set(words)) >= length:
            queries.append(" ".join(rng.sample(sorted(set(words)), length)))
    return queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--speed-queries", type=int, default=500)
    arguments = parser.parse_args()
    texts = verses()
    rng = random.Random(12)
    corpus = {"documents": [{"id": position + 1, "text": text} for position, text in enumerate(texts)],
              "queries": judged(texts, arguments.queries, rng), "speed_queries": speed(texts, arguments.speed_queries, rng)}
    with open(arguments.out, "w") as out:
        json.dump(corpus, out)
    print(f"{len(texts)} documents, {len(corpus['queries'])} judged queries, {len(corpus['speed_queries'])} speed queries -> {arguments.out}")


if __name__ == "__main__":
    main()
