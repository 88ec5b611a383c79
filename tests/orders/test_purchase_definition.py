"""One definition of "a purchase" (``Order.objects.purchases()``): the value scores and
the survey audiences must agree on a customer whose last order was fully refunded."""

import datetime as dt

import pytest

from metrics import services as metrics_services
from metrics.models import CustomerScore
from orders import services
from orders.models import PURCHASE_STATUSES, Order
from surveys.selectors import audience_customers, paid_orders_between
from tests.factories import CustomerFactory

from .factories import OrderFactory

AS_OF = dt.date(2026, 6, 30)
MARCH = dt.date(2026, 3, 2)
MAY = dt.date(2026, 5, 4)


def refund_in_full(user, order, how):
    if how == "status":
        return services.order_set_status(user=user, order=order, status=Order.Status.REFUNDED)
    half = order.total / 2
    services.order_refund(user=user, order=order, amount=half)
    return services.order_refund(user=user, order=order, amount=order.total - half)


def test_purchases_are_placed_and_paid_orders(owner):
    customer = CustomerFactory(owner=owner)
    for status in ("draft", "placed", "paid"):
        OrderFactory(customer=customer, status=status)
    cancelled = OrderFactory(customer=customer, status="placed")
    services.order_set_status(user=owner, order=cancelled, status=Order.Status.CANCELLED)
    refunded = OrderFactory(customer=customer, status="paid")
    refund_in_full(owner, refunded, "status")

    assert set(PURCHASE_STATUSES) == {Order.Status.PLACED, Order.Status.PAID}
    assert sorted(Order.objects.purchases().values_list("status", flat=True)) == ["paid", "placed"]


@pytest.mark.parametrize("how", ["status", "refunds"])
def test_a_fully_refunded_last_order_is_no_purchase_for_scores_nor_audiences(owner, how):
    refunded = CustomerFactory(owner=owner, name="Refunded last")
    OrderFactory(customer=refunded, ordered_on=MARCH, status="paid")
    refund_in_full(owner, OrderFactory(customer=refunded, ordered_on=MAY, status="paid"), how)
    buyer = CustomerFactory(owner=owner, name="Bought in May")
    OrderFactory(customer=buyer, ordered_on=MARCH, status="paid")
    OrderFactory(customer=buyer, ordered_on=MAY, status="paid")

    metrics_services.full_run_sync(as_of=AS_OF)

    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    assert (scores[refunded.pk].orders_count, scores[refunded.pk].last_order_on) == (1, MARCH)
    assert (scores[buyer.pk].orders_count, scores[buyer.pk].last_order_on) == (2, MAY)

    def audience(**criteria):
        customers, _unknown = audience_customers(
            user=owner, criteria={"mode": "filters", "status": "active", **criteria}
        )
        return set(customers.values_list("pk", flat=True))

    # The audience's "last order" is the score's last order, for both customers.
    for customer in (refunded, buyer):
        last = scores[customer.pk].last_order_on.isoformat()
        assert customer.pk in audience(last_order_after=last, last_order_before=last)
    assert audience(last_order_after=MAY.isoformat()) == {buyer.pk}
    assert audience(last_order_before=(MAY - dt.timedelta(days=1)).isoformat()) == {refunded.pk}
    # Nor is the refunded order asked about by a survey sent after purchases.
    asked = paid_orders_between(start=dt.date(2000, 1, 1), end=dt.date(2100, 1, 1))
    assert set(asked.values_list("customer_id", "ordered_on")) == {
        (refunded.pk, MARCH),
        (buyer.pk, MARCH),
        (buyer.pk, MAY),
    }
