"""The REST benchmark's script (Benchmarks/net/bench_rest.py) runs end to end on a tiny
table against the built `vireo serve`, so `make bench-rest` does not rot between runs. The
figures themselves are not checked here (benchmarks print figures, tests do not time)."""
import os
import re
import subprocess
import sys

from conftest import vireo_binary

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks", "net", "bench_rest.py")


def test_bench_rest_script_measures_every_workload_at_every_client_count():
    result = subprocess.run(
        [sys.executable, SCRIPT, "--vireo", vireo_binary(), "--rows", "120", "--dim", "8", "--batch", "10",
         "--clients", "1,3", "--seconds", "0.3", "--requests-per-client-max", "50", "--processes", "2"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"expected exit 0, got {result.returncode}:\n{result.stdout}\n{result.stderr}"
    rows = re.findall(r"^\| (search k=10|insert 1 row|insert 10 rows) \| (\d+) \| (\d+) \|", result.stdout, re.M)
    measured = {(name, int(clients)) for name, clients, _ in rows}
    expected = {(name, clients) for name in ("search k=10", "insert 1 row", "insert 10 rows") for clients in (1, 3)}
    assert measured == expected, f"expected rows for {sorted(expected)}, got {sorted(measured)}:\n{result.stdout}"
    assert all(int(rate) > 0 for _, _, rate in rows), result.stdout
