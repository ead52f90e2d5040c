"""The models of test_django.py: a foreign key (Django declares it DEFERRABLE INITIALLY
DEFERRED), a unique and a composite index, decimals, JSON and a pgvector column."""
from django.db import models
from pgvector.django import HnswIndex, VectorField


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created = models.DateTimeField(auto_now_add=True)


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(max_length=200, db_index=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    in_stock = models.BooleanField(default=True)
    attributes = models.JSONField(default=dict)
    embedding = VectorField(dimensions=3, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["price", "in_stock"]),
            HnswIndex(name="product_embedding_hnsw", fields=["embedding"], m=16, ef_construction=64,
                      opclasses=["vector_l2_ops"]),
        ]
