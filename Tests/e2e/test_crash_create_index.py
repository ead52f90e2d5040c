"""SIGKILL of a real `vireo sql` process while it builds and commits an HNSW index.

After each kill the database must check sound (`vireo check`, which also checks every
vector index against its table), keep every row of the table, and hold the index whenever its
CREATE INDEX was acknowledged (and may hold it when the kill came between the commit and the
acknowledgement); an index that is there must hold every row and find a row's own vector first. The kills land anywhere from the start of the process to
past the end of a whole build, so some hit the graph build, some the commit's writes, some
the fsync and a few come after the acknowledgement."""
import os
import random
import signal
import subprocess
import time

from conftest import vireo_binary

ROWS = 3000
DIMENSION = 16
KILLS = 10
CREATE_INDEX = "CREATE INDEX items_embedding ON items USING hnsw (embedding vector_l2_ops)"


def vireo_sql(path, *statements, check=True):
    arguments = [vireo_binary(), "sql", path, "--format", "csv"]
    for statement in statements:
        arguments += ["-c", statement]
    result = subprocess.run(arguments, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def load_table(path, rng):
    lines = [f"CREATE TABLE items (id int PRIMARY KEY, embedding vector({DIMENSION}));"]
    for start in range(0, ROWS, 500):
        values = ",".join(
            f"({i}, '[{','.join(f'{rng.gauss(0, 1):.5f}' for _ in range(DIMENSION))}]')" for i in range(start, start + 500))
        lines.append(f"INSERT INTO items VALUES {values};")
    script = os.path.join(os.path.dirname(path), "load.sql")
    with open(script, "w") as file:
        file.write("\n".join(lines))
    result = subprocess.run([vireo_binary(), "sql", path, "-f", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def index_names(path):
    output = vireo_sql(path, "SELECT indexname FROM pg_indexes WHERE tablename = 'items'")
    return set(output.split()[1:])


def create_index_and_kill(path, delay):
    """Starts CREATE INDEX, kills it after `delay` seconds; whether it was acknowledged."""
    process = subprocess.Popen([vireo_binary(), "sql", path, "-c", CREATE_INDEX],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    stdout, _ = process.communicate(timeout=60)
    return "CREATE INDEX" in stdout


def check_database(path, rows_before, kill):
    check = subprocess.run([vireo_binary(), "check", path], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, f"after kill {kill}: {check.stdout}{check.stderr}"
    rows = vireo_sql(path, "SELECT id, embedding FROM items ORDER BY id").splitlines()[1:]
    assert rows == rows_before, f"after kill {kill}: the table's rows changed"
    return check.stdout


def own_vector_found_first(path, ids):
    """Each id's own vector is its nearest neighbour through the index."""
    statements = ["SET hnsw.ef_search = 200"]
    for row_id in ids:
        statements.append(
            f"SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = {row_id}) LIMIT 1")
    output = vireo_sql(path, *statements)
    found = [line for line in output.splitlines() if line not in ("id", "SET")]
    return found == [str(row_id) for row_id in ids]


def test_sigkill_during_create_index(tmp_path):
    rng = random.Random(int(os.environ.get("VIREO_CRASH_SEED", "0")) or random.randrange(1 << 30))
    path = str(tmp_path / "crash.vireo")
    load_table(path, rng)
    rows_before = vireo_sql(path, "SELECT id, embedding FROM items ORDER BY id").splitlines()[1:]
    assert len(rows_before) == ROWS

    # One whole build timed: the kills spread over 0 … 1.3 × its duration.
    started = time.monotonic()
    vireo_sql(path, CREATE_INDEX)
    whole = time.monotonic() - started
    vireo_sql(path, "DROP INDEX items_embedding")

    outcomes = []
    for kill in range(KILLS):
        acknowledged = create_index_and_kill(path, rng.uniform(0, 1.3 * whole))
        report = check_database(path, rows_before, kill)
        present = "items_embedding" in index_names(path)
        outcomes.append((acknowledged, present))
        assert present or not acknowledged, f"after kill {kill}: an acknowledged CREATE INDEX is lost"
        if present:
            assert f"vector index items_embedding on items: {ROWS} vectors" in report, report
            assert own_vector_found_first(path, rng.sample(range(ROWS), 5)), f"after kill {kill}: the index misses rows"
            vireo_sql(path, "DROP INDEX items_embedding")
    # The index builds again after the last kill, whatever it left.
    vireo_sql(path, CREATE_INDEX)
    assert "items_embedding" in index_names(path)
    assert f"vector index items_embedding on items: {ROWS} vectors" in check_database(path, rows_before, KILLS)
    print("kills (acknowledged, index present):", outcomes)
