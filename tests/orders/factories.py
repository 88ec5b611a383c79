import datetime as dt
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


class OrderFactory(factory.Factory):
    """Created through ``services.order_create``, so totals are what the app computes.
    ``lines`` are LineData tuples (product, quantity[, unit_price[, discount]])."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SelfAttribute("customer.owner")
    number = ""
    ordered_on = dt.date(2026, 3, 1)
    currency = "USD"
    status = Order.Status.PLACED
    note = ""
    lines = factory.LazyFunction(lambda: [(ProductFactory(), 1)])

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.order_create(**kwargs)


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
