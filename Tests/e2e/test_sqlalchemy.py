"""SQLAlchemy 2 over pgwire, with pgvector-python's `Vector` column type, through both of
its PostgreSQL drivers (psycopg 3 and psycopg2): the ORM's first steps (create_all, which
reflects whether the table exists, inserts, a nearest-neighbour query, drop_all) and the
inspector's reflection of tables, columns, keys and indexes. Both run catalog queries
written as SQLAlchemy writes them (`pg_catalog.pg_class.relname`, relkind compared with
varchar parameters)."""
import pytest
from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, Column, Index, String, create_engine, inspect, select
from sqlalchemy.orm import Session, declarative_base

from conftest import API_KEY


def engine_for(server, driver):
    return create_engine(f"postgresql+{driver}://vireo:{API_KEY}@127.0.0.1:{server.pg_port}/vireo")


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_orm_with_pgvector(server, driver):
    engine = engine_for(server, driver)
    Base = declarative_base()
    table = f"sa_items_{driver}"

    class Item(Base):
        __tablename__ = table
        id = Column(BigInteger, primary_key=True)
        name = Column(String(50), nullable=False)
        embedding = Column(Vector(3))
        __table_args__ = (Index(f"{table}_name", "name"),)

    try:
        Base.metadata.create_all(engine)
        Base.metadata.create_all(engine)  # checks that the table exists and leaves it
        with Session(engine) as session:
            session.add_all([Item(id=1, name="east", embedding=[1, 0, 0]), Item(id=2, name="north", embedding=[0, 1, 0]),
                             Item(id=3, name="up", embedding=[0, 0, 1])])
            session.commit()
            nearest = session.scalars(select(Item).order_by(Item.embedding.l2_distance([0.1, 0.9, 0])).limit(1)).one()
            assert (nearest.id, nearest.name, list(nearest.embedding)) == (2, "north", [0.0, 1.0, 0.0])
            distances = session.execute(select(Item.id, Item.embedding.cosine_distance([1, 0, 0])).order_by(Item.id)).all()
            assert [(row[0], round(row[1], 6)) for row in distances] == [(1, 0.0), (2, 1.0), (3, 1.0)]

        inspector = inspect(engine)
        assert table in inspector.get_table_names()
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        assert list(columns) == ["id", "name", "embedding"]
        assert str(columns["name"]["type"]) == "VARCHAR(50)" and columns["name"]["nullable"] is False
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]
        assert [(index["name"], index["column_names"]) for index in inspector.get_indexes(table)] == [(f"{table}_name", ["name"])]
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()
    assert table not in inspect(engine).get_table_names()


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_streams_results_through_a_server_side_cursor(server, driver):
    """stream_results and yield_per make SQLAlchemy read through a named cursor
    (DECLARE … CURSOR, FETCH FORWARD n), a piece at a time."""
    engine = engine_for(server, driver)
    Base = declarative_base()
    table = f"sa_stream_{driver}"

    class Row(Base):
        __tablename__ = table
        id = Column(BigInteger, primary_key=True)
        name = Column(String(20), nullable=False)

    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add_all([Row(id=i, name=f"n{i}") for i in range(1, 1001)])
            session.commit()
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(select(Row.id, Row.name).order_by(Row.id))
            assert getattr(result.context.cursor, "name", None), "a server-side (named) cursor"
            pieces = [len(piece) for piece in result.partitions(300)]
            assert pieces == [300, 300, 300, 100]
        with Session(engine) as session:
            ids = [row.id for row in session.query(Row).order_by(Row.id).yield_per(100)]
            assert ids == list(range(1, 1001))
            names = [row.name for row in session.scalars(select(Row).where(Row.id > 990).order_by(Row.id)
                                                         .execution_options(yield_per=100))]
            assert names == [f"n{i}" for i in range(991, 1001)]
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_identity_columns_and_reflecting_the_whole_database(server, driver):
    """`Identity()` columns (GENERATED … AS IDENTITY, what Django makes too) and
    `MetaData.reflect`, which reads pg_enum, domains (pg_type.typdefault), pg_tablespace and
    `current_setting('default_table_access_method')`."""
    from sqlalchemy import ForeignKey, Identity, Integer, MetaData, Table
    engine = engine_for(server, driver)
    metadata = MetaData()
    things = Table(f"sa_things_{driver}", metadata, Column("id", BigInteger, Identity(always=True), primary_key=True),
                   Column("name", String(20), nullable=False))
    others = Table(f"sa_others_{driver}", metadata, Column("id", Integer, Identity(), primary_key=True),
                   Column("thing_id", ForeignKey(things.c.id)))
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            ids = connection.execute(things.insert().returning(things.c.id), [{"name": "a"}, {"name": "b"}]).scalars().all()
            assert ids == [1, 2]
            connection.execute(others.insert(), [{"thing_id": 1}, {"thing_id": 2}])
            connection.execute(others.insert().values(id=10, thing_id=2))  # BY DEFAULT keeps a value given
            assert connection.execute(select(others.c.id).order_by(others.c.id)).scalars().all() == [1, 2, 10]
        reflected = MetaData()
        reflected.reflect(engine)
        assert {things.name, others.name} <= set(reflected.tables)
        # Vireo's own tables (vector stores', jobs' …) are in schema vireo, not reflected with the user's.
        assert [name for name in reflected.tables if name.startswith("vireo_")] == []
        assert "vireo_jobs" in inspect(engine).get_table_names(schema="vireo")
        assert [key.parent.name for key in reflected.tables[others.name].foreign_keys] == ["thing_id"]
    finally:
        metadata.drop_all(engine)


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_sqlalchemy_sequences_identity_options_and_the_setval_idiom(server, driver):
    """Sequences as SQLAlchemy uses them: `Identity(start, increment)` reflected through
    pg_sequence and pg_get_serial_sequence, a `Sequence` created, listed and advanced, and
    the idiom ORMs and fixture loaders run after loading rows with explicit ids."""
    from sqlalchemy import Identity, Integer, MetaData, Sequence, Table, text
    engine = engine_for(server, driver)
    metadata = MetaData()
    counted = Table(f"sa_counted_{driver}", metadata,
                    Column("id", Integer, Identity(start=10, increment=5), primary_key=True), Column("name", String(20)))
    loaded = Table(f"sa_loaded_{driver}", metadata, Column("id", Integer, primary_key=True), Column("name", String(20)))
    sequence = Sequence(f"sa_seq_{driver}", start=100, increment=3, metadata=metadata)
    try:
        metadata.create_all(engine)
        columns = {column["name"]: column for column in inspect(engine).get_columns(counted.name)}
        identity = columns["id"]["identity"]
        assert (identity["start"], identity["increment"], identity["always"]) == (10, 5, False)
        assert "identity" not in columns["name"] or columns["name"]["identity"] is None
        assert sequence.name in inspect(engine).get_sequence_names()
        with engine.begin() as connection:
            ids = connection.execute(counted.insert().returning(counted.c.id), [{"name": "a"}, {"name": "b"}]).scalars().all()
            assert ids == [10, 15]
            assert [connection.execute(sequence.next_value().select()).scalar() for _ in range(2)] == [100, 103]
            # The implicit sequence of a serial key, reset after an explicit-id load.
            connection.execute(loaded.insert(), [{"id": 1, "name": "x"}, {"id": 7, "name": "y"}])
            serial = f"sa_serial_{driver}"
            connection.execute(text(f"CREATE TABLE {serial} (id serial PRIMARY KEY, name text)"))
            connection.execute(text(f"INSERT INTO {serial} VALUES (1, 'x'), (7, 'y')"))
            reset = connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{serial}', 'id'), (SELECT max(id) FROM {serial}))"))
            assert reset.scalar() == 7
            inserted = connection.execute(text(f"INSERT INTO {serial} (name) VALUES ('z') RETURNING id")).scalar()
            assert inserted == 8
            assert connection.execute(text(f"SELECT currval('{serial}_id_seq'), lastval()")).one() == (8, 8)
            connection.execute(text(f"DROP TABLE {serial}"))
    finally:
        metadata.drop_all(engine)
        engine.dispose()
