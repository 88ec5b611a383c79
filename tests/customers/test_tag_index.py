"""A tag's customers are read from one index, tag then customer (customers 0009, issue 14):
a rep's list filtered by a tag counts its matches without reading the table's rows. The
tag-only and customer-only indexes are gone (the unique (customer, tag) pair serves a
customer's lookups)."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="an index made on PostgreSQL"),
]


def _index_columns():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "customers_customer_tags")
    return sorted(
        details["columns"]
        for details in constraints.values()
        if details["index"] or details["unique"]
    )


def test_the_customers_tags_are_indexed_by_tag_then_customer():
    assert _index_columns() == [
        ["customer_id", "tag_id"],
        ["id"],
        ["tag_id", "customer_id"],
    ]
