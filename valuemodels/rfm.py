"""RFM quintile scores and segments (spec §2.2, seed 002), vectorised over a population.

R = days since the last order (smaller is better), F = number of orders, M = revenue, over
the customers with at least one order. A customer's score on each is

    1 + ⌊5 * (share of the population strictly worse than them)⌋, at most 5,

so equal values always score alike, a tied block takes the score of its worst position,
and a population of equal values scores 1 throughout. The full run and a later single
customer use the same rule through stored cut-offs: ``quintile_scores`` is exactly
``score_against_cutoffs(values, quintile_cutoffs(values))``.
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .arrays import ArrayLike, FloatArray, IndexArray, IntArray, ObjectArray
from .ranking import class_cutoffs, classify

QUINTILES = (Fraction(1, 5), Fraction(2, 5), Fraction(3, 5), Fraction(4, 5))


def quintile_cutoffs(values: ArrayLike, *, reverse: bool = False) -> FloatArray:
    """The four cut-offs of a population, to store and score later customers against."""
    return class_cutoffs(values, QUINTILES, reverse=reverse)


def score_against_cutoffs(
    values: ArrayLike, cutoffs: ArrayLike, *, reverse: bool = False
) -> IndexArray:
    """Scores 1-5: one plus the number of cut-offs each value is strictly better than."""
    return 1 + classify(values, cutoffs, reverse=reverse)


def quintile_scores(values: ArrayLike, *, reverse: bool = False) -> IndexArray:
    """Scores 1-5 of every value within its own population (empty in, empty out)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    return score_against_cutoffs(values, quintile_cutoffs(values, reverse=reverse), reverse=reverse)


@dataclass(frozen=True)
class RfmCutoffs:
    recency: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]


def rfm_cutoffs(*, recency: ArrayLike, frequency: ArrayLike, monetary: ArrayLike) -> RfmCutoffs:
    """The population's cut-offs for R, F and M, as plain floats ready to store."""
    return RfmCutoffs(
        recency=tuple(quintile_cutoffs(recency, reverse=True).tolist()),
        frequency=tuple(quintile_cutoffs(frequency).tolist()),
        monetary=tuple(quintile_cutoffs(monetary).tolist()),
    )


def rfm_scores(
    *, recency: ArrayLike, frequency: ArrayLike, monetary: ArrayLike, cutoffs: RfmCutoffs
) -> tuple[IndexArray, IndexArray, IndexArray]:
    """(R, F, M) score arrays against ``cutoffs`` (from ``rfm_cutoffs`` of the population)."""
    return (
        score_against_cutoffs(recency, cutoffs.recency, reverse=True),
        score_against_cutoffs(frequency, cutoffs.frequency),
        score_against_cutoffs(monetary, cutoffs.monetary),
    )


def fm_score(f: ArrayLike, m: ArrayLike) -> IntArray | np.int64:
    """FM = (F + M) / 2 rounded half up, 1-5 (a numpy integer for scalar F and M)."""
    fm: IntArray | np.int64 = (np.asarray(f) + np.asarray(m) + 1) // 2
    return fm


CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL_LOYALIST = "potential_loyalist"
NEW = "new"
PROMISING = "promising"
NEED_ATTENTION = "need_attention"
ABOUT_TO_SLEEP = "about_to_sleep"
AT_RISK = "at_risk"
CANNOT_LOSE = "cannot_lose"
HIBERNATING = "hibernating"
LOST = "lost"

# The 11 segments in display order with their English names (the metrics models translate).
SEGMENTS = (
    (CHAMPIONS, "Champions"),
    (LOYAL, "Loyal"),
    (POTENTIAL_LOYALIST, "Potential loyalist"),
    (NEW, "New"),
    (PROMISING, "Promising"),
    (NEED_ATTENTION, "Need attention"),
    (ABOUT_TO_SLEEP, "About to sleep"),
    (AT_RISK, "At risk"),
    (CANNOT_LOSE, "Cannot lose them"),
    (HIBERNATING, "Hibernating"),
    (LOST, "Lost"),
)

# The one segment map: the widely used R * FM grid. Rows are R 5 down to 1, columns FM 1 to
# 5. docs/methodology.md shows the same table.
SEGMENT_GRID = {
    5: (NEW, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, CHAMPIONS, CHAMPIONS),
    4: (PROMISING, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, LOYAL, LOYAL),
    3: (ABOUT_TO_SLEEP, ABOUT_TO_SLEEP, NEED_ATTENTION, LOYAL, LOYAL),
    2: (HIBERNATING, HIBERNATING, AT_RISK, AT_RISK, CANNOT_LOSE),
    1: (LOST, LOST, AT_RISK, AT_RISK, CANNOT_LOSE),
}


def _segment_lookup() -> ObjectArray:
    table = np.empty((6, 6), dtype=object)
    for r, row in SEGMENT_GRID.items():
        table[r, 1:] = row
    return table


_LOOKUP = _segment_lookup()


def segments(r: ArrayLike, f: ArrayLike, m: ArrayLike) -> ObjectArray | str:
    """Segment slug of each customer from their R, F and M scores (arrays or scalars)."""
    r = np.asarray(r)
    fm = fm_score(f, m)
    if np.any((r < 1) | (r > 5) | (fm < 1) | (fm > 5)):
        raise ValueError("RFM scores run from 1 to 5.")
    slugs: ObjectArray | str = _LOOKUP[r, fm]
    return slugs
