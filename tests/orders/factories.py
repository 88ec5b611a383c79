import datetime as dt
import itertools
from decimal import Decimal

import factory

from orders import services
from orders.models import CustomerCost, ExchangeRate, Order, Product
from tests.factories import CustomerFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n:04d}")
    list_price = Decimal("100.00")
    unit_cost = Decimal("60.00")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    currency = "EUR"
    valid_on = dt.date(2026, 1, 1)
    rate = Decimal("1.10000000")


_stored_numbers = itertools.count(1)


class OrderFactory(factory.Factory):
    """The one way the tests make an order.

    By default through ``services.order_create``, so totals are what the app computes:
    ``lines`` are LineData tuples (product, quantity[, unit_price[, discount]]).

    Given ``total``, the order is written straight to the table instead, without lines, in any
    status (paid unless told) and with these base-currency figures: ``total``, ``cost`` (the
    cost of goods, 60% of the total unless given) and ``refunded``. The metrics tests make
    many purchases with exact figures this way."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SelfAttribute("customer.owner")
    number = ""
    ordered_on = dt.date(2026, 3, 1)
    currency = "USD"
    status = factory.LazyAttribute(
        lambda o: Order.Status.PLACED if o.total is None else Order.Status.PAID
    )
    note = ""
    lines = factory.LazyAttribute(lambda o: [(ProductFactory(), 1)] if o.total is None else None)
    total = None
    cost = None
    refunded = "0"

    @classmethod
    def _create(cls, model_class, *, total, cost, refunded, **kwargs):
        if total is None:
            if cost is not None or refunded != "0":
                raise TypeError("cost and refunded go with total=: an order written as given.")
            return services.order_create(**kwargs)
        return cls._stored(model_class, total=total, cost=cost, refunded=refunded, **kwargs)

    @classmethod
    def _stored(cls, model_class, *, total, cost, refunded, user, lines, number, **kwargs):
        total, refunded = Decimal(str(total)), Decimal(str(refunded))
        cost = (total * Decimal("0.6") if cost is None else Decimal(str(cost))).quantize(
            Decimal("0.01")
        )
        return model_class.objects.create(
            number=number or f"T-{next(_stored_numbers):06d}",
            customer_owner_id=kwargs["customer"].owner_id,
            subtotal=total,
            total=total,
            total_base=total,
            cost_total=cost,
            cost_base=cost,
            refunded_total=refunded,
            refunded_base=refunded,
            **kwargs,
        )


class CustomerCostFactory(factory.Factory):
    """Created through ``services.customer_cost_create``, which converts ``amount_base``."""

    class Meta:
        model = CustomerCost

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SelfAttribute("customer.owner")
    kind = CustomerCost.Kind.SERVICE
    incurred_on = dt.date(2026, 3, 1)
    amount = Decimal("50.00")
    currency = "USD"
    note = ""

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.customer_cost_create(**kwargs)
