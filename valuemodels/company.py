"""Company-level metrics for a period (spec §1).

Undefined results are None (shown as —), never a ZeroDivisionError and never 0. Rates are
percentages to two places; money is to the cent.
"""

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from .numbers import HUNDRED, DecimalLike, dec, ratio, to_cents, to_hundredths, to_percent

PROMOTER = "promoter"
PASSIVE = "passive"
DETRACTOR = "detractor"

# Two-sided 95% normal quantile for the margins of error.
Z_95 = Decimal("1.96")


def cac(*, spend: DecimalLike, new_customers: int) -> Decimal | None:
    """Customer acquisition cost: spend / new customers; also per campaign (its spend and the
    customers attributed to it). None when nobody was acquired."""
    if new_customers == 0:
        return None
    return to_cents(dec(spend) / new_customers)


def retention_rate(*, start: int, end: int, new: int) -> Decimal | None:
    """(customers at end - new customers) / customers at start, in percent."""
    return to_percent(end - new, start)


def churn_rate(*, lost: int, start: int) -> Decimal | None:
    """Customers lost in the period / customers at start, in percent."""
    return to_percent(lost, start)


def nps_category(score: int) -> str:
    """Promoter (9-10), passive (7-8) or detractor (0-6) for one 0-10 answer."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"An NPS answer is a whole number from 0 to 10, not {score!r}.")
    if score >= 9:
        return PROMOTER
    if score >= 7:
        return PASSIVE
    return DETRACTOR


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> Decimal | None:
    """% promoters - % detractors, from -100 to 100; None without responses."""
    return to_percent(promoters - detractors, promoters + passives + detractors)


def nps(scores: Iterable[int]) -> Decimal | None:
    """NPS of 0-10 answers (one per invitation: the caller passes the latest)."""
    counts = Counter(nps_category(score) for score in scores)
    return nps_from_counts(
        promoters=counts[PROMOTER], passives=counts[PASSIVE], detractors=counts[DETRACTOR]
    )


def nps_margin_of_error(*, promoters: int, passives: int, detractors: int) -> Decimal | None:
    """Half-width of the 95% confidence interval of the NPS, in NPS points.

    Each answer is +1 (promoter), 0 (passive) or -1 (detractor); the NPS is 100 * their mean,
    so its standard error is 100 * √((p_P + p_D - (p_P - p_D)²) / n)."""
    n = promoters + passives + detractors
    if n == 0:
        return None
    p_p, p_d = Decimal(promoters) / n, Decimal(detractors) / n
    variance = p_p + p_d - (p_p - p_d) ** 2
    return _margin(variance, n)


def _is_satisfied(score: int) -> bool:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"A CSAT answer is a whole number from 1 to 5, not {score!r}.")
    return score >= 4


def csat_from_counts(*, satisfied: int, responses: int) -> Decimal | None:
    """Share of responses scoring 4 or 5, in percent; None without responses."""
    return to_percent(satisfied, responses)


def csat(scores: Iterable[int]) -> Decimal | None:
    """CSAT of 1-5 answers (one per invitation)."""
    satisfied = [_is_satisfied(score) for score in scores]
    return csat_from_counts(satisfied=sum(satisfied), responses=len(satisfied))


def csat_margin_of_error(*, satisfied: int, responses: int) -> Decimal | None:
    """Half-width of the 95% confidence interval of the CSAT, in percentage points:
    100 * 1.96 * √(p (1 - p) / n)."""
    if responses == 0:
        return None
    p = Decimal(satisfied) / responses
    return _margin(p * (1 - p), responses)


def _margin(variance: Decimal, n: int) -> Decimal:
    return to_hundredths(Z_95 * HUNDRED * (variance / n).sqrt())


def clv_to_cac(*, average_clv: DecimalLike, cac: DecimalLike | None) -> Decimal | None:
    """Average CLV of the period's new customers / CAC; None when CAC is undefined or zero."""
    if cac is None:
        return None
    return ratio(average_clv, cac)


def response_rate(*, responses: int, invitations: int) -> Decimal | None:
    """Survey responses / invitations delivered, in percent."""
    return to_percent(responses, invitations)
