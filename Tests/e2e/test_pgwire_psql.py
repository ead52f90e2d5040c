"""psql, the PostgreSQL shell, against a real `vireo serve`."""
import os
import subprocess

from conftest import API_KEY


def psql(server, *arguments, stdin=None):
    environment = dict(os.environ, PGPASSWORD=API_KEY)
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "vireo", "-d", "vireo", "-X", "-v", "ON_ERROR_STOP=1",
         *arguments], input=stdin, capture_output=True, text=True, env=environment, timeout=60)


def described(server, name):
    """psql's `\\d name`: its lines, each with its runs of spaces made one, and its output as
    printed (for assertion messages)."""
    result = psql(server, "-c", f"\\d {name}")
    assert result.returncode == 0, result.stderr
    return [" ".join(line.split()) for line in result.stdout.splitlines()], result.stdout


def test_psql_runs_a_script(server):
    script = """
    CREATE TABLE notes (id bigserial PRIMARY KEY, body text);
    INSERT INTO notes (body) VALUES ('first'), ('second');
    SELECT body FROM notes ORDER BY id;
    """
    result = psql(server, "-A", "-t", stdin=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CREATE", "TABLE", "INSERT", "0", "2", "first", "second"]


def test_psql_reports_errors_with_their_position(server):
    result = psql(server, "-c", "SELECT nonsense FROM nowhere")
    assert result.returncode != 0
    assert 'relation "nowhere" does not exist' in result.stderr


def test_psql_lists_tables_indexes_and_databases(server):
    assert psql(server, "-c", "CREATE TABLE listed (id bigserial PRIMARY KEY, v vector(2))").returncode == 0
    assert psql(server, "-c", "CREATE INDEX listed_v ON listed USING hnsw (v vector_l2_ops)").returncode == 0
    tables = psql(server, "-c", "\\dt")
    assert tables.returncode == 0 and "listed" in tables.stdout, tables.stderr
    indexes = psql(server, "-c", "\\di")
    assert indexes.returncode == 0 and "listed_v" in indexes.stdout, indexes.stderr
    databases = psql(server, "-c", "\\l")
    assert databases.returncode == 0 and "vireo" in databases.stdout, databases.stderr


def test_psql_copy_csv_in_and_out(server, tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text('id,name\n1,"Smith, Anna"\n2,"quote ""here"""\n3,\n')
    assert psql(server, "-c", "CREATE TABLE people (id bigint PRIMARY KEY, name text)").returncode == 0
    loaded = psql(server, "-c", f"\\copy people FROM '{source}' WITH (FORMAT csv, HEADER)")
    assert loaded.returncode == 0 and "COPY 3" in loaded.stdout, loaded.stderr
    dumped = psql(server, "-A", "-t", "-c", "\\copy (SELECT id, name FROM people ORDER BY id) TO STDOUT WITH CSV")
    assert dumped.stdout == '1,"Smith, Anna"\n2,"quote ""here"""\n3,\n', dumped.stdout


def test_psql_describes_a_table_and_its_indexes(server):
    """`\\d table` and `\\d index` run psql's own catalog queries (OPERATOR(pg_catalog.~),
    COLLATE, arrays, pg_get_indexdef …) and print what PostgreSQL would."""
    create = psql(server, "-c", "CREATE TABLE described (id bigint PRIMARY KEY, name varchar(20) NOT NULL, email text UNIQUE, "
                                "n serial, tags text[], created timestamptz DEFAULT now(), emb vector(3))")
    assert create.returncode == 0, create.stderr
    assert psql(server, "-c", "CREATE INDEX described_name ON described (name)").returncode == 0
    lines, _ = described(server, "described")
    assert 'Table "public.described"' in lines[0]
    assert "name | character varying(20) | | not null |" in lines
    assert "n | integer | | not null | nextval('described_n_seq'::regclass)" in lines
    assert "tags | text[] | | |" in lines
    assert "emb | vector(3) | | |" in lines
    assert "created | timestamp with time zone | | | now()" in lines
    assert '"described_pkey" PRIMARY KEY, btree (id)' in lines
    assert '"described_email_key" UNIQUE CONSTRAINT, btree (email)' in lines
    assert '"described_name" btree (name)' in lines
    index = psql(server, "-c", "\\d described_name")
    assert index.returncode == 0 and 'btree, for table "public.described"' in index.stdout, index.stderr
    for command in ["\\d+ described", "\\dt+", "\\di+", "\\du", "\\dx", "\\df", "\\df+ now", "\\dT", "\\dn", "\\do", "\\dF",
                    "\\dFp", "\\dc", "\\dd", "\\dX", "\\dAc", "\\dD", "\\dm", "\\dp", "\\l"]:
        result = psql(server, "-c", command)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    configurations = psql(server, "-c", "\\dF")
    assert "english" in configurations.stdout and "simple" in configurations.stdout, configurations.stdout


def test_psql_describes_index_nulls_order_and_time_precision(server):
    """`\\d table` prints an index's NULLS clause where it is not the direction's default and a
    time type's precision, as PostgreSQL 15's psql shows them."""
    script = """
    CREATE TABLE nulls_ordered (n integer, m text, at timestamp(2), span interval(3));
    CREATE INDEX nulls_ordered_n ON nulls_ordered (n DESC NULLS LAST);
    CREATE INDEX nulls_ordered_m ON nulls_ordered (m NULLS FIRST, n DESC);
    CREATE INDEX nulls_ordered_at ON nulls_ordered (at DESC NULLS FIRST);
    """
    created = psql(server, stdin=script)
    assert created.returncode == 0, created.stderr
    lines, output = described(server, "nulls_ordered")
    assert "at | timestamp(2) without time zone | | |" in lines, output
    assert "span | interval(3) | | |" in lines, output
    assert '"nulls_ordered_n" btree (n DESC NULLS LAST)' in lines, output
    assert '"nulls_ordered_m" btree (m NULLS FIRST, n DESC)' in lines, output
    assert '"nulls_ordered_at" btree (at DESC)' in lines, output


def test_psql_lists_and_describes_a_view(server):
    """`\\dv` lists views (pg_class relkind 'v'); `\\d view` shows its columns under
    'View "public.name"'; `\\d+ view` adds its definition (pg_get_viewdef)."""
    script = """
    CREATE TABLE viewed (id bigint PRIMARY KEY, name text, score integer);
    CREATE VIEW viewed_top (who, score) AS SELECT name, score FROM viewed WHERE score > 10;
    """
    created = psql(server, stdin=script)
    assert created.returncode == 0, created.stderr
    views = psql(server, "-c", "\\dv")
    assert views.returncode == 0, views.stderr
    assert any(" ".join(line.split()) == "public | viewed_top | view | vireo" for line in views.stdout.splitlines()), views.stdout
    tables = psql(server, "-c", "\\dt")
    assert "viewed_top" not in tables.stdout, tables.stdout
    lines, output = described(server, "viewed_top")
    assert 'View "public.viewed_top"' in lines[0], output
    assert "who | text | | |" in lines, output
    assert "score | integer | | |" in lines, output
    verbose = psql(server, "-c", "\\d+ viewed_top")
    assert verbose.returncode == 0 and "View definition:" in verbose.stdout, verbose.stderr + verbose.stdout


def test_psql_describes_check_constraints(server):
    """`\\d table` lists CHECK constraints under "Check constraints:" (pg_class.relchecks,
    pg_constraint contype 'c', pg_get_constraintdef)."""
    created = psql(server, "-c", "CREATE TABLE checked (n integer CHECK (n > 0), m integer, CONSTRAINT m_small CHECK (m < 10))")
    assert created.returncode == 0, created.stderr
    lines, output = described(server, "checked")
    assert "Check constraints:" in lines, output
    assert '"checked_n_check" CHECK (n > 0)' in lines, output
    assert '"m_small" CHECK (m < 10)' in lines, output
    refused = psql(server, "-c", "INSERT INTO checked VALUES (0, 1)")
    assert refused.returncode != 0
    assert 'new row for relation "checked" violates check constraint "checked_n_check"' in refused.stderr


def test_psql_describes_foreign_keys(server):
    """`\\d table` lists a table's FOREIGN KEYs under "Foreign-key constraints:" and the keys
    that reference it under "Referenced by:" (pg_class.relhastriggers, pg_constraint contype
    'f', pg_get_constraintdef); a violation shows PostgreSQL's DETAIL."""
    created = psql(server, "-c", "CREATE TABLE fk_parent (id integer PRIMARY KEY)",
                   "-c", "CREATE TABLE fk_child (id integer, p integer REFERENCES fk_parent ON DELETE CASCADE)")
    assert created.returncode == 0, created.stderr
    lines, output = described(server, "fk_child")
    assert "Foreign-key constraints:" in lines, output
    assert '"fk_child_p_fkey" FOREIGN KEY (p) REFERENCES fk_parent(id) ON DELETE CASCADE' in lines, output
    lines, output = described(server, "fk_parent")
    assert "Referenced by:" in lines, output
    assert 'TABLE "fk_child" CONSTRAINT "fk_child_p_fkey" FOREIGN KEY (p) REFERENCES fk_parent(id) ON DELETE CASCADE' in lines, output
    refused = psql(server, "-c", "INSERT INTO fk_child VALUES (1, 7)")
    assert refused.returncode != 0
    assert 'violates foreign key constraint "fk_child_p_fkey"' in refused.stderr
    assert 'DETAIL:  Key (p)=(7) is not present in table "fk_parent".' in refused.stderr


def test_psql_shows_comments(server):
    """COMMENT ON TABLE / COLUMN: `\\dt+` and `\\d+` show them (obj_description,
    col_description over pg_description)."""
    created = psql(server, "-c", "CREATE TABLE commented (id integer, label text)",
                   "-c", "COMMENT ON TABLE commented IS 'Labelled things'",
                   "-c", "COMMENT ON COLUMN commented.label IS 'What it is called'")
    assert created.returncode == 0, created.stderr
    tables = psql(server, "-c", "\\dt+ commented")
    assert tables.returncode == 0, tables.stderr
    assert "Labelled things" in tables.stdout, tables.stdout
    described = psql(server, "-c", "\\d+ commented")
    assert described.returncode == 0, described.stderr
    assert "What it is called" in described.stdout, described.stdout


def test_psql_streams_a_result_larger_than_work_mem(server):
    """A simple query's rows go out as the plan makes them: a result far past work_mem
    arrives whole (collected, it would be refused with 54000), and a script goes on after it."""
    script = """
    CREATE TABLE streamed (id bigint PRIMARY KEY, body text);
    INSERT INTO streamed SELECT g, repeat('x', 100) || g FROM generate_series(1, 40000) AS g;
    SET work_mem = '64kB';
    SELECT id, body FROM streamed;
    SELECT count(*) FROM streamed;
    """
    result = psql(server, "-A", "-t", "-q", stdin=script)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 40001
    assert lines[0] == "1|" + "x" * 100 + "1" and lines[39999] == "40000|" + "x" * 100 + "40000"
    assert lines[-1] == "40000"
    copied = psql(server, "-A", "-t", "-q", "-c", "SET work_mem = '64kB'", "-c", "\\copy streamed TO STDOUT WITH (FORMAT csv, HEADER)")
    assert copied.returncode == 0, copied.stderr
    copied_lines = copied.stdout.splitlines()
    assert len(copied_lines) == 40001 and copied_lines[0] == "id,body" and copied_lines[-1] == "40000," + "x" * 100 + "40000"
    # An error after many rows went out ends the statement as PostgreSQL's does.
    failed = psql(server, "-c", "SELECT id, 1 / (30000 - id) FROM streamed")
    assert failed.returncode != 0 and "division by zero" in failed.stderr, failed.stderr
    assert psql(server, "-A", "-t", "-c", "SELECT count(*) FROM streamed").stdout.strip() == "40000"


def test_psql_lists_sequences_and_hides_vireos_own_tables(server):
    """`\\ds` lists sequences (CREATE SEQUENCE and a serial column's); `\\dt` lists the
    user's tables only: Vireo's own (vireo_…, made by the REST surfaces) are in schema vireo."""
    script = "CREATE SEQUENCE listed_seq START 5; CREATE TABLE counted (id serial PRIMARY KEY);"
    assert psql(server, "-c", script).returncode == 0
    sequences = psql(server, "-c", "\\ds")
    assert sequences.returncode == 0, sequences.stderr
    assert "listed_seq" in sequences.stdout and "counted_id_seq" in sequences.stdout and "sequence" in sequences.stdout
    described = psql(server, "-c", "\\d counted")
    assert described.returncode == 0 and "nextval('counted_id_seq'::regclass)" in described.stdout, described.stdout + described.stderr
    tables = psql(server, "-A", "-t", "-c", "\\dt")
    assert tables.returncode == 0 and "counted" in tables.stdout, tables.stderr
    assert "vireo_" not in tables.stdout, tables.stdout
    own = psql(server, "-A", "-t", "-c", "SELECT count(*) > 0 FROM pg_tables WHERE schemaname = 'vireo'")
    assert own.stdout.strip() == "t", own.stdout + own.stderr
    assert psql(server, "-c", "DROP TABLE counted; DROP SEQUENCE listed_seq").returncode == 0


def test_psql_runs_migration_ddl(server):
    """CREATE TABLE … AS prints its tag (no empty result), ALTER COLUMN, ADD PRIMARY KEY,
    ALTER INDEX and VACUUM run as a migration script sends them."""
    script = """
    CREATE TABLE mig_src (id int, price float8);
    INSERT INTO mig_src VALUES (1, 2.5), (2, 3.5);
    CREATE TABLE mig_copy AS SELECT * FROM mig_src;
    ALTER TABLE mig_copy ALTER COLUMN price TYPE int, ALTER COLUMN id SET NOT NULL;
    ALTER TABLE mig_copy ADD PRIMARY KEY (id);
    CREATE INDEX mig_copy_price ON mig_copy (price);
    ALTER INDEX mig_copy_price RENAME TO mig_copy_by_price;
    VACUUM ANALYZE mig_copy;
    SELECT id, price FROM mig_copy ORDER BY id;
    DROP TABLE mig_copy, mig_src;
    """
    result = psql(server, "-A", "-t", stdin=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["CREATE", "TABLE", "INSERT", "0", "2", "SELECT", "2", "ALTER", "TABLE", "ALTER", "TABLE",
                                     "CREATE", "INDEX", "ALTER", "INDEX", "VACUUM", "1|2", "2|4", "DROP", "TABLE"]


def test_psql_c_with_several_statements_is_one_transaction(server):
    """psql -c sends one Query message; PostgreSQL runs its statements in one implicit
    transaction, so the failure of the second rolls back the first. psql reading a script
    sends each statement alone: each commits."""
    assert psql(server, "-c", "CREATE TABLE implicit_block (a int PRIMARY KEY)").returncode == 0
    failed = psql(server, "-c", "INSERT INTO implicit_block VALUES (1); INSERT INTO implicit_block VALUES (1)")
    assert failed.returncode != 0 and "duplicate key" in failed.stderr, failed.stderr
    count = "SELECT count(*) FROM implicit_block"
    assert psql(server, "-A", "-t", "-c", count).stdout.strip() == "0"
    script = psql(server, stdin="INSERT INTO implicit_block VALUES (2);\nINSERT INTO implicit_block VALUES (2);\n")
    assert script.returncode != 0
    assert psql(server, "-A", "-t", "-c", count).stdout.strip() == "1"
