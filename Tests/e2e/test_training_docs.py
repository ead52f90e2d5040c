"""The curl quick start of docs/training.md, run as written against a server whose configs
directory is examples/training, with the example trainer doing the work."""
import json
import os
import re
import subprocess
import sys
import tempfile

from conftest import API_KEY, Server

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_quick_start_runs_as_documented():
    text = open(os.path.join(ROOT, "docs", "training.md"), encoding="utf-8").read()
    script = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S).group(1)
    # The trainer needs numpy: the test environment's python3 comes first on PATH.
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    with tempfile.TemporaryDirectory(prefix="vireo-e2e-training-docs-") as data_dir:
        server = Server(data_dir, ["--training-configs", os.path.join(ROOT, "examples", "training")], environment={"PATH": path})
        try:
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120,
                                    env={**os.environ, "PATH": path, "BASE": server.base_url, "KEY": API_KEY})
        finally:
            code, output = server.stop()
        assert result.returncode == 0, result.stdout + result.stderr + output
        assert code == 0, output
    assert "event: status" in result.stdout and '"status": "completed"' in result.stdout, result.stdout
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    session = next(a for a in answers if "progress" in a)
    assert session["status"] == "completed" and session["progress"] == 1 and session["current_epoch"] == 20
    history = next(a for a in answers if "values" in a)
    assert history["epochs"] == [1, 2, 3, 4, 5]
    checkpoint = answers[-1]
    assert checkpoint["is_best"] and checkpoint["filename"] in result.stdout.splitlines(), result.stdout
