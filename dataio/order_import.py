"""Orders from a CSV file: one row per order (a total) or one row per order line (a SKU).

- One row per order: the order gets a single line of the product "IMPORTED" (created on
  demand, inactive, cost 0) with the file's quantity (else 1) that comes to the file's
  total, or to quantity * unit price - discount (``_imported_line``), so every order
  still has lines and its totals come from ``orders.totals`` like any other order.
- One row per line: consecutive rows with the same order number are the lines of one
  order and must agree on customer, date, currency and status.
- Without an order number, a row is an order of its own, numbered with a deterministic
  key (see ``order_key``), so re-importing the file finds the same orders again.

An order number already in the CRM updates that order when its date, currency, status
or lines differ, and is "unchanged" otherwise. The rate is the one in force on the order
date (``orders.money.rate_on``), looked up once per currency and date.
"""

import hashlib
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.services import SYSTEM
from customers.models import Customer
from metrics.services import customers_mark_dirty
from orders import services as order_services
from orders import summary, totals
from orders.models import CustomerDay, Order, OrderLine, Product
from orders.money import rate_on

from . import cells
from .columns import ORDER_FIELDS, is_line_file
from .engine import Importer, Row

IMPORTED_SKU = "IMPORTED"
# Rows of one order must agree on these.
_ORDER_FIELDS = ("customer_external_id", "ordered_on", "currency", "status")
_NUMBER_LENGTH = Order._meta.get_field("number").max_length
_LABELS = {f.name: f.label for f in ORDER_FIELDS}
_BATCH = 500
# What an external id resolves to when it is not a customer the user may import for.
_HIDDEN = object()
_MISSING = object()


# The stored field each number of a row goes to (a total becomes a line's unit price).
_LINE_FIELDS = {
    name: OrderLine._meta.get_field(stored)
    for name, stored in {
        "total": "unit_price",
        "unit_price": "unit_price",
        "discount": "discount",
        "quantity": "quantity",
    }.items()
}
_TOTAL_FIELDS = ("subtotal", "discount_total", "total", "cost_total", "total_base", "cost_base")


def _fits(model_field, value):
    """``value`` when its column can store it (a quantity of 99999999999999999999 cannot),
    checked with the field's own validators, as the order service does; else a CellError."""
    try:
        model_field.run_validators(value)
    except ValidationError as exc:
        raise cells.CellError(" ".join(exc.messages)) from None
    return value


def order_key(fingerprint, occurrence):
    """The number of an order that has none in the file: "IMP-" and 16 hex digits of the
    SHA-256 of the row's fingerprint and how many identical rows came before it."""
    digest = hashlib.sha256(f"{fingerprint}|{occurrence}".encode()).hexdigest()
    return f"IMP-{digest[:16]}"


def fingerprint(values, *, line_file):
    """What identifies an order row without a number, normalised: customer external id,
    ISO date, and the total (in cents) or the SKU and quantity."""
    parts = [values["customer_external_id"], values["ordered_on"].isoformat()]
    if line_file:
        parts += [values["sku"], str(values["quantity"])]
    else:
        parts.append(str(totals.to_cents(values["total"])))
    return "|".join(parts)


class OrderImporter(Importer):
    filled_models = (
        Order,
        Order.history.model,
        OrderLine,
        Customer,  # customers created for unknown external ids
        Customer.history.model,
        CustomerDay,  # the purchase summary of the orders' customers
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.line_file = is_line_file(self.mapping)
        self.seen = {}  # order number -> line of its first row
        self.occurrences = Counter()  # fingerprint digest -> identical rows so far
        self.customers = {}  # external id -> id, new Customer, _HIDDEN or _MISSING
        self.products = {}  # sku -> Product or None
        self.rates = {}  # (currency, date) -> (rate, None) or (None, error message)
        self.imported_product = None
        self.report.preview_columns = [
            str(_LABELS["number"]),
            str(_LABELS["customer_external_id"]),
            str(_LABELS["ordered_on"]),
            str(_LABELS["currency"]),
            _("Lines"),
            str(_LABELS["total"]),
        ]

    # --- reading ------------------------------------------------------------------------

    def parse(self, line, row_cells):
        row = Row(line)
        for name, value in self.cells_of(row_cells).items():
            try:
                row.values[name] = self._value(name, value)
            except cells.CellError as exc:
                row.error(name, exc)
        required = ["customer_external_id", "ordered_on"]
        if self.line_file:
            required += ["sku", "quantity"]
        else:
            required.append("total" if "total" in self.mapping else "unit_price")
        failed = {name for name, _message in row.errors}
        for name in required:
            if name not in row.values and name not in failed:
                row.error(name, _("%(field)s is empty.") % {"field": _LABELS[name]})
        if not self.line_file and not row.errors and "total" not in row.values:
            self._total_from_unit_price(row)
        number = row.values.get("number")
        if number:
            row.group = number
        elif not row.errors:
            row.values["number"] = self._key(row.values)
        return row

    def _value(self, name, value):
        if name == "ordered_on":
            return self.parse_date(value)
        if name in ("total", "unit_price", "discount"):
            return _fits(_LINE_FIELDS[name], cells.parse_amount(value))
        if name == "quantity":
            return _fits(_LINE_FIELDS[name], cells.parse_quantity(value))
        if name == "currency":
            return cells.parse_currency(value)
        if name == "status":
            return cells.parse_choice(value, Order.Status.choices)
        if name == "number" and len(value) > _NUMBER_LENGTH:
            raise cells.CellError(
                _("An order number has at most %(length)s characters.") % {"length": _NUMBER_LENGTH}
            )
        return value

    def _total_from_unit_price(self, row):
        """An order file priced by unit: its total is quantity * unit price - discount."""
        line = totals.LineInput(
            quantity=row.values.get("quantity", 1),
            unit_price=row.values["unit_price"],
            unit_cost=Decimal("0"),
            discount=row.values.get("discount", Decimal("0")),
        )
        for message in totals.validate_line(line):
            row.error("discount", message)
        if not row.errors:
            row.values["total"] = totals.line_total(line)

    def _key(self, values):
        text = fingerprint(values, line_file=self.line_file)
        digest = hashlib.sha256(text.encode()).digest()[:16]
        occurrence = self.occurrences[digest]
        self.occurrences[digest] += 1
        return order_key(text, occurrence)

    # --- checking -----------------------------------------------------------------------

    def process(self, units, write):
        for unit in units:
            self._check_unit(unit)
        units = [unit for unit in units if not self._failed(unit)]
        numbers = {unit[0].values["number"] for unit in units}
        self._load_customers({unit[0].values["customer_external_id"] for unit in units})
        self._load_products(
            {row.values["sku"] for unit in units for row in unit} if self.line_file else ()
        )
        existing = {order.number: order for order in self.scope.orders().filter(number__in=numbers)}
        hidden = set()
        if numbers - existing.keys():
            hidden = set(
                Order.objects.filter(number__in=numbers - existing.keys()).values_list(
                    "number", flat=True
                )
            )
        existing_lines = self._existing_lines(existing.values())
        new_customers, creates, updates = [], [], []
        for unit in units:
            planned = self._plan(unit, existing, hidden, existing_lines, new_customers)
            if planned is None:
                self.report.reject([row for row in unit if row.errors])
                continue
            action, order, lines = planned
            self.report.count(action)
            if self.report.wants_preview:
                self.report.add_preview(unit[0].line, action, self._preview(unit[0], order, lines))
            if action == "created":
                creates.append((order, lines))
            elif action == "updated":
                updates.append((order, lines))
        if self.writing(write):
            self._write(new_customers, creates, updates)

    def _failed(self, unit):
        if any(row.errors for row in unit):
            self.report.reject([row for row in unit if row.errors])
            return True
        return False

    def _check_unit(self, unit):
        """Errors of rows against each other: duplicates, and lines that disagree."""
        first = unit[0]
        if first.errors and first.group is None:
            return
        number = first.values.get("number")
        seen_on = self.seen.setdefault(number, first.line) if number else first.line
        if seen_on != first.line:
            for row in unit:
                row.error(
                    "number",
                    _("Order %(number)s appears again (first on row %(row)s): a duplicate.")
                    % {"number": number, "row": seen_on},
                )
            return
        if not self.line_file:
            for row in unit[1:]:
                row.error(
                    "number",
                    _("Order %(number)s appears more than once (first on row %(row)s).")
                    % {"number": number, "row": first.line},
                )
            return
        lines_seen = {}
        for row in unit[1:]:
            for name in _ORDER_FIELDS:
                if row.values.get(name) != first.values.get(name):
                    row.error(
                        name,
                        _("Lines of order %(number)s disagree on %(field)s (see row %(row)s).")
                        % {"number": number, "field": _LABELS[name], "row": first.line},
                    )
        for row in unit:
            line_key = tuple(
                row.values.get(n) for n in ("sku", "quantity", "unit_price", "discount")
            )
            same_as = lines_seen.setdefault(line_key, row.line)
            if same_as != row.line:
                row.error(
                    "sku",
                    _("The same line as row %(row)s: a duplicate row.") % {"row": same_as},
                )

    def _plan(self, unit, existing, hidden, existing_lines, new_customers):
        """(action, unsaved or changed order, unsaved lines), or None when the order
        fails (its rows then carry the errors)."""
        first = unit[0]
        values = first.values
        number = values["number"]
        customer, problem = self._customer(first, new_customers)
        if problem:
            self._order_error(unit, "customer_external_id", problem)
        order = existing.get(number)
        if number in hidden:
            self._order_error(
                unit,
                "number",
                _("Order %(number)s belongs to a customer you do not own.") % {"number": number},
            )
        elif (
            order is not None
            and customer is not None
            and order.customer_id != getattr(customer, "pk", customer)
        ):
            self._order_error(
                unit,
                "customer_external_id",
                _("Order %(number)s is already recorded for another customer.")
                % {"number": number},
            )
        currency = values.get(
            "currency", order.currency if order is not None else settings.CRM_BASE_CURRENCY
        )
        lines, file_prices = self._lines(unit, currency)
        if any(row.errors for row in unit):
            return None
        unchanged = order is not None and self._unchanged(
            order, values, existing_lines.get(order.pk, []), lines, file_prices
        )
        if unchanged:
            return "unchanged", order, lines
        if values.get("status") == Order.Status.REFUNDED:
            # Refunds are amounts recorded on the order page; a file can only repeat them.
            self._order_error(
                unit,
                "status",
                _("Import a refunded order as paid and record the refund on the order page."),
            )
            return None
        if order is None:
            order = Order(
                number=number,
                status=values.get("status", Order.Status.PAID),
                ordered_on=values["ordered_on"],
                currency=values.get("currency", settings.CRM_BASE_CURRENCY),
                created_by=self.scope.user,
            )
            if isinstance(customer, Customer):
                # Unsaved until the batch is written; bulk_create then picks up its id.
                order.customer = customer
            else:
                order.customer_id = customer
            action = "created"
        else:
            problem = self._locked_problem(order)
            if problem:
                self._order_error(unit, "number", problem)
                return None
            order.ordered_on = values["ordered_on"]
            order.status = values.get("status", order.status)
            order.currency = values.get("currency", order.currency)
            action = "updated"
        self._price(unit, order, lines)
        if first.errors:
            return None
        return action, order, lines

    def _locked_problem(self, order):
        """Why an import may not change this order, if it may not."""
        if not order_services.can_edit(order):
            return _("Order %(number)s is %(status)s; an import cannot change it.") % {
                "number": order.number,
                "status": order.get_status_display().lower(),
            }
        if order.refunded_total:
            return _(
                "Order %(number)s has a refund recorded; change it on the order page, not by "
                "import."
            ) % {"number": order.number}
        return None

    def _order_error(self, unit, field_name, message):
        for row in unit:
            row.error(field_name, message)

    def _customer(self, row, new_customers):
        """(customer id or a Customer this import creates, None) or (None, the problem)."""
        external_id = row.values["customer_external_id"]
        found = self.customers[external_id]
        if found is _HIDDEN:
            return None, _(
                "Customer %(id)s belongs to another owner; you can import orders only for "
                "your own customers."
            ) % {"id": external_id}
        if found is not _MISSING:
            return found, None
        if not self.options.create_customers:
            return None, _(
                "There is no customer with external id %(id)s. Import the customers first, "
                "or choose “Create unknown customers”."
            ) % {"id": external_id}
        customer = Customer(
            external_id=external_id,
            name=row.values.get("customer_name") or external_id,
            kind=self.options.new_customer_kind,
            status=Customer.Status.ACTIVE,
            owner=self.scope.user,
        )
        try:
            customer.full_clean(
                exclude=["owner", "acquired_by_campaign", "referred_by"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            return None, " ".join(exc.messages)
        self.customers[external_id] = customer
        new_customers.append(customer)
        self.report.new_customers += 1
        return customer, None

    def _lines(self, unit, currency):
        """Unsaved OrderLines of the unit, priced from the file or the product, and the
        unit prices the file gave (None: left to the list price). The catalogue is in the
        base currency, so its prices and costs convert at the order date's rate (a missing
        rate is reported when the order is priced)."""
        rate = self._rate(currency, unit[0].values["ordered_on"])[0] or Decimal("1")
        if not self.line_file:
            return [self._imported_line(unit[0].values)], [unit[0].values["total"]]
        lines, file_prices = [], []
        for row in unit:
            product = self.products.get(row.values["sku"])
            if product is None:
                row.error(
                    "sku", _("There is no product with SKU %(sku)s.") % {"sku": row.values["sku"]}
                )
                continue
            line = OrderLine(
                product=product,
                quantity=row.values["quantity"],
                unit_price=row.values.get("unit_price", totals.from_base(product.list_price, rate)),
                unit_cost=totals.from_base(product.unit_cost, rate),
                discount=row.values.get("discount", 0),
            )
            for message in totals.validate_line(line):
                row.error("discount", message)
            lines.append(line)
            file_prices.append(row.values.get("unit_price"))
        return lines, file_prices

    def _imported_line(self, values):
        """The one line of an order from an order file: the product IMPORTED, with the
        file's quantity (else 1). Priced by unit, it has the file's unit price and
        discount; priced by total, its unit price is the total over the quantity rounded
        up to the cent, and the rounding (under a cent a unit) is its discount, so that
        the line comes to the total exactly."""
        product = self._imported_product()
        quantity = values.get("quantity", 1)
        if "unit_price" in values:
            unit_price, discount = values["unit_price"], values.get("discount", Decimal("0"))
        else:
            cents = int(totals.to_cents(values["total"]) * 100)
            unit_cents = -(-cents // quantity)
            unit_price = Decimal(unit_cents) / 100
            discount = Decimal(unit_cents * quantity - cents) / 100
        return OrderLine(
            product=product,
            quantity=quantity,
            unit_price=unit_price,
            unit_cost=product.unit_cost,
            discount=discount,
        )

    def _unchanged(self, order, values, stored_lines, lines, file_prices):
        if (
            order.ordered_on != values["ordered_on"]
            or order.status != values.get("status", order.status)
            or order.currency != values.get("currency", order.currency)
        ):
            return False
        if not self.line_file:
            # A quantity in the file must match the order's too; without one, any lines do.
            return order.total == totals.to_cents(values["total"]) and (
                "quantity" not in self.mapping
                or sum(line[1] for line in stored_lines) == values.get("quantity", 1)
            )
        # A line priced by the file must match exactly; one left to the list price
        # matches whatever price the stored line has.
        remaining = list(stored_lines)
        for line, file_price in zip(lines, file_prices, strict=True):
            match = next(
                (
                    stored
                    for stored in remaining
                    if stored[:2] == (line.product.pk, line.quantity)
                    and stored[3] == line.discount
                    and (file_price is None or stored[2] == file_price)
                ),
                None,
            )
            if match is None:
                return False
            remaining.remove(match)
        return not remaining

    def _price(self, unit, order, lines):
        """Rate and totals, from orders.totals; a missing rate is an error on the row."""
        rate, problem = self._rate(order.currency, order.ordered_on)
        if problem:
            unit[0].error("currency", problem)
            return
        result = totals.order_totals(lines, rate)
        order.exchange_rate = rate
        order.subtotal = result.subtotal
        order.discount_total = result.discount_total
        order.total = result.total
        order.cost_total = result.cost_total
        order.total_base = result.total_base
        order.cost_base = result.cost_base
        # Each number fits its column, yet their products and sums may not.
        for name in _TOTAL_FIELDS:
            model_field = Order._meta.get_field(name)
            try:
                model_field.run_validators(getattr(order, name))
            except ValidationError as exc:
                unit[0].error(
                    "total",
                    _("The order's %(field)s is too large: %(problem)s")
                    % {"field": model_field.verbose_name, "problem": " ".join(exc.messages)},
                )
                return

    def _rate(self, currency, on):
        """(rate, None) or (None, why there is none), one lookup per currency and date."""
        key = (currency, on)
        if key not in self.rates:
            try:
                self.rates[key] = (rate_on(currency=currency, on=on), None)
            except ValidationError as exc:
                self.rates[key] = (None, exc.messages[0])
        return self.rates[key]

    def _preview(self, row, order, lines):
        return [
            order.number,
            row.values["customer_external_id"],
            order.ordered_on.isoformat(),
            order.currency,
            len(lines),
            str(order.total),
        ]

    # --- loading ------------------------------------------------------------------------

    def _load_customers(self, external_ids):
        """Resolve new external ids with one query through the user's scope, and one more
        to tell "not yours" from "unknown" for the rest."""
        unknown = external_ids - self.customers.keys()
        if not unknown:
            return
        visible = dict(
            self.scope.customers().filter(external_id__in=unknown).values_list("external_id", "id")
        )
        rest = unknown - visible.keys()
        hidden = set()
        if rest:
            hidden = set(
                Customer.objects.filter(external_id__in=rest).values_list("external_id", flat=True)
            )
        for external_id in unknown:
            if external_id in visible:
                self.customers[external_id] = visible[external_id]
            else:
                self.customers[external_id] = _HIDDEN if external_id in hidden else _MISSING

    def _load_products(self, skus):
        missing = set(skus) - self.products.keys()
        if missing:
            found = {p.sku: p for p in Product.objects.filter(sku__in=missing)}
            self.products.update({sku: found.get(sku) for sku in missing})

    def _imported_product(self):
        if self.imported_product is None:
            self.imported_product = Product.objects.filter(sku=IMPORTED_SKU).first() or Product(
                sku=IMPORTED_SKU,
                name=_("Imported order total"),
                list_price=0,
                unit_cost=0,
                active=False,
            )
        return self.imported_product

    def _existing_lines(self, orders):
        """{order id: [(product id, quantity, unit price, discount)]} for line files and
        files with a quantity."""
        if not (self.line_file or "quantity" in self.mapping) or not orders:
            return {}
        stored = {}
        for order_id, *line in OrderLine.objects.filter(
            order_id__in=[order.pk for order in orders]
        ).values_list("order_id", "product_id", "quantity", "unit_price", "discount"):
            stored.setdefault(order_id, []).append(tuple(line))
        return stored

    # --- writing ------------------------------------------------------------------------

    def _write(self, new_customers, creates, updates):
        user = self.scope.user
        # An updated order may have belonged to another customer: both summaries change.
        moved_from = set(
            Order.objects.filter(pk__in=[order.pk for order, _lines in updates]).values_list(
                "customer_id", flat=True
            )
            if updates
            else ()
        )
        if new_customers:
            bulk_create_with_history(new_customers, Customer, batch_size=_BATCH, default_user=user)
        product = self.imported_product
        if product is not None and product.pk is None and (creates or updates):
            # The placeholder product is the CRM's bookkeeping, not the importing user's
            # catalogue change (a rep may import orders but not edit the catalogue).
            self.imported_product = order_services.product_create(
                user=SYSTEM,
                sku=product.sku,
                name=product.name,
                list_price=product.list_price,
                unit_cost=product.unit_cost,
                active=False,
            )
            for _order, lines in [*creates, *updates]:
                for line in lines:
                    line.product = self.imported_product
        all_lines = []
        if creates:
            # Their customers' owners, copied onto the orders (Order.customer_owner); a
            # customer new in this file is set on its orders as an object.
            ids = [
                order.customer.pk if Order.customer.is_cached(order) else order.customer_id
                for order, _lines in creates
            ]
            owners = order_services.customer_owners_locked(customer_ids=ids)
            for (order, _lines), customer_id in zip(creates, ids, strict=True):
                order.customer_owner_id = owners.get(customer_id)
            created = bulk_create_with_history(
                [order for order, _lines in creates], Order, batch_size=_BATCH, default_user=user
            )
            for order, (_order, lines) in zip(created, creates, strict=True):
                all_lines += self._attach(order, lines)
        if updates:
            now = timezone.now()
            for order, lines in updates:
                order.updated_at = now
                all_lines += self._attach(order, lines)
            OrderLine.objects.filter(order_id__in=[order.pk for order, _lines in updates]).delete()
            bulk_update_with_history(
                [order for order, _lines in updates],
                Order,
                [
                    "ordered_on",
                    "status",
                    "currency",
                    "exchange_rate",
                    "subtotal",
                    "discount_total",
                    "total",
                    "cost_total",
                    "total_base",
                    "cost_base",
                    "updated_at",
                ],
                batch_size=_BATCH,
                default_user=user,
            )
        OrderLine.objects.bulk_create(all_lines, batch_size=_BATCH)
        # Bulk writes send no signals: the purchase summary and the value engine are told
        # which customers changed, once per batch and in its transaction.
        changed = {order.customer_id for order, _lines in [*creates, *updates]} | moved_from
        summary.refresh_customers(changed)
        customers_mark_dirty(customer_ids=sorted(changed))

    def _attach(self, order, lines):
        for line in lines:
            line.order = order
        return lines
