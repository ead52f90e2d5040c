"""The curl quick start of docs/vector-stores.md, run as written against a real server."""
import json
import os
import re
import subprocess

from conftest import API_KEY

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "vector-stores.md")


def test_quick_start_runs_as_documented(server):
    text = open(DOC, encoding="utf-8").read()
    script = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S).group(1)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "BASE": server.base_url, "KEY": API_KEY})
    assert result.returncode == 0, result.stdout + result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [answer["status"] for answer in answers[:2]] == ["completed", "completed"], answers
    search = answers[-1]
    assert search["data"][0]["filename"] == "volcanoes.md" and "lava" in search["data"][0]["content"], search
