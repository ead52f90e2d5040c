#!/usr/bin/env python3
"""Builds the search-quality corpus: Genesis and Exodus of the King James Version (1611,
public domain), read offline from Debian's bible-kjv package (`bible` prints verses), cut
into passages of VERSES_PER_PASSAGE consecutive verses that never cross a chapter.

    build_corpus.py OUT.json [--books Ge,Exo]

writes [{"id": "Ge22:1-5", "book": "Ge", "chapter": 22, "first": 1, "last": 5, "text": ...}, …].
Nothing of the corpus is committed: only this script and questions.json (each question with
the verse that answers it; the relevant passage is the one holding that verse)."""
import argparse
import json
import re
import shutil
import subprocess
import sys

VERSES_PER_PASSAGE = 5
# The whole of each book: `bible` clamps a chapter or verse past the end to the last one.
BOOK_RANGES = {"Ge": "Gen1:1-Gen99:999", "Exo": "Exo1:1-Exo99:999"}
VERSE_LINE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def verses(book):
    """(chapter, verse, text) of every verse of `book`, in order."""
    if shutil.which("bible") is None:
        sys.exit("the `bible` command is missing: apt-get install bible-kjv (make deps installs it)")
    output = subprocess.run(["bible", "-f", "-l0", BOOK_RANGES[book]], check=True, capture_output=True, text=True).stdout
    found = []
    for line in output.splitlines():
        match = VERSE_LINE.match(line)
        if match:
            if match.group(1) != book:
                raise SystemExit(f"unexpected book {match.group(1)} in the output for {book}")
            found.append([int(match.group(2)), int(match.group(3)), match.group(4).strip()])
        elif line.strip() and found:
            found[-1][2] += " " + line.strip()  # a wrapped verse
    return found


def passages(book):
    result, current = [], []
    for chapter, verse, text in verses(book) + [(None, None, None)]:
        if current and (chapter != current[0][0] or len(current) == VERSES_PER_PASSAGE):
            first, last = current[0][1], current[-1][1]
            result.append({"id": f"{book}{current[0][0]}:{first}-{last}", "book": book, "chapter": current[0][0],
                           "first": first, "last": last, "text": " ".join(item[2] for item in current)})
            current = []
        if chapter is not None:
            current.append((chapter, verse, text))
    return result


def passage_of(corpus, reference):
    """The id of the passage holding verse `reference` (e.g. Ge22:2)."""
    match = re.match(r"^([1-3]?[A-Za-z]+)(\d+):(\d+)$", reference)
    book, chapter, verse = match.group(1), int(match.group(2)), int(match.group(3))
    for passage in corpus:
        if passage["book"] == book and passage["chapter"] == chapter and passage["first"] <= verse <= passage["last"]:
            return passage["id"]
    raise KeyError(f"no passage holds {reference}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--books", default="Ge,Exo")
    arguments = parser.parse_args()
    corpus = [passage for book in arguments.books.split(",") for passage in passages(book)]
    with open(arguments.out, "w") as out:
        json.dump(corpus, out)
    print(f"{len(corpus)} passages, {sum(len(p['text'].split()) for p in corpus)} words -> {arguments.out}")


if __name__ == "__main__":
    main()
