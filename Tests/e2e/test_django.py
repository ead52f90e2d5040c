"""Django 5 over pgwire (psycopg 3), as a Django user meets Vireo: `migrate` runs the
migrations of contrib.auth and contenttypes (ALTER TABLE, foreign keys declared DEFERRABLE
INITIALLY DEFERRED, SET CONSTRAINTS, introspection of pg_catalog) and creates this test's
models, then the ORM: inserts, bulk_create, annotate(Count) (grouped by the primary key
alone, PostgreSQL's functional dependency), JSON lookups, aggregates, a foreign key broken
inside transaction.atomic() failing at its commit, passwords, cascading deletes, and a
nearest-neighbour query through pgvector's Django support."""
from decimal import Decimal

import django
import pytest
from django.conf import settings

from conftest import API_KEY


@pytest.fixture(scope="module")
def django_models(server):
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_shop"],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "vireo", "USER": "vireo",
                               "PASSWORD": API_KEY, "HOST": "127.0.0.1", "PORT": str(server.pg_port)}},
        USE_TZ=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    call_command("migrate", run_syncdb=True, verbosity=0)
    from django_shop.models import Category, Product
    return Category, Product


def test_django_migrations_and_orm(django_models):
    from django.contrib.auth.models import User
    from django.db import IntegrityError, transaction
    from django.db.models import Avg, Count, Max
    from pgvector.django import L2Distance

    Category, Product = django_models
    books = Category.objects.create(name="books")
    Category.objects.create(name="empty")
    Product.objects.create(category=books, title="SQL", price=Decimal("12.50"), attributes={"pages": 300},
                           embedding=[1, 0, 0])
    Product.objects.bulk_create([Product(category=books, title=f"t{i}", price=Decimal(i), attributes={"pages": i},
                                         embedding=[0, i, 1]) for i in range(10)])

    counts = {row["name"]: row["n"] for row in Category.objects.annotate(n=Count("products")).values("name", "n")}
    assert counts == {"books": 11, "empty": 0}
    assert list(Product.objects.filter(attributes__pages__gt=100).values_list("title", flat=True)) == ["SQL"]
    summary = Product.objects.aggregate(Avg("price"), Max("price"))
    assert summary["price__max"] == Decimal("12.50")
    assert summary["price__avg"].quantize(Decimal("0.0001")) == Decimal("5.2273")
    nearest = Product.objects.order_by(L2Distance("embedding", [0.9, 0.1, 0]))[:2]
    assert [product.title for product in nearest] == ["SQL", "t0"]

    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Product.objects.create(category_id=999_999, title="orphan", price=1)  # fails at the commit
    assert not Product.objects.filter(title="orphan").exists()

    User.objects.create_user("ann", password="secret")
    assert User.objects.get(username="ann").check_password("secret")
    books.delete()
    assert Product.objects.count() == 0
