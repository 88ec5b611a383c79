"""Writes of orders, customer costs, products and exchange rates. Each function is one
transaction and takes keyword arguments.

Each write checks itself that the acting ``user`` may do it: the model permission and,
for orders and costs, that their customer is one the user can see
(``customers.services.require_customer_access``); otherwise PermissionDenied, whoever the
caller (page, API, import, task). ``user=None`` is the system (tasks, commands, the app's
own bookkeeping; see ``core.services``).

Order money always comes from ``orders.totals``; the rate in force comes from
``orders.money`` and is frozen on the order when its totals are computed.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.bulk import ItemsInvalid
from core.formatting import format_money
from core.services import check_fields, require_permission
from core.types import Actor
from customers.models import Customer
from customers.services import require_customer_access

from . import summary, totals
from .models import (
    CustomerCost,
    CustomerDay,
    ExchangeRate,
    Order,
    OrderLine,
    Product,
    base_currency,
)
from .money import no_rate, rate_on, rates_on, to_base
from .numbering import order_number

Status = Order.Status
# Customers per statement of ``order_owners_follow``: below SQLite's limit of parameters.
FOLLOW_BATCH = 500
# {(currency, date): rate}, loaded for many orders at once (orders.money.rates_on).
Rates = Mapping[tuple[str, date], Decimal]

# Where each status may go next; a status missing here is final.
TRANSITIONS: dict[str, set[Status]] = {
    Status.DRAFT: {Status.PLACED, Status.CANCELLED},
    Status.PLACED: {Status.PAID, Status.CANCELLED},
    Status.PAID: {Status.REFUNDED},
}
INITIAL_STATUSES = [Status.DRAFT, Status.PLACED, Status.PAID]
FINAL_STATUSES = {Status.CANCELLED, Status.REFUNDED}
# What a caller may set on a product.
PRODUCT_FIELDS = frozenset({"sku", "name", "list_price", "unit_cost", "active"})
# Computed by the service from the lines; never taken from the caller.
_COMPUTED_FIELDS = [
    "exchange_rate",
    "subtotal",
    "discount_total",
    "total",
    "cost_total",
    "total_base",
    "cost_base",
    "refunded_base",
]


class LineData(NamedTuple):
    """One requested order line; ``unit_price`` None means the product's list price."""

    product: Product
    quantity: int
    unit_price: Decimal | None = None
    discount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Preview:
    """Totals an order would have. ``rate`` is None (and ``errors`` says why) when the
    currency has no rate on the date, so only the order-currency totals are meaningful."""

    currency: str
    totals: totals.OrderTotals | None
    rate: Decimal | None
    errors: list[str]


def can_edit(order: Order) -> bool:
    return order.status not in FINAL_STATUSES


def next_statuses(order: Order) -> list[Status]:
    return [status for status in Status if status in TRANSITIONS.get(order.status, ())]


def _priced_lines(
    lines: Iterable[Sequence[Any]],
    frozen_costs: Mapping[int, Decimal] | None = None,
    rate: Decimal = Decimal("1"),
    products_checked: bool = False,
) -> list[OrderLine]:
    """Unsaved OrderLines for ``lines``: list price by default, unit cost copied from the
    product now, so later catalogue changes do not rewrite past orders. The catalogue is in
    the base currency: an order in another currency gets both at ``rate`` (base units per
    unit of its currency). ``frozen_costs`` ({product id: unit cost}) keeps the cost a
    product had when it joined an order being edited. ``products_checked``: the caller
    loaded the products (a bulk create, all at once), so none is looked up again."""
    frozen_costs = frozen_costs or {}
    requested = [LineData(*line) for line in lines]
    if not requested:
        raise ValidationError(_("An order needs at least one line."), code="no_lines")
    priced: list[OrderLine] = []
    errors: list[str] = []
    for number, line in enumerate(requested, start=1):
        if line.product is None:
            errors.append(_("Line %(number)s: choose a product.") % {"number": number})
            continue
        order_line = OrderLine(
            product=line.product,
            quantity=line.quantity,
            unit_price=(
                totals.from_base(line.product.list_price, rate)
                if line.unit_price is None
                else line.unit_price
            ),
            unit_cost=frozen_costs.get(
                line.product.pk, totals.from_base(line.product.unit_cost, rate)
            ),
            discount=line.discount or Decimal("0"),
        )
        problems = totals.validate_line(order_line)
        if not problems:
            try:
                order_line.clean_fields(
                    exclude=["order", "product"] if products_checked else ["order"]
                )
            except ValidationError as exc:
                problems = exc.messages
        errors.extend(
            _("Line %(number)s: %(problem)s") % {"number": number, "problem": problem}
            for problem in problems
        )
        priced.append(order_line)
    if errors:
        raise ValidationError(errors)
    return priced


def _rate(*, currency: str, on: date, rates: Rates | None = None) -> Decimal:
    try:
        if rates is None:
            return rate_on(currency=currency, on=on)
        if (currency, on) not in rates:
            raise no_rate(currency=currency, on=on)
        return rates[currency, on]
    except ValidationError as exc:
        raise ValidationError({"currency": exc.error_list}) from exc


def _number_taken(number: str) -> ValidationError:
    return ValidationError(
        {
            "number": _("Order number %(number)s is already taken; choose another.")
            % {"number": number}
        }
    )


def _check_number_free(order: Order) -> None:
    if Order.objects.filter(number=order.number).exclude(pk=order.pk).exists():
        raise _number_taken(order.number)


def _frozen_costs(order: Order | None, currency: str) -> dict[int, Decimal]:
    """Costs stay frozen while the order keeps its currency; a new currency reprices them."""
    if order is None or order.pk is None or order.currency != currency:
        return {}
    return dict(order.lines.values_list("product_id", "unit_cost"))


def _price(
    order: Order,
    *,
    customer: Customer,
    number: str | None,
    ordered_on: date,
    currency: str,
    note: str | None,
    lines: Iterable[Sequence[Any]],
    rates: Rates | None = None,
) -> list[OrderLine]:
    """Set the order's fields and its totals from ``lines``; returns the unsaved lines.

    ``rates`` comes from a bulk create (``orders_create_bulk``), which loaded the rates,
    the customers, the creator and the products of all its orders at once and checks the
    numbers itself: then nothing is looked up again, order by order. Nor are the table's
    check constraints run as a query each: the totals of valid lines are not negative,
    nothing is refunded yet and every rate is positive, and the table still enforces them."""
    frozen_costs = _frozen_costs(order, currency)
    batch = rates is not None
    loaded = ["customer", "created_by"] if batch else []
    order.customer = customer
    order.number = (number or "").strip()
    order.ordered_on = ordered_on
    order.currency = currency
    order.note = note or ""
    # Field formats first, so a malformed currency is reported as such, not as a missing rate.
    order.clean_fields(exclude=[*_COMPUTED_FIELDS, *([] if order.number else ["number"]), *loaded])
    rate = _rate(currency=currency, on=ordered_on, rates=rates)
    order_lines = _priced_lines(lines, frozen_costs, rate, products_checked=batch)
    result = totals.order_totals(order_lines, rate)
    if order.refunded_total > result.total:
        raise ValidationError(
            _("The new total is below the %(amount)s already refunded.")
            % {"amount": format_money(order.refunded_total, currency)}
        )
    order.exchange_rate = rate
    order.subtotal = result.subtotal
    order.discount_total = result.discount_total
    order.total = result.total
    order.cost_total = result.cost_total
    order.total_base = result.total_base
    order.cost_base = result.cost_base
    order.refunded_base = totals.convert(order.refunded_total, rate)
    if batch:
        # The other fields were checked above and have not changed since: a thousand
        # orders' fields are not validated twice.
        order.clean_fields(
            exclude=[f.name for f in Order._meta.fields if f.name not in _COMPUTED_FIELDS]
        )
        order.clean()
        return order_lines
    order.full_clean(exclude=[] if order.number else ["number"], validate_unique=False)
    if order.number:
        _check_number_free(order)
    return order_lines


def _save(order: Order) -> None:
    """Save, turning a lost race for the number into the same message as the check."""
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        if order.number and Order.objects.filter(number=order.number).exists():
            _check_number_free(order)
        raise


def _next_order_id() -> int | None:
    """The id the next order gets: drawn from its table's sequence on PostgreSQL (no other
    transaction is given the same one, committed or not); on SQLite the one its
    AUTOINCREMENT would give (the highest ever given + 1: one writer at a time); None
    elsewhere."""
    table = Order._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            return int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            given = "(SELECT seq FROM sqlite_sequence WHERE name = %s)"
            highest = f"(SELECT MAX(id) FROM {table})"  # noqa: S608 (our own table)
            cursor.execute(f"SELECT MAX(COALESCE({given}, 0), COALESCE({highest}, 0)) + 1", [table])
            return int(cursor.fetchone()[0])
    return None


def _save_with_generated_number(order: Order) -> None:
    """Number a new order SO-<its id>. On PostgreSQL the id is drawn first, so concurrent
    orders never pick the same number: with the highest id + 1, each waited on the unique
    number for the other's transaction to end, then moved on (issue 14: five orders at
    once through the API took 0.87 s each, most of it that wait). On SQLite the id
    AUTOINCREMENT would give, set here; elsewhere the highest id + 1. A number typed by
    hand that is taken already, or a lost race, moves on to the next free one."""
    drawn = _next_order_id()
    if drawn is not None:
        order.pk = drawn
    candidate = drawn or (Order.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    while True:
        order.number = order_number(candidate)
        if not Order.objects.filter(number=order.number).exists():
            try:
                with transaction.atomic():
                    order.save(force_insert=True)
                return
            except IntegrityError:
                if not Order.objects.filter(number=order.number).exists():
                    raise
        candidate += 1


def _save_lines(order: Order, order_lines: list[OrderLine]) -> None:
    for line in order_lines:
        line.order = order
    OrderLine.objects.bulk_create(order_lines)


def customer_owners_locked(*, customer_ids: Iterable[int]) -> dict[int, int | None]:
    """The owners of these customers, for the copy on their orders (``Order.customer_owner``),
    their rows locked until the caller's transaction ends. A change of owner locks the row
    too and then copies the owner onto the customer's orders (``receivers.customer_saved``,
    ``order_owners_follow``): an order written meanwhile waits for it here and reads the new
    owner, or has committed before the change's copy reads the orders. Locked in id order,
    as the purchase summary locks them (``summary.refresh_customers``), and before any order
    row: the order in which a change of owner takes them, so the two never deadlock."""
    locked = (
        Customer.objects.filter(pk__in=sorted(set(customer_ids)))
        .order_by("pk")
        .select_for_update(no_key=True)
    )
    return dict(locked.values_list("pk", "owner_id"))


def _locked(order: Order, *, customer: Customer | None = None) -> Order:
    """The order, locked, after its customer (and ``customer``, the one it moves to):
    its owner copy set to that customer's owner, read under the lock
    (``customer_owners_locked``), so saving it also mends a copy gone stale."""
    target = order.customer_id if customer is None else customer.pk
    owners = customer_owners_locked(customer_ids=[order.customer_id, target])
    locked = Order.objects.select_for_update().get(pk=order.pk)
    locked.customer_owner_id = owners.get(target)
    return locked


def order_owners_follow(customer_ids: Iterable[int]) -> None:
    """Copy these customers' owner onto their orders and purchase summary rows
    (``Order.customer_owner``, ``CustomerDay.customer_owner``), in the caller's
    transaction: a bulk write that changed owners calls it once, as the post_save receiver
    does for one customer. The caller's write locked the customers' rows."""
    ids = sorted(set(customer_ids))
    owner = Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("owner_id")[:1])
    for start in range(0, len(ids), FOLLOW_BATCH):
        batch = ids[start : start + FOLLOW_BATCH]
        for model in (Order, CustomerDay):
            model.objects.filter(customer_id__in=batch).update(customer_owner=owner)


def order_preview(
    *, currency: str, ordered_on: date, lines: Iterable[Sequence[Any]], order: Order | None = None
) -> Preview:
    """The totals ``order_create`` (or ``order_update`` of ``order``) would compute, without
    writing anything."""
    preview = partial(Preview, currency=currency)
    try:
        rate = rate_on(currency=currency, on=ordered_on)
    except ValidationError as exc:
        rate, rate_errors = None, exc.messages
    else:
        rate_errors = []
    try:
        order_lines = _priced_lines(lines, _frozen_costs(order, currency), rate or Decimal("1"))
    except ValidationError as exc:
        return preview(totals=None, rate=None, errors=exc.messages + rate_errors)
    if rate is None:
        return preview(totals=totals.order_totals(order_lines), rate=None, errors=rate_errors)
    return preview(totals=totals.order_totals(order_lines, rate), rate=rate, errors=[])


def _check_initial_status(status: str) -> None:
    if status not in INITIAL_STATUSES:
        raise ValidationError(
            {
                "status": _("A new order is a draft, placed or paid; not %(status)s.")
                % {"status": status}
            }
        )


@transaction.atomic
def order_create(
    *,
    user: Actor,
    customer: Customer,
    ordered_on: date,
    lines: Iterable[Sequence[Any]],
    number: str = "",
    currency: str | None = None,
    status: str = Status.PLACED,
    note: str = "",
) -> Order:
    """Create an order with its lines. ``number`` empty: the next SO-number is used."""
    require_customer_access(user=user, customers=[customer], permission="orders.add_order")
    owners = customer_owners_locked(customer_ids=[customer.pk])
    order, order_lines = _priced_order(
        user=user,
        rates=None,
        customer=customer,
        ordered_on=ordered_on,
        lines=lines,
        number=number,
        currency=currency,
        status=status,
        note=note,
    )
    order.customer_owner_id = owners.get(customer.pk)
    order._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    if order.number:
        _save(order)
    else:
        _save_with_generated_number(order)
    _save_lines(order, order_lines)
    return order


# Rows per INSERT of a bulk create: all of a 1,000-order request's in one statement each.
BULK_BATCH = 1000
# Tries to number a bulk create when concurrent creates take its numbers meanwhile.
BULK_NUMBERING_ATTEMPTS = 5


@transaction.atomic
def orders_create_bulk(*, user: Actor, orders: Sequence[Mapping[str, Any]]) -> list[Order]:
    """Create ``orders`` (each the keyword arguments of ``order_create``), all or nothing,
    as creating them one by one would: the same checks, numbers, totals, frozen rates and
    costs, and history rows. In a fixed number of queries, whatever the number of orders:
    access to the customers, the rates, the numbers taken, the numbering, the orders, their
    history and their lines are one query each (the caller loaded the customers and the
    products, for all orders at once). Returns the orders, saved, in the order given.

    Every order is checked before anything is written; ItemsInvalid lists each invalid
    one by index. The customers' purchase summary (``orders.summary``) is refreshed here;
    bulk inserts send no ``post_save``, so the caller marks the customers for
    recalculation and records the events, as imports do.
    """
    require_customer_access(
        user=user,
        customers=[fields["customer"] for fields in orders],
        permission="orders.add_order",
    )
    rates = rates_on(
        pairs={
            (fields.get("currency") or base_currency(), fields["ordered_on"]) for fields in orders
        }
    )
    owners = customer_owners_locked(customer_ids=[fields["customer"].pk for fields in orders])
    given = [(fields.get("number") or "").strip() for fields in orders]
    taken = _numbers_taken({number for number in given if number})
    errors: dict[int, ValidationError] = {}
    priced: list[tuple[Order, list[OrderLine]]] = []
    for index, fields in enumerate(orders):
        try:
            order, order_lines = _priced_order(user=user, rates=rates, **fields)
            order.customer_owner_id = owners.get(order.customer_id)
            if order.number in taken:
                raise _number_taken(order.number)
        except ValidationError as exc:
            errors[index] = exc
            continue
        if order.number:
            # A later order of the batch with the same number finds it taken, as one by one.
            taken.add(order.number)
        priced.append((order, order_lines))
    if errors:
        raise ItemsInvalid(errors)
    created = _bulk_insert(user=user, orders=[order for order, _lines in priced], given=given)
    all_lines = []
    for order, order_lines in priced:
        for line in order_lines:
            line.order = order
        all_lines += order_lines
    OrderLine.objects.bulk_create(all_lines, batch_size=BULK_BATCH)
    # What the post_save receiver does for one order, once for the batch's customers.
    summary.refresh_customers(order.customer_id for order in created)
    return created


def _priced_order(
    *,
    user: Actor,
    rates: Rates | None,
    customer: Customer,
    ordered_on: date,
    lines: Iterable[Sequence[Any]],
    number: str = "",
    currency: str | None = None,
    status: str = Status.PLACED,
    note: str = "",
) -> tuple[Order, list[OrderLine]]:
    """What ``order_create`` checks and computes before saving; a bulk create passes the
    batch's ``rates`` (read once), a single create None (read for the order)."""
    _check_initial_status(status)
    order = Order(status=status, created_by=user)
    order_lines = _price(
        order,
        customer=customer,
        number=number,
        ordered_on=ordered_on,
        currency=currency or base_currency(),
        note=note,
        lines=lines,
        rates=rates,
    )
    return order, order_lines


def _numbers_taken(numbers: Iterable[str]) -> set[str]:
    return set(Order.objects.filter(number__in=list(numbers)).values_list("number", flat=True))


def _generated_numbers(count: int, *, positions: Sequence[int], reserved: set[str]) -> list[str]:
    """SO-numbers for the orders of a batch of ``count`` that come without one, at these
    ``positions``, as one by one would give them: the order at position i gets SO-<last id +
    1 + i>, or the next number after it that is neither in the table nor ``reserved`` (given
    to another order of the batch). The free numbers are found with one query."""
    start = (Order.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    checked_to, taken = start, set(reserved)
    numbers: list[str] = []
    candidate = start
    for position in positions:
        candidate = max(candidate, start + position)
        while True:
            if candidate >= checked_to:
                # Room for the whole batch and as many numbers taken again; rarely more.
                block = [order_number(n) for n in range(candidate, candidate + 2 * count)]
                taken |= _numbers_taken(block)
                checked_to = candidate + 2 * count
            if order_number(candidate) not in taken:
                break
            candidate += 1
        numbers.append(order_number(candidate))
        candidate += 1
    return numbers


def _bulk_insert(*, user: Actor, orders: list[Order], given: list[str]) -> list[Order]:
    """Number the orders that have no number yet and insert them with their history rows.
    A concurrent create may take a number between the numbering and the insert: the unique
    constraint refuses the batch, which is numbered again (a number given by the caller and
    now taken is that order's error, as ``order_create`` reports it)."""
    positions = [index for index, number in enumerate(given) if not number]
    unnumbered = [orders[index] for index in positions]
    reserved = {number for number in given if number}
    attempts = 0
    while True:
        attempts += 1
        numbers = _generated_numbers(len(given), positions=positions, reserved=reserved)
        for order, number in zip(unnumbered, numbers, strict=True):
            order.number = number
        try:
            with transaction.atomic():
                return bulk_create_with_history(
                    orders, Order, batch_size=BULK_BATCH, default_user=user
                )
        except IntegrityError:
            lost = _numbers_taken(reserved)
            if lost:
                raise ItemsInvalid(
                    {
                        index: _number_taken(number)
                        for index, number in enumerate(given)
                        if number in lost
                    }
                ) from None
            if attempts == BULK_NUMBERING_ATTEMPTS:
                raise


@transaction.atomic
def order_update(
    *,
    user: Actor,
    order: Order,
    customer: Customer,
    number: str,
    ordered_on: date,
    currency: str,
    lines: Iterable[Sequence[Any]],
    note: str = "",
) -> Order:
    """Replace the order's fields and lines and recompute its totals at the rate of its
    (possibly new) date."""
    require_customer_access(
        user=user, customers=[order.customer, customer], permission="orders.change_order"
    )
    order = _locked(order, customer=customer)
    if not can_edit(order):
        raise ValidationError(
            _("A %(status)s order cannot be edited.") % {"status": order.get_status_display()}
        )
    previous_customer = order.customer_id
    order_lines = _price(
        order,
        customer=customer,
        number=number or order.number,
        ordered_on=ordered_on,
        currency=currency,
        note=note,
        lines=lines,
    )
    order._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    _save(order)
    if order.customer_id != previous_customer:
        # Saving the order refreshed the new customer's purchase summary (a receiver).
        summary.refresh_customers([previous_customer])
    order.lines.all().delete()
    _save_lines(order, order_lines)
    return order


@transaction.atomic
def order_set_status(*, user: Actor, order: Order, status: str) -> Order:
    """Move the order along its life cycle (see TRANSITIONS). Refunding in full refunds the
    whole total; cancelling keeps the order, which then no longer counts."""
    require_customer_access(user=user, customers=[order.customer], permission="orders.change_order")
    order = _locked(order)
    if status not in TRANSITIONS.get(order.status, ()):
        raise ValidationError(
            _("An order cannot go from %(old)s to %(new)s.")
            % {
                "old": order.get_status_display(),
                "new": Status(status).label if status in Status.values else status,
            },
            code="invalid_transition",
        )
    if status == Status.REFUNDED:
        order.refunded_total, order.refunded_base = order.total, order.total_base
    order.status = status
    order._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    order.save()
    return order


@transaction.atomic
def order_refund(*, user: Actor, order: Order, amount: Decimal) -> Order:
    """Refund part of a paid order; it turns refunded when the refunds reach its total."""
    require_customer_access(user=user, customers=[order.customer], permission="orders.change_order")
    order = _locked(order)
    if order.status != Status.PAID:
        raise ValidationError(_("Only a paid order can be refunded."))
    amount = totals.to_cents(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A refund must be more than zero.")})
    left = order.total - order.refunded_total
    if amount > left:
        raise ValidationError(
            {
                "amount": _("At most %(amount)s is left to refund.")
                % {"amount": format_money(left, order.currency)}
            }
        )
    order.refunded_total, order.refunded_base = totals.refunded_after(
        refunded_total=order.refunded_total, amount=amount, rate=order.exchange_rate
    )
    if order.refunded_total == order.total:
        order.status = Status.REFUNDED
    order._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    order.save()
    return order


@transaction.atomic
def customer_cost_create(
    *,
    user: Actor,
    customer: Customer,
    incurred_on: date,
    amount: Decimal,
    currency: str | None = None,
    kind: str,
    note: str = "",
) -> CustomerCost:
    require_customer_access(user=user, customers=[customer], permission="orders.add_customercost")
    cost = CustomerCost(
        customer=customer,
        kind=kind,
        incurred_on=incurred_on,
        amount=amount,
        currency=currency or base_currency(),
        note=note,
        created_by=user,
    )
    cost.clean_fields(exclude=["amount_base"])
    try:
        cost.amount_base = to_base(amount=amount, currency=cost.currency, on=incurred_on)
    except ValidationError as exc:
        raise ValidationError({"currency": exc.error_list}) from exc
    cost.full_clean()
    cost.save()
    return cost


@transaction.atomic
def customer_cost_delete(*, user: Actor, cost: CustomerCost) -> None:
    require_customer_access(
        user=user, customers=[cost.customer], permission="orders.delete_customercost"
    )
    cost.delete()


@transaction.atomic
def product_create(*, user: Actor, **fields: Any) -> Product:
    """A catalogue product from the PRODUCT_FIELDS given."""
    check_fields(fields, PRODUCT_FIELDS, service="product_create")
    require_permission(user, "orders.add_product")
    product = Product(**fields)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_update(*, user: Actor, product: Product, **fields: Any) -> Product:
    """Change the PRODUCT_FIELDS given."""
    check_fields(fields, PRODUCT_FIELDS, service="product_update")
    require_permission(user, "orders.change_product")
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    return product


def _check_rate(exchange_rate: ExchangeRate) -> None:
    errors: dict[str, str] = {}
    if exchange_rate.currency == base_currency():
        errors["currency"] = _("%(currency)s is the base currency; its rate is always 1.") % {
            "currency": exchange_rate.currency
        }
    if exchange_rate.rate is not None and exchange_rate.rate <= 0:
        errors["rate"] = _("A rate must be more than zero.")
    if errors:
        raise ValidationError(errors)
    exchange_rate.full_clean()


@transaction.atomic
def exchange_rate_set(*, user: Actor, currency: str, valid_on: date, rate: Decimal) -> ExchangeRate:
    """Set the rate of ``currency`` from ``valid_on`` on, replacing one set for that day.
    Orders keep the rate frozen on them until they are edited."""
    require_permission(user, "orders.add_exchangerate", "orders.change_exchangerate")
    exchange_rate = ExchangeRate.objects.select_for_update().filter(
        currency=currency, valid_on=valid_on
    ).first() or ExchangeRate(currency=currency, valid_on=valid_on)
    exchange_rate.rate = rate
    _check_rate(exchange_rate)
    exchange_rate.save()
    return exchange_rate


@transaction.atomic
def exchange_rate_update(
    *, user: Actor, exchange_rate: ExchangeRate, currency: str, valid_on: date, rate: Decimal
) -> ExchangeRate:
    require_permission(user, "orders.change_exchangerate")
    exchange_rate.currency, exchange_rate.valid_on, exchange_rate.rate = currency, valid_on, rate
    _check_rate(exchange_rate)
    exchange_rate.save()
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, user: Actor, exchange_rate: ExchangeRate) -> None:
    require_permission(user, "orders.delete_exchangerate")
    exchange_rate.delete()
