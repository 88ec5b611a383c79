"""The scopes derived from ``customers_visible_to`` live beside it, once, and pages, the API
and search call the same ones: a rep sees the contacts, activities, orders, costs and scores
of their own customers only."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.selectors import activities_visible_to, contacts_visible_to, customers_visible_to
from metrics.models import CustomerScore
from metrics.selectors_customer import scores_visible_to
from orders.selectors import costs_visible_to, orders_visible_to
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory
from tests.orders.factories import CustomerCostFactory, OrderFactory

SCOPES = {
    "customers": (customers_visible_to, lambda c: c),
    "contacts": (contacts_visible_to, lambda c: ContactFactory(customer=c)),
    "activities": (activities_visible_to, lambda c: ActivityFactory(customer=c)),
    "orders": (orders_visible_to, lambda c: OrderFactory(customer=c)),
    "costs": (costs_visible_to, lambda c: CustomerCostFactory(customer=c)),
    "scores": (
        scores_visible_to,
        lambda c: CustomerScore.objects.create(customer=c, as_of="2026-11-30", model_version="t"),
    ),
}


@pytest.mark.parametrize("scope", SCOPES)
def test_each_scope_follows_the_customers_a_user_can_see(owner, teammate, manager, outsider, scope):
    visible_to, make = SCOPES[scope]
    mine = make(CustomerFactory(owner=owner))
    theirs = make(CustomerFactory(owner=teammate))

    def seen(user):
        return set(visible_to(user).values_list("pk", flat=True))

    assert seen(owner) == {mine.pk}
    assert seen(teammate) == {theirs.pk}
    assert seen(manager) == {mine.pk, theirs.pk}
    assert seen(outsider) == set()


@pytest.mark.parametrize("scope", [name for name in SCOPES if name != "customers"])
def test_everyone_s_rows_are_read_without_the_customers(owner, manager, scope):
    """A row's customer always exists (a foreign key): for someone who sees every customer,
    joining the customers only cost the database (a manager's API orders, issue 14)."""
    visible_to, make = SCOPES[scope]
    make(CustomerFactory(owner=owner))
    with CaptureQueriesContext(connection) as queries:
        assert len(visible_to(manager)) == 1
    assert "customers_customer" not in queries[-1]["sql"]


@pytest.mark.parametrize("scope", SCOPES)
def test_seeing_every_customer_without_seeing_customers_shows_nothing(owner, manager, scope):
    visible_to, make = SCOPES[scope]
    make(CustomerFactory(owner=owner))
    manager.groups.clear()
    manager.user_permissions.add(Permission.objects.get(codename="view_all_customers"))
    manager = type(manager).objects.get(pk=manager.pk)  # no permissions cached
    assert not visible_to(manager).exists()
