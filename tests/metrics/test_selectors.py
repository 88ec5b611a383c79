"""The value engine's inputs (metrics.selectors): money is added up in exact cents."""

import datetime as dt
from decimal import Decimal

from metrics.selectors import customer_inputs
from orders.models import CustomerCost
from tests.factories import CustomerFactory

AS_OF = dt.date(2026, 6, 30)


def test_customer_costs_are_summed_in_exact_cents(db):
    customer, other = CustomerFactory(), CustomerFactory()
    # As floats, 0.10 + 0.20 is 0.30000000000000004; in cents it is 30.
    for amount in ("0.10", "0.20"):
        CustomerCost.objects.create(
            customer=customer,
            incurred_on=dt.date(2026, 3, 1),
            amount=Decimal(amount),
            amount_base=Decimal(amount),
        )
    CustomerCost.objects.create(
        customer=customer,
        incurred_on=AS_OF + dt.timedelta(days=1),  # after the as-of date: not counted
        amount=Decimal("5.00"),
        amount_base=Decimal("5.00"),
    )

    everyone = customer_inputs(as_of=AS_OF)
    alone = customer_inputs(as_of=AS_OF, customer_ids=[customer.pk])

    costs = dict(zip(everyone.customer_id.tolist(), everyone.other_costs.tolist(), strict=True))
    assert costs == {customer.pk: 0.3, other.pk: 0.0}
    assert alone.other_costs.tolist() == [0.3]
