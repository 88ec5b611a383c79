"""The scopes derived from ``customers_visible_to`` live beside it, once, and pages, the API
and search call the same ones: a rep sees the contacts, activities, orders and costs of
their own customers only."""

import pytest

from customers.selectors import activities_visible_to, contacts_visible_to, customers_visible_to
from orders.selectors import costs_visible_to, orders_visible_to
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory
from tests.orders.factories import CustomerCostFactory, OrderFactory

SCOPES = {
    "customers": (customers_visible_to, lambda c: c),
    "contacts": (contacts_visible_to, lambda c: ContactFactory(customer=c)),
    "activities": (activities_visible_to, lambda c: ActivityFactory(customer=c)),
    "orders": (orders_visible_to, lambda c: OrderFactory(customer=c)),
    "costs": (costs_visible_to, lambda c: CustomerCostFactory(customer=c)),
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
