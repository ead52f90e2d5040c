"""Triggers over pgwire: the usual updated_at and audit triggers created by psql from a
migration file, fired by psycopg's statements in both protocols (prepared INSERTs too) and
by asyncpg's prepared statements; an error raised in a trigger reaches the client with its
SQLSTATE and undoes the statement."""
import asyncio

import asyncpg
import psycopg
import pytest

from conftest import API_KEY
from test_pgwire_psql import psql

MIGRATION = """
CREATE TABLE trg_accounts (id serial PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0,
                           updated_at timestamptz);
CREATE TABLE trg_audit (n serial PRIMARY KEY, account int, action text, old_balance int, new_balance int);
CREATE OR REPLACE FUNCTION trg_set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    NEW.email = lower(NEW.email);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION trg_audit_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.balance < 0 THEN
        RAISE EXCEPTION 'balance of % would be %', NEW.id, NEW.balance USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO trg_audit (account, action, old_balance, new_balance)
    VALUES (coalesce(NEW.id, OLD.id), lower(TG_OP), OLD.balance, NEW.balance);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS trg_accounts_updated_at ON trg_accounts;
CREATE TRIGGER trg_accounts_updated_at BEFORE INSERT OR UPDATE ON trg_accounts
    FOR EACH ROW EXECUTE PROCEDURE trg_set_updated_at();
CREATE TRIGGER trg_accounts_audit AFTER INSERT OR UPDATE OR DELETE ON trg_accounts
    FOR EACH ROW EXECUTE FUNCTION trg_audit_change();
"""


def test_triggers_fire_for_every_client_and_protocol(server, tmp_path):
    script = tmp_path / "migrate.sql"
    script.write_text(MIGRATION)
    result = psql(server, "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert result.returncode == 0, result.stderr
    described = psql(server, "-c", r"\d trg_accounts")
    assert "trg_accounts_updated_at BEFORE INSERT OR UPDATE ON trg_accounts FOR EACH ROW EXECUTE FUNCTION trg_set_updated_at()" \
        in described.stdout, described.stdout

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        for i in range(3):  # prepared after the fifth execution in psycopg; prepare=True forces it
            conn.execute("INSERT INTO trg_accounts (email, balance) VALUES (%s, %s)", (f"User{i}@Example.COM", 10 * i),
                         prepare=True)
        conn.execute("INSERT INTO trg_accounts (email) VALUES ('PLAIN@X')")
        rows = conn.execute("SELECT id, email, updated_at IS NOT NULL FROM trg_accounts ORDER BY id").fetchall()
        assert rows == [(1, "user0@example.com", True), (2, "user1@example.com", True), (3, "user2@example.com", True),
                        (4, "plain@x", True)]
        conn.execute("UPDATE trg_accounts SET balance = balance + 5 WHERE id = %s", (2,), prepare=True)
        with pytest.raises(psycopg.errors.CheckViolation) as raised:
            conn.execute("UPDATE trg_accounts SET balance = balance - 100")
        assert raised.value.diag.message_primary == "balance of 1 would be -100"
        assert conn.execute("SELECT sum(balance) FROM trg_accounts").fetchone() == (35,), "the failed UPDATE changed nothing"
        with conn.transaction():
            conn.execute("DELETE FROM trg_accounts WHERE id = 4")
            conn.execute("INSERT INTO trg_accounts (email) VALUES ('rolled@back')")
            raise psycopg.Rollback()
        assert conn.execute("SELECT account, action, old_balance, new_balance FROM trg_audit ORDER BY n").fetchall() == [
            (1, "insert", None, 0), (2, "insert", None, 10), (3, "insert", None, 20), (4, "insert", None, 0), (2, "update", 10, 15)]

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=server.pg_port, user="vireo", password=API_KEY, database="vireo")
        try:
            statement = await conn.prepare("UPDATE trg_accounts SET email = $1 WHERE id = $2 RETURNING email")
            assert await statement.fetchval("MIXED@Case", 3) == "mixed@case"
            with pytest.raises(asyncpg.exceptions.FeatureNotSupportedError):
                await conn.fetchval("SELECT trg_set_updated_at()")
        finally:
            await conn.close()

    asyncio.run(run())
    psql(server, "-c", "DROP TABLE trg_accounts, trg_audit; DROP FUNCTION trg_set_updated_at(), trg_audit_change()")
