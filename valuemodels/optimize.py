"""Bounded maximum-likelihood minimisation shared by the BG/NBD and Gamma-Gamma fits."""

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.optimize import OptimizeResult, minimize

from .arrays import FloatArray

# The gradient (of the mean negative log-likelihood, in log-parameters) below which a
# stop counts as the optimum even when the line search ended "ABNORMAL".
GRADIENT_TOLERANCE = 1e-5
# Rows a likelihood evaluates at a time: its temporaries stay a few MB whatever the
# population (a million rows would need eight MB for each of them).
BLOCK_ROWS = 65_536


# A population's rows as a fit reads them: each call gives the rows again, as pieces of
# equally long columns (arrays held in memory, or blocks read back from a file).
Rows: TypeAlias = Callable[[], Iterable[tuple[FloatArray, ...]]]


def blocks(size: int, block: int = BLOCK_ROWS) -> list[slice]:
    """The rows ``0…size`` in consecutive pieces of ``block`` rows (the last one shorter)."""
    return [slice(start, min(start + block, size)) for start in range(0, size, block)]


def pieces(*columns: FloatArray) -> Rows:
    """Equally long columns held in memory as ``Rows``: pieces of ``BLOCK_ROWS`` rows."""
    size = len(columns[0])
    return lambda: (tuple(column[rows] for column in columns) for rows in blocks(size))


def total(partials: Iterable[float]) -> float:
    """The sum of the blocks' sums, correctly rounded: the blocks are fixed pieces of the
    rows in their given order, so the result depends on the rows alone (one block's sum is
    returned as it is)."""
    return math.fsum(partials)


def survives_float32(weights: FloatArray) -> bool:
    """Whether every weight survives the round trip through float32 (counts below 2**24
    do): then a fit holds its rows' weights in half the memory, exactly."""
    return bool(np.array_equal(weights.astype(np.float32), weights))


def index_dtype(size: int) -> np.dtype[Any]:
    """The narrowest unsigned integers that index ``size`` values."""
    return np.min_scalar_type(max(size - 1, 0))


def dot(a: npt.NDArray[np.number[Any]], b: npt.NDArray[np.number[Any]]) -> float:
    """Σ a·b of two long vectors, as the likelihoods add up their rows.

    Not np.dot: BLAS's threads cost more than they save on a busy 2-core machine (17 ms
    against 1.3 ms for half a million rows)."""
    return float(np.einsum("i,i->", a, b))


def minimize_bounded(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    *,
    log_bound: float,
) -> tuple[OptimizeResult, bool]:
    """L-BFGS-B on ``objective`` (returning value and gradient) within ±``log_bound``.

    Near a flat optimum L-BFGS-B's line search can stop with ABNORMAL on inputs that differ
    in the last bits (the same orders summed by PostgreSQL or SQLite), so a failed run is
    restarted once from where it stopped, and a stop with a vanishing gradient is accepted.
    Returns (result, converged)."""
    bounds = [(-log_bound, log_bound)] * len(start)
    options = {"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9}
    with np.errstate(all="ignore"):
        result = minimize(
            objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options
        )
        if not result.success and np.all(np.isfinite(result.x)):
            result = minimize(
                objective, result.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options
            )
    flat = np.all(np.isfinite(result.jac)) and np.max(np.abs(result.jac)) < GRADIENT_TOLERANCE
    converged = bool((result.success or flat) and np.isfinite(result.fun))
    return result, converged
