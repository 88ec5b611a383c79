"""Order money arithmetic, in one place: every order total in the app comes from here.

Pure functions on Decimals (no ORM), so the order service, the demo data generator and the
importers compute identical totals. Amounts round half-up to cents.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

CENT = Decimal("0.01")


def to_cents(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def from_base(amount, rate):
    """A base-currency ``amount`` in a currency worth ``rate`` base units each, in cents."""
    return to_cents(Decimal(amount) / Decimal(rate))


def convert(amount, rate):
    """``amount`` in a currency worth ``rate`` base units each, in base currency cents."""
    return to_cents(Decimal(amount) * Decimal(rate))


@dataclass(frozen=True)
class LineInput:
    quantity: int
    unit_price: Decimal
    unit_cost: Decimal
    discount: Decimal = Decimal("0")


@dataclass(frozen=True)
class OrderTotals:
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    cost_total: Decimal
    total_base: Decimal
    cost_base: Decimal

    @property
    def margin(self):
        return margin(self.total, self.cost_total)

    @property
    def margin_base(self):
        return margin(self.total_base, self.cost_base)


def line_gross(line):
    return to_cents(line.quantity * Decimal(line.unit_price))


def line_total(line):
    return line_gross(line) - to_cents(line.discount)


def validate_line(line):
    """Error messages for one line; empty when it is fine."""
    errors = []
    if line.quantity is None or line.quantity <= 0:
        errors.append(_("Quantity must be at least 1."))
    if line.unit_price is None or Decimal(line.unit_price) < 0:
        errors.append(_("Unit price cannot be negative."))
    if line.discount is not None and Decimal(line.discount) < 0:
        errors.append(_("Discount cannot be negative."))
    if not errors and to_cents(line.discount) > line_gross(line):
        errors.append(_("Discount cannot exceed the line amount."))
    return errors


def margin(total, cost_total):
    """What the goods earned over their cost, before refunds."""
    return to_cents(total) - to_cents(cost_total)


def order_totals(lines, rate=Decimal("1")):
    """Totals of an order from its lines, in its own currency and in the base currency."""
    subtotal = sum((line_gross(line) for line in lines), Decimal("0.00"))
    discount_total = sum((to_cents(line.discount) for line in lines), Decimal("0.00"))
    cost_total = sum(
        (to_cents(line.quantity * Decimal(line.unit_cost)) for line in lines), Decimal("0.00")
    )
    total = subtotal - discount_total
    return OrderTotals(
        subtotal=subtotal,
        discount_total=discount_total,
        total=total,
        cost_total=cost_total,
        total_base=convert(total, rate),
        cost_base=convert(cost_total, rate),
    )


def refunded_after(*, refunded_total, amount, rate):
    """(refunded, refunded in base) once ``amount`` more is refunded. The base amount is
    converted from the running sum rather than added up refund by refund, so a full refund
    in parts lands exactly on the order's base total."""
    refunded = to_cents(refunded_total) + to_cents(amount)
    return refunded, convert(refunded, rate)
