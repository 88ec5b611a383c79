"""Customers and orders for the tests that score a population: ``population`` (varied
histories), ``big_spender`` (far above it), ``scores`` (the stored rows to compare runs)."""

import datetime as dt
import random

from customers.models import Customer
from metrics.models import CustomerScore
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import OrderFactory

AS_OF = dt.date(2026, 11, 1)
IGNORED = {"computed_at", "model_version", "_state"}


def population(size, seed=1, owner=None):
    """Customers with varied histories: loyal, one-off, lapsed, leads without orders."""
    rng = random.Random(seed)
    owner = owner or UserFactory()
    customers = []
    for i in range(size):
        customer = CustomerFactory(owner=owner, name=f"P{i:04d}")
        customers.append(customer)
        kind = rng.choice(["loyal", "one-off", "lapsed", "lead"])
        if kind == "lead":
            continue
        first = AS_OF - dt.timedelta(days=rng.randint(60, 900))
        count = {"loyal": rng.randint(3, 12), "one-off": 1, "lapsed": rng.randint(2, 4)}[kind]
        end = AS_OF if kind == "loyal" else first + dt.timedelta(days=200)
        span = max((end - first).days, 1)
        for _ in range(count):
            day = first + dt.timedelta(days=rng.randint(0, span))
            OrderFactory(
                customer=customer,
                ordered_on=min(day, AS_OF),
                total=f"{rng.randint(20, 900)}.{rng.randint(0, 99):02d}",
            )
    return customers


def big_spender(owner, name="Acme Corp", *, last=dt.date(2026, 10, 20), status="active"):
    """A customer far above the population: five large orders up to ``last``."""
    customer = CustomerFactory(owner=owner, name=name, status=status)
    if status == Customer.Status.CHURNED:
        Customer.objects.filter(pk=customer.pk).update(churned_on=last)
    for months in range(5):
        OrderFactory(
            customer=customer, ordered_on=last - dt.timedelta(days=60 * months), total="4000.00"
        )
    return customer


def scores():
    return {
        s.customer_id: {k: v for k, v in vars(s).items() if k not in IGNORED}
        for s in CustomerScore.objects.order_by("customer_id")
    }
