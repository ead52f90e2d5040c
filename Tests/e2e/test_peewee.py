"""peewee against a real `vireo serve`: models, a transaction of bulk inserts, joins and
aggregates, upserts, integrity errors, and the introspection its playhouse.reflection and
migrations use (information_schema's constraint views, pg_index)."""
import datetime
import decimal

import pytest

peewee = pytest.importorskip("peewee")


def test_peewee_models_queries_and_introspection(server):
    database = peewee.PostgresqlDatabase("vireo", user="vireo", password="e2e-test-key", host="127.0.0.1", port=server.pg_port)

    class Base(peewee.Model):
        class Meta:
            database = None

    class Writer(Base):
        name = peewee.CharField(max_length=50, unique=True)
        born = peewee.DateField(null=True)

    class Novel(Base):
        writer = peewee.ForeignKeyField(Writer, backref="novels", on_delete="CASCADE")
        title = peewee.TextField(index=True)
        price = peewee.DecimalField(max_digits=8, decimal_places=2, default=0)

    database.bind([Writer, Novel])
    database.connect()
    database.create_tables([Writer, Novel])
    ann = Writer.create(name="Ann", born=datetime.date(1970, 1, 1))
    with database.atomic():
        Novel.insert_many([{"writer": ann, "title": f"t{i}", "price": i} for i in range(50)]).execute()
    assert Novel.select().where(Novel.price > 10).count() == 39
    counts = (Writer.select(Writer.name, peewee.fn.COUNT(Novel.id).alias("n"))
              .join(Novel, peewee.JOIN.LEFT_OUTER).group_by(Writer.name))
    assert [(row.name, row.n) for row in counts] == [("Ann", 50)]
    assert Novel.update(price=Novel.price * 2).where(Novel.title.startswith("t1")).execute() == 11
    assert Novel.select(peewee.fn.SUM(Novel.price)).scalar() == decimal.Decimal(sum(range(50)) + sum([1] + list(range(10, 20))))
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():
            Writer.create(name="Ann")
    upsert = Writer.insert(name="Cy").on_conflict(conflict_target=[Writer.name], update={Writer.born: datetime.date(2000, 1, 1)})
    upsert.execute()
    upsert.execute()
    assert Writer.get(Writer.name == "Cy").born == datetime.date(2000, 1, 1)

    assert database.get_primary_keys("novel") == ["id"]
    foreign_keys = database.get_foreign_keys("novel")
    assert [(key.column, key.dest_table, key.dest_column) for key in foreign_keys] == [("writer_id", "writer", "id")]
    indexes = {index.name: (index.columns, index.unique) for index in database.get_indexes("novel")}
    assert indexes["novel_title"] == (["title"], False) and indexes["novel_writer_id"] == (["writer_id"], False)
    assert {column.name: column.data_type for column in database.get_columns("writer")} == \
        {"id": "integer", "name": "character varying", "born": "date"}
    Writer.delete().where(Writer.name == "Ann").execute()
    assert Novel.select().count() == 0, "ON DELETE CASCADE removed Ann's novels"
    database.drop_tables([Novel, Writer])
    database.close()
