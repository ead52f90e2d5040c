"""`vireo ingest` and `vireo search` on a local database: folders read recursively, formats
filtered, a second run skips what is done, and search prints file, score and snippet."""
import os
import subprocess

from conftest import API_KEY, vireo_binary
from documents import tiny_docx


def run(*arguments, cwd):
    return subprocess.run([vireo_binary(), *arguments], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_ingest_resumes_and_search_prints_the_best_chunks(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "volcano.txt").write_text("Volcanoes erupt molten lava and ash.")
    (docs / "sub" / "bread.docx").write_bytes(tiny_docx(["Knead the dough and bake the bread."]))
    (docs / "notes.bin").write_bytes(b"\x00\x01")
    database = str(tmp_path / "v.db")
    first = run("ingest", "docs", "--store", "notes", "--database", database, "--attributes", '{"source": "cli"}', cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "ingested 2 of 2 files" in first.stdout and "embedder: " in first.stderr, first.stdout
    again = run("ingest", "docs", "--store", "notes", "--database", database, cwd=tmp_path)
    assert "ingested 0 of 2 files" in again.stdout and "2 already there" in again.stdout, again.stdout
    found = run("search", "--store", "notes", "--database", database, "-k", "1", "molten lava", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert os.path.join("docs", "volcano.txt") in found.stdout and "Volcanoes erupt" in found.stdout, found.stdout
    missing = run("search", "--store", "nope", "--database", database, "x", cwd=tmp_path)
    assert missing.returncode != 0 and "no vector store called 'nope'" in missing.stderr


def test_ingest_and_search_through_a_running_server(server, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tides.md").write_text("The moon pulls the tides across the bay.")
    (docs / "long.txt").write_text("Glaciers carve valleys slowly over ages. " * 1500)  # over 50 KB: processed in the background
    remote = ("--url", server.base_url, "--api-key", API_KEY)
    first = run("ingest", "docs", "--store", "remote-notes", *remote, "--attributes", '{"source": "cli"}', cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "ingested 2 of 2 files" in first.stdout, first.stdout
    again = run("ingest", "docs", "--store", "remote-notes", *remote, cwd=tmp_path)
    assert "2 already there" in again.stdout, again.stdout + again.stderr
    found = run("search", "--store", "remote-notes", *remote, "-k", "1", "moon and tides", cwd=tmp_path)
    assert found.returncode == 0 and "tides.md" in found.stdout, found.stdout + found.stderr


def chunk_counts(output):
    """{file: chunks} from ingest's plain progress lines ("[1/2] docs/a.txt: 7 chunks — …")."""
    counts = {}
    for line in output.splitlines():
        if line.startswith("[") and " chunks — " in line:
            name, outcome = line.split("] ", 1)[1].split(": ", 1)
            counts[os.path.basename(name)] = int(outcome.split(" ")[0])
    return counts


def test_chunk_size_applies_locally_and_through_a_server(server, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rivers.txt").write_text(" ".join(f"River {n} winds through the valley past old mills and bridges." for n in range(80)))
    local_default = run("ingest", "docs", "--store", "c1", "--database", str(tmp_path / "a.db"), "--embedder", "hashing", cwd=tmp_path)
    local_small = run("ingest", "docs", "--store", "c2", "--database", str(tmp_path / "b.db"), "--embedder", "hashing",
                      "--chunk-size", "100", "--chunk-overlap", "0", cwd=tmp_path)
    remote = ("--url", server.base_url, "--api-key", API_KEY)
    remote_small = run("ingest", "docs", "--store", "chunked-remote", *remote, "--chunk-size", "100", "--chunk-overlap", "0", cwd=tmp_path)
    for result in (local_default, local_small, remote_small):
        assert result.returncode == 0, result.stdout + result.stderr
    default, small, through_server = (chunk_counts(r.stdout)["rivers.txt"] for r in (local_default, local_small, remote_small))
    assert small > default and small >= 8, (default, small)
    assert through_server == small, f"the server chunked to {through_server}, the local database to {small}"
    refused = run("ingest", "docs", "--store", "c3", *remote, "--chunk-overlap", "10", cwd=tmp_path)
    assert refused.returncode != 0 and "--chunk-overlap needs --chunk-size" in refused.stderr, refused.stderr
