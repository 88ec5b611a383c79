"""Per-customer value formulas on Decimals (spec §2.1, §2.3, §2.4, §2.6).

Money results are rounded half-up to the cent once, at the end of each formula; rates that
feed other formulas (purchase frequency, lifetime) keep four places so every path that
recomputes them from stored inputs gets the same cents.
"""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .numbers import ONE, ZERO, DecimalLike, dec, to_cents

DAYS_PER_YEAR = 365
MIN_SPAN_DAYS = 30
LIFETIME_CAP_YEARS = Decimal("10")
GOODWILL_DAMAGE = Decimal("0.15")
_RATE_PLACES = Decimal("0.0001")


def revenue(order_totals: Iterable[DecimalLike]) -> Decimal:
    """Sum of the customer's non-cancelled order totals; refunds come in as negative amounts."""
    return to_cents(sum((dec(total) for total in order_totals), ZERO))


def profit_contribution(
    *,
    revenue: DecimalLike,
    cost_of_goods: DecimalLike = ZERO,
    acquisition_cost: DecimalLike = ZERO,
    other_costs: DecimalLike = ZERO,
) -> Decimal:
    """Revenue - customer-related costs (cost of goods on their orders, their acquisition
    cost, and service or marketing costs logged against them)."""
    costs = dec(cost_of_goods) + dec(acquisition_cost) + dec(other_costs)
    return to_cents(dec(revenue) - costs)


def aov(*, revenue: DecimalLike, orders: int) -> Decimal | None:
    """Average order value; None for a customer without orders."""
    if orders == 0:
        return None
    return to_cents(dec(revenue) / orders)


def purchase_frequency(
    *, orders: int, first_order_on: date, as_of: date, min_span_days: int = MIN_SPAN_DAYS
) -> Decimal | None:
    """Orders per year (365 days) over the span from the first order to the as-of date.

    The span counts at least ``min_span_days`` so that a customer who ordered yesterday does
    not get an absurd yearly rate. None for a customer without orders."""
    if orders == 0:
        return None
    span = (as_of - first_order_on).days
    if span < 0:
        raise ValueError("The as-of date is before the first order.")
    span = max(span, min_span_days)
    return (Decimal(orders) * DAYS_PER_YEAR / span).quantize(_RATE_PLACES, ROUND_HALF_UP)


def expected_lifetime(
    *, annual_churn: DecimalLike | None, cap_years: DecimalLike = LIFETIME_CAP_YEARS
) -> Decimal:
    """T = 1 / annual churn rate (a fraction, 0.5 for 50%), in years, capped at
    ``cap_years``; no churn (or no churn measured yet) gives the cap."""
    annual_churn = dec(annual_churn) if annual_churn is not None else ZERO
    if annual_churn < 0 or annual_churn > 1:
        raise ValueError("The annual churn rate is a fraction between 0 and 1.")
    cap_years = dec(cap_years)
    if annual_churn == 0:
        return cap_years
    return min(ONE / annual_churn, cap_years).quantize(_RATE_PLACES, ROUND_HALF_UP)


def simple_clv(
    *, aov: DecimalLike, frequency: DecimalLike, lifetime_years: DecimalLike, cac: DecimalLike
) -> Decimal:
    """CLV = (AOV * F) * T - CAC (seed 000)."""
    return to_cents(dec(aov) * dec(frequency) * dec(lifetime_years) - dec(cac))


def retention_clv(*, margin: DecimalLike, retention: DecimalLike, discount: DecimalLike) -> Decimal:
    """CLV = m * r / (1 + d - r): the infinite-horizon retention model. The seed's m * r / d
    is a careless simplification and overstates CLV (9000 instead of 4500 for m 1000,
    r 0.9, d 0.1)."""
    margin, retention, discount = dec(margin), dec(retention), dec(discount)
    if not 0 <= retention <= 1 or discount < 0:
        raise ValueError("Retention is a fraction between 0 and 1; the discount rate is >= 0.")
    if 1 + discount - retention == 0:
        raise ValueError("With full retention and no discounting the value is unbounded.")
    return to_cents(margin * retention / (1 + discount - retention))


def annuity_factor(*, rate: DecimalLike, years: int) -> Decimal:
    """Σ_{t=1..N} 1 / (1 + r)^t: today's value of 1 a year for N years, unrounded."""
    rate = dec(rate)
    if years < 0 or rate <= -1:
        raise ValueError("Years must be >= 0 and the rate above -100%.")
    return sum((ONE / (1 + rate) ** t for t in range(1, years + 1)), ZERO)


def discounted_revenue(
    *, yearly_net_revenue: DecimalLike, rate: DecimalLike, years: int
) -> Decimal:
    """Σ_{t=1..N} R / (1 + r)^t: the remaining discounted value of a relationship."""
    return to_cents(dec(yearly_net_revenue) * annuity_factor(rate=rate, years=years))


def relationship_value(
    *,
    first_purchase: DecimalLike,
    acquisition_cost: DecimalLike,
    yearly_net_revenue: DecimalLike,
    rate: DecimalLike,
    years: int,
) -> Decimal:
    """V = (P0 - C0) + Σ_{t=1..N} R / (1 + r)^t (our NPV reading of seed 004)."""
    future = dec(yearly_net_revenue) * annuity_factor(rate=rate, years=years)
    return to_cents(dec(first_purchase) - dec(acquisition_cost) + future)


def has_value(
    *,
    first_purchase: DecimalLike,
    acquisition_cost: DecimalLike,
    yearly_net_revenue: DecimalLike,
    rate: DecimalLike,
    years: int,
) -> bool:
    """Seed 004's rule: the customer has value when P0 > C0 and the discounted sum is
    positive."""
    future = dec(yearly_net_revenue) * annuity_factor(rate=rate, years=years)
    return dec(first_purchase) > dec(acquisition_cost) and future > 0


def continuing_value(repeat_order_totals: Iterable[DecimalLike]) -> Decimal | None:
    """Average value of the orders after the first; None for a one-time buyer (the seed: a
    single transaction does not make a customer)."""
    totals = [dec(total) for total in repeat_order_totals]
    if not totals:
        return None
    return to_cents(sum(totals, ZERO) / len(totals))


def loss_value(
    *,
    remaining_value: DecimalLike,
    replacement_cost: DecimalLike,
    goodwill: DecimalLike = GOODWILL_DAMAGE,
) -> Decimal:
    """(Remaining discounted value + cost of acquiring a replacement) * (1 + x), x the
    goodwill damage coefficient: what losing this customer costs."""
    return to_cents((dec(remaining_value) + dec(replacement_cost)) * (1 + dec(goodwill)))


def information_value(
    *,
    areas: Iterable[tuple[DecimalLike, DecimalLike]],
    benefit_per_use: DecimalLike,
    collections: DecimalLike,
    collection_cost: DecimalLike,
    k: DecimalLike = ONE,
) -> Decimal:
    """V_I = K * Σ_i p_i * N_i * u - N2 * C (seed 004's second model).

    ``areas`` holds one (p_i facts known, N_i times used) pair per knowledge area;
    ``collections`` is N2, ``collection_cost`` C, ``benefit_per_use`` u."""
    used = sum((dec(facts) * dec(uses) for facts, uses in areas), ZERO)
    return to_cents(dec(k) * used * dec(benefit_per_use) - dec(collections) * dec(collection_cost))
