"""Alembic's migration operations (what `alembic upgrade` runs) against `vireo serve`: the
DDL a schema's life brings after its first CREATE TABLE — columns added, altered (type with
USING, NOT NULL, server defaults), unique constraints and indexes created and dropped,
renames — all in one transaction as Alembic runs it, then reflected back by SQLAlchemy."""
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from conftest import API_KEY


def test_alembic_operations_change_a_table_with_rows(server):
    engine = sa.create_engine(f"postgresql+psycopg://vireo:{API_KEY}@127.0.0.1:{server.pg_port}/vireo")
    try:
        with engine.begin() as connection:
            op = Operations(MigrationContext.configure(connection))
            accounts = op.create_table("al_accounts", sa.Column("id", sa.Integer, primary_key=True),
                                       sa.Column("email", sa.String(100)), sa.Column("balance", sa.Float))
            op.bulk_insert(accounts, [{"id": 1, "email": "a@x", "balance": 10.25}, {"id": 2, "email": "b@x", "balance": 2.5}])
            op.add_column("al_accounts", sa.Column("active", sa.Boolean, server_default=sa.true(), nullable=False))
            op.alter_column("al_accounts", "email", existing_type=sa.String(100), type_=sa.String(200), nullable=False)
            op.alter_column("al_accounts", "balance", type_=sa.Numeric(12, 2), postgresql_using="balance::numeric(12,2)")
            op.alter_column("al_accounts", "active", server_default=None)
            op.create_unique_constraint("uq_al_accounts_email", "al_accounts", ["email"])
            op.create_index("ix_al_accounts_balance", "al_accounts", ["balance"])

        inspector = sa.inspect(engine)
        columns = {column["name"]: column for column in inspector.get_columns("al_accounts")}
        assert str(columns["email"]["type"]) == "VARCHAR(200)" and columns["email"]["nullable"] is False
        assert str(columns["balance"]["type"]) == "NUMERIC(12, 2)"
        assert columns["active"]["default"] is None and columns["active"]["nullable"] is False
        assert [(c["name"], c["column_names"]) for c in inspector.get_unique_constraints("al_accounts")] == \
            [("uq_al_accounts_email", ["email"])]
        assert ("ix_al_accounts_balance", ["balance"]) in [(i["name"], i["column_names"]) for i in inspector.get_indexes("al_accounts")]
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, email, balance, active FROM al_accounts ORDER BY id")).all()
            assert [(r[0], r[1], str(r[2]), r[3]) for r in rows] == [(1, "a@x", "10.25", True), (2, "b@x", "2.50", True)]
            try:
                connection.execute(sa.text("INSERT INTO al_accounts (id, email, active) VALUES (3, 'a@x', true)"))
                raise AssertionError("a duplicate email was accepted")
            except sa.exc.IntegrityError as error:
                assert error.orig.sqlstate == "23505"

        with engine.begin() as connection:
            op = Operations(MigrationContext.configure(connection))
            op.drop_constraint("uq_al_accounts_email", "al_accounts", type_="unique")
            op.drop_index("ix_al_accounts_balance", table_name="al_accounts")
            op.alter_column("al_accounts", "email", nullable=True)
            op.alter_column("al_accounts", "email", new_column_name="address")
        inspector = sa.inspect(engine)
        assert inspector.get_unique_constraints("al_accounts") == []
        assert {column["name"]: column["nullable"] for column in inspector.get_columns("al_accounts")}["address"] is True
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS al_accounts"))
        engine.dispose()
