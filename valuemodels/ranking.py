"""Ranking a value within a population: class cut-offs and percentile ranks.

Both rank by value, never by row position, so equal values always get equal results, and
both can score a value later against numbers stored from the full run (cut-offs, or the
sorted reference values) and get exactly what the full run gave.
"""

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .arrays import ArrayLike, FloatArray, IndexArray


def _as_array(values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError("Expected a one-dimensional sequence of values.")
    if np.isnan(array).any():
        raise ValueError("Values to rank must not contain NaN.")
    return array


def _oriented(values: FloatArray, reverse: bool) -> FloatArray:
    # Scoring "smaller is better" is scoring the negated values, "larger is better".
    return -values if reverse else values


def class_cutoffs(
    values: ArrayLike, shares: Iterable[Fraction | Decimal | float | str], *, reverse: bool = False
) -> FloatArray:
    """Cut-offs that put each value in class k = the number of ``shares`` that the share
    of the population strictly worse than it reaches.

    Cut-off k is the population value at 1-based position ⌈share_k * n⌉ in order from worst
    to best (what SQL's percentile_disc returns); a value is past cut-off k when it is
    strictly better than it. The arithmetic is exact (``shares`` as fractions), so 3/5 of 5
    is 3 and never 3.0000000000000004. A share of 0 gives a cut-off every value passes
    (-inf), a share of 1 the best value, which no value passes. Returned in the values' own
    units: descending when ``reverse`` (smaller is better)."""
    ordered = np.sort(_oriented(_as_array(values), reverse))
    positions = class_cutoff_ranks(ordered.size, shares)
    cutoffs = [float(ordered[position]) if position >= 0 else -np.inf for position in positions]
    return _oriented(np.array(cutoffs, dtype=float), reverse)


def class_cutoff_ranks(n: int, shares: Iterable[Fraction | Decimal | float | str]) -> list[int]:
    """The 0-based positions, worst first, of ``class_cutoffs``' values among ``n``
    values (-1 where the cut-off is one every value passes)."""
    if n == 0:
        raise ValueError("Cut-offs need at least one value.")
    positions = []
    for value in shares:
        share = Fraction(value)
        if not 0 <= share <= 1:
            raise ValueError("Shares lie between 0 and 1.")
        positions.append(-(-share.numerator * n // share.denominator) - 1)
    return positions


def classify(values: ArrayLike, cutoffs: ArrayLike, *, reverse: bool = False) -> IndexArray:
    """For each value, how many cut-offs it is strictly better than (0…len(cutoffs))."""
    oriented_cutoffs = _oriented(np.asarray(cutoffs, dtype=float), reverse)
    if np.any(np.diff(oriented_cutoffs) < 0):
        raise ValueError("Cut-offs must run from worst to best.")
    oriented = _oriented(_as_array(values), reverse)
    return np.searchsorted(oriented_cutoffs, oriented, side="left")


def percentile_ranks(values: ArrayLike, reference: ArrayLike | None = None) -> FloatArray:
    """Percentile rank 0-100 of each value within ``reference`` (default: the values
    themselves): 100 * (number strictly below + half the number equal) / n.

    Ties share the average of the ranks they span (the "mean" percentile rank), so a whole
    population of equal values sits at 50. NaN values (no data) get NaN and are left out of
    the reference."""
    values = np.asarray(values, dtype=float)
    reference = values if reference is None else np.asarray(reference, dtype=float)
    reference = np.sort(reference[~np.isnan(reference)])
    ranks = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if reference.size == 0:
        return ranks
    below = np.searchsorted(reference, values[present], side="left")
    at_or_below = np.searchsorted(reference, values[present], side="right")
    ranks[present] = 100.0 * (below + at_or_below) / (2 * reference.size)
    return ranks
