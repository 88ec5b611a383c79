"""Composite value score, loyalty, churn risk, tiers and explanations (spec §2.7, §2.8).

Population-wide and vectorised: one array element per customer, NaN where a customer has
no data for an input.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

from .arrays import ArrayLike, FloatArray, ObjectArray
from .company import DETRACTOR, PASSIVE, PROMOTER
from .numbers import DecimalLike, dec
from .ranking import class_cutoffs, classify, percentile_ranks

HISTORICAL = "historical"
FUTURE = "future"
LOYALTY = "loyalty"
INFLUENCE = "influence"
COMPONENTS = (HISTORICAL, FUTURE, LOYALTY, INFLUENCE)

DEFAULT_WEIGHTS = {
    HISTORICAL: Decimal("0.35"),
    FUTURE: Decimal("0.35"),
    LOYALTY: Decimal("0.15"),
    INFLUENCE: Decimal("0.15"),
}


def validate_weights(weights: Mapping[str, DecimalLike]) -> dict[str, Decimal]:
    """The four component weights as Decimals; ValueError unless each is >= 0 and they sum
    to exactly 1."""
    if set(weights) != set(COMPONENTS):
        raise ValueError(f"Weights are needed for exactly: {', '.join(COMPONENTS)}.")
    decimals = {key: dec(weights[key]) for key in COMPONENTS}
    if any(weight < 0 for weight in decimals.values()):
        raise ValueError("Weights cannot be negative.")
    if sum(decimals.values()) != 1:
        raise ValueError("Weights must sum to 1.")
    return decimals


def future_values(predicted_clv: ArrayLike, simple_clv: ArrayLike) -> FloatArray:
    """Predicted CLV where the models gave one, else the simple CLV."""
    predicted = np.asarray(predicted_clv, dtype=float)
    return np.where(np.isnan(predicted), np.asarray(simple_clv, dtype=float), predicted)


@dataclass(frozen=True)
class ValueScores:
    # 0-100 per customer; NaN when the customer has no data on any component.
    scores: FloatArray
    # Component key -> 0-100 percentile rank per customer (NaN: no data).
    percentiles: dict[str, FloatArray]


def value_scores(
    components: Mapping[str, ArrayLike],
    *,
    weights: Mapping[str, DecimalLike] = DEFAULT_WEIGHTS,
    references: Mapping[str, ArrayLike] | None = None,
) -> ValueScores:
    """Weighted mean of each customer's percentile ranks on the components.

    ``components`` maps each component key to its raw values (profit contribution, future
    value, loyalty score, referred revenue). Percentiles are within the population itself,
    or within ``references`` (component key -> the full run's values) to score a few
    customers later exactly as the full run would have. A component a customer has no data
    on (NaN) is left out and the other weights are scaled up to sum to 1."""
    checked = validate_weights(weights)
    references = references or {}
    percentiles = {
        key: percentile_ranks(components[key], references.get(key)) for key in COMPONENTS
    }
    size = np.shape(percentiles[HISTORICAL])
    weight_present, total = np.zeros(size), np.zeros(size)
    # Component by component, in a fixed order, so one customer scored alone gets the
    # very same float as in the full run.
    for key in COMPONENTS:
        present = ~np.isnan(percentiles[key])
        weight_present += np.where(present, float(checked[key]), 0.0)
        total += np.where(present, float(checked[key]) * percentiles[key], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(weight_present > 0, total / weight_present, np.nan)
    return ValueScores(scores=scores, percentiles=percentiles)


NPS_POINTS = {PROMOTER: 1.0, PASSIVE: 0.5, DETRACTOR: 0.0}
TENURE_CAP_DAYS = 3 * 365


def loyalty_scores(
    *,
    nps_category: ArrayLike,
    average_csat: ArrayLike,
    orders: ArrayLike,
    tenure_days: ArrayLike,
    cap_days: float = TENURE_CAP_DAYS,
) -> FloatArray:
    """Loyalty 0-100: 100 * the mean of the parts a customer has data for, each 0-1:

    - latest NPS answer: promoter 1, passive 0.5, detractor 0 (None: no answer);
    - average CSAT (1-5) as (CSAT - 1) / 4 (NaN: no answer);
    - repeat purchase rate, the share of their orders that are repeat orders:
      (orders - 1) / orders, 0 without orders;
    - tenure (days since the first order) / ``cap_days``, at most 1 (3 years by default)."""
    nps_category = np.asarray(nps_category, dtype=object)
    nps = np.full(nps_category.shape, np.nan)
    for category, points in NPS_POINTS.items():
        nps[nps_category == category] = points
    csat = (np.asarray(average_csat, dtype=float) - 1) / 4
    orders = np.asarray(orders, dtype=float)
    repeat = np.where(orders > 0, (orders - 1) / np.maximum(orders, 1), 0.0)
    tenure = np.clip(np.asarray(tenure_days, dtype=float) / cap_days, 0.0, 1.0)
    parts = np.stack([nps, csat, repeat, tenure])
    loyalty: FloatArray = 100 * np.nanmean(parts, axis=0)
    return loyalty


INACTIVITY_DAYS = 365


def churn_risks(
    *,
    p_alive: ArrayLike,
    days_since_last_order: ArrayLike,
    inactivity_days: float = INACTIVITY_DAYS,
) -> FloatArray:
    """Churn risk 0-1: 1 - P(alive) where the BG/NBD model gave one (not NaN), else the
    inactivity rule as a fraction of its window, min(days since last order / window, 1):
    1 from the day the customer counts as lost. NaN for a customer who never ordered."""
    p_alive = np.asarray(p_alive, dtype=float)
    inactive = np.minimum(np.asarray(days_since_last_order, dtype=float) / inactivity_days, 1.0)
    return np.where(np.isnan(p_alive), inactive, 1 - p_alive)


TIER_A_SHARE = Decimal("0.2")
TIER_B_SHARE = Decimal("0.3")
TIERS = ("C", "B", "A")


def tier_cutoffs(
    scores: ArrayLike, *, a_share: DecimalLike = TIER_A_SHARE, b_share: DecimalLike = TIER_B_SHARE
) -> FloatArray:
    """Cut-offs between C and B and between B and A, to store for later customers.

    A customer is A when their score beats at least 1 - a_share of the scored customers
    (80% by default: the top 20%), B when it beats at least 1 - a_share - b_share (50%).
    As for RFM, equal scores share a tier: a tied block straddling a cut-off goes below."""
    return class_cutoffs(scores, tier_shares(a_share=a_share, b_share=b_share))


def tier_shares(
    *, a_share: DecimalLike = TIER_A_SHARE, b_share: DecimalLike = TIER_B_SHARE
) -> tuple[Fraction, Fraction]:
    """The shares of scored customers below the B and the A cut-offs (``class_cutoffs``)."""
    a, b = Fraction(dec(a_share)), Fraction(dec(b_share))
    if a < 0 or b < 0 or a + b > 1:
        raise ValueError("Tier shares cannot be negative, and A + B cannot exceed 1.")
    return 1 - a - b, 1 - a


def tiers_against_cutoffs(scores: ArrayLike, cutoffs: ArrayLike) -> ObjectArray:
    labels: ObjectArray = np.array(TIERS, dtype=object)[classify(scores, cutoffs)]
    return labels


def tiers(
    scores: ArrayLike, *, a_share: DecimalLike = TIER_A_SHARE, b_share: DecimalLike = TIER_B_SHARE
) -> ObjectArray:
    """Tier "A", "B" or "C" of every score within its own population."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return np.zeros(0, dtype=object)
    return tiers_against_cutoffs(scores, tier_cutoffs(scores, a_share=a_share, b_share=b_share))


@dataclass(frozen=True)
class ComponentExplanation:
    key: str
    # The component's raw value as stored (money as a Decimal); None: no data.
    value: Decimal | float | None
    percentile: int | None
    weight: Decimal
    # Score points this component contributes (its scaled weight * percentile).
    points: float


@dataclass(frozen=True)
class Explanation:
    score: int | None
    # Largest contribution first; components without data last.
    components: tuple[ComponentExplanation, ...]


def _round_half_up(value: float) -> int:
    """Half up on the decimal the float prints as, like Django's ``floatformat`` and
    ``metrics.explain.whole``: the score reads the same on every page."""
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def explain(
    *,
    score: float,
    values: Mapping[str, Decimal | float | None],
    percentiles: Mapping[str, float],
    weights: Mapping[str, DecimalLike] = DEFAULT_WEIGHTS,
) -> Explanation:
    """One customer's ``score`` (from ``value_scores``) as data for the page ("87: profit
    contribution at percentile 94, …"): the rounded score and each component's raw value,
    rounded percentile, weight and points, ordered by what they contributed."""
    checked = validate_weights(weights)
    present = [key for key in COMPONENTS if not np.isnan(percentiles[key])]
    weight_present = sum((checked[key] for key in present), Decimal(0))
    items = []
    for key in COMPONENTS:
        percentile = float(percentiles[key])
        has_data = key in present and weight_present > 0
        items.append(
            ComponentExplanation(
                key=key,
                value=values.get(key),
                percentile=_round_half_up(percentile) if key in present else None,
                weight=checked[key],
                points=float(checked[key] / weight_present) * percentile if has_data else 0.0,
            )
        )
    items.sort(key=lambda item: (item.percentile is None, -item.points))
    return Explanation(
        score=None if np.isnan(score) else _round_half_up(score), components=tuple(items)
    )
