"""Reads of orders, costs, products and rates. Orders and costs are reached only through
``customers.selectors.customers_visible_to``, so a rep never sees another rep's."""

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from core.pagination import Keyset
from core.types import AnyUser, User
from customers.models import Customer
from customers.selectors import (
    can_see_all_customers,
    customer_rows_visible_to,
    customers_visible_to,
)

from .models import CustomerCost, ExchangeRate, Order, OrderLine, Product

# Changes not worth showing in an order's history.
_HISTORY_HIDDEN = {"id", "created_at", "created_by"}


def orders_visible_to(user: AnyUser) -> QuerySet[Order]:
    """The orders of the customers ``user`` can see. For one owner's book, also by the owner
    copied onto the order (``Order.customer_owner``), whose indexes give a rep's list its
    order; the customer's visibility still decides, so a stale copy can only hide an order,
    never show another rep's."""
    if not user.is_authenticated or can_see_all_customers(user):
        # Everyone's orders as they are, with no semi-join to the customers: an order's
        # customer always exists (a foreign key), and the join was most of the list's SQL.
        return customer_rows_visible_to(Order.objects.all(), user)
    customers = customers_visible_to(user)
    # The customer checked per order by a subquery, not joined: PostgreSQL takes a join's two
    # owner conditions as independent, expects 25 of a rep's 50,000 orders, and then sorts
    # the whole book (310 ms at 1M) instead of walking the copy's index to the page's end.
    visible = customers.filter(pk=OuterRef("customer_id")).order_by().values("pk")[:1]
    return Order.objects.filter(customer_owner=user.pk, customer_id=Subquery(visible))


# Where lines_attach puts an order's lines.
LINE_LIST = "line_list"


def lines_attach(orders: Sequence[Order]) -> None:
    """Each order's lines, in the order they were added, as a plain list on
    ``order.line_list``, read in one query for a page of orders. Not Django's prefetch:
    it filters by the orders themselves and makes a related manager and a queryset for
    every order, three times what the lines' query costs (issue 14)."""
    lines: dict[int, list[OrderLine]] = {order.pk: [] for order in orders}
    if lines:
        for line in OrderLine.objects.filter(order_id__in=lines).order_by("id"):
            lines[line.order_id].append(line)
    for order in orders:
        setattr(order, LINE_LIST, lines[order.pk])


def costs_visible_to(user: AnyUser) -> QuerySet[CustomerCost]:
    """The costs logged against the customers ``user`` can see."""
    return customer_rows_visible_to(CustomerCost.objects.all(), user)


def order_list(
    *,
    user: AnyUser,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    customer: Customer | int | None = None,
    owner: User | int | None = None,
    search: str = "",
    statuses: Iterable[str] = (),
    customers: Iterable[int] = (),
    owners: Iterable[int] = (),
    total_min: Decimal | None = None,
    total_max: Decimal | None = None,
) -> QuerySet[Order]:
    """The orders of the customers ``user`` can see, filtered. The lists keep the orders
    whose status, customer or customer's owner is any of the values (another rep's ids find
    nothing); ``total_min``..``total_max`` is an inclusive range of the order's total."""
    qs = orders_visible_to(user).select_related("customer")
    for lookup, values in (
        ("status__in", statuses),
        ("customer_id__in", customers),
        ("customer__owner_id__in", owners),
    ):
        if values:
            qs = qs.filter(**{lookup: list(values)})
    if total_min is not None:
        qs = qs.filter(total__gte=total_min)
    if total_max is not None:
        qs = qs.filter(total__lte=total_max)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(ordered_on__gte=date_from)
    if date_to:
        qs = qs.filter(ordered_on__lte=date_to)
    if customer:
        qs = qs.filter(customer=customer)
    if owner and can_see_all_customers(user):
        qs = qs.filter(customer__owner=owner)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(number__iexact=search)
            | Q(customer__name__icontains=search)
            | Q(customer__external_id__iexact=search)
        )
    return qs.order_by("-ordered_on", "-id")


# The order list's sorts, each read in (key, id) order off an index (issue 14): the date
# and the total in the base currency (comparable across currencies), and the number,
# unique so its own index serves.
ORDER_LIST_SORTS = {"date": "ordered_on", "number": "number", "total": "total_base"}


def order_list_order(sort: str) -> Keyset:
    """The order list's order for a ``sort`` from a query string: an ORDER_LIST_SORTS key,
    "-" first for descending; anything else is newest first."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in ORDER_LIST_SORTS:
        name, descending = "date", True
    return Keyset(
        name=f"-{name}" if descending else name,
        key=ORDER_LIST_SORTS[name],
        descending=descending,
    )


def order_get(*, user: AnyUser, order_id: int) -> Order:
    """The order, or 404 when it does not exist or its customer is not visible."""
    return get_object_or_404(
        orders_visible_to(user).select_related("customer", "created_by"), pk=order_id
    )


def lines_of(order: Order) -> QuerySet[OrderLine]:
    return order.lines.select_related("product")


def _shown(record: Any, field: Any) -> Any:
    if field.is_relation:
        try:
            return getattr(record, field.name)
        except ObjectDoesNotExist:
            return getattr(record, field.attname)
    if field.choices:
        return getattr(record, f"get_{field.name}_display")()
    return getattr(record, field.attname)


def order_changes(order: Order, limit: int = 50) -> list[dict[str, Any]]:
    """The order's history, newest first: each record with its (label, old, new) changes.
    Compared field by field rather than with ``diff_against``, which skips the computed
    (non-editable) totals: a changed total is what readers look for."""
    records = list(order.history.select_related("history_user").order_by("-history_id")[:limit])
    fields = [f for f in Order.history.model.tracked_fields if f.name not in _HISTORY_HIDDEN]
    entries: list[dict[str, Any]] = []
    # An order written in bulk (the demo loader, an import) may have no history row at all.
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if previous is None and record.history_type != "+":
            previous = record.prev_record
        changes = [
            (field.verbose_name, _shown(previous, field), _shown(record, field))
            for field in fields
            if previous is not None
            and getattr(previous, field.attname) != getattr(record, field.attname)
        ]
        entries.append({"record": record, "changes": changes})
    return entries


def costs_of(customer: Customer) -> QuerySet[CustomerCost]:
    return CustomerCost.objects.filter(customer=customer).select_related("created_by")


def cost_get(*, user: AnyUser, cost_id: int) -> CustomerCost:
    return get_object_or_404(costs_visible_to(user).select_related("customer"), pk=cost_id)


def product_list(search: str = "", active: bool | None = None) -> QuerySet[Product]:
    qs = Product.objects.all()
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(sku__iexact=search))
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("name", "sku")


def products_for_order(order: Order | None = None) -> QuerySet[Product]:
    """Products a line may use: the active ones, plus those already on ``order`` so an
    edit can keep a product that has since been retired."""
    condition = Q(active=True)
    if order is not None and order.pk:
        condition |= Q(pk__in=order.lines.values("product_id"))
    return Product.objects.filter(condition).order_by("name", "sku")


def exchange_rate_list(currency: str = "") -> QuerySet[ExchangeRate]:
    qs = ExchangeRate.objects.all()
    if currency:
        qs = qs.filter(currency=currency.strip().upper())
    return qs.order_by("currency", "-valid_on")


def currencies_in_use() -> list[str]:
    return list(
        ExchangeRate.objects.order_by("currency").values_list("currency", flat=True).distinct()
    )
