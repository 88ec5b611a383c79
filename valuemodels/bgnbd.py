"""BG/NBD "buy till you die" model (Fader, Hardie & Lee 2005), vectorised (spec §2.5).

Per customer: x = repeat purchases (purchase days after the first), t_x = time of the last
purchase since the first, T = time from the first purchase to the as-of date, all in one
time unit (the engine uses days; the CDNOW tests use weeks). The parameters r, alpha, a, b are
fitted by maximum likelihood in log-space with an analytic gradient. Identical (x, t_x, T)
rows can be collapsed into weighted rows first (``collapse``): the fit is the same and a
million customers shrink to tens of thousands of rows.

A fit that cannot be trusted (too few repeat customers, no convergence, a parameter at its
bound) comes back as a result saying so, never as an exception: the caller falls back to
the simple CLV.
"""

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from .arrays import ArrayLike, FloatArray, IndexArray
from .optimize import minimize_bounded
from .parallel import weighted_totals

MIN_REPEAT_CUSTOMERS = 50
# Each parameter stays within [1e-6, 1e6]: far outside anything a real cohort gives, so a
# fit that ends on a bound is a sign of degenerate data, reported as not converged.
_LOG_BOUND = np.log(1e6)


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams | None
    log_likelihood: float | None
    converged: bool
    n_customers: int
    n_repeat_customers: int
    message: str


@dataclass(frozen=True)
class Collapsed:
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weights: FloatArray
    # rows[inverse] gives back one row per customer, in the input order.
    inverse: IndexArray


def _inputs(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if not (x.ndim == 1 and x.shape == t_x.shape == T.shape):
        raise ValueError("x, t_x and T are one-dimensional arrays of the same length.")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x counts repeat purchases: whole numbers >= 0.")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("Each customer needs 0 <= t_x <= T.")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("A customer without repeat purchases has t_x = 0.")
    return x, t_x, T


def collapse(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Collapsed:
    """Identical (x, t_x, T) rows merged into one row with a weight (their count). Round
    t_x and T to whole days before collapsing a daily population."""
    x, t_x, T = _inputs(x, t_x, T)
    # A lexicographic sort and a scan for changes: several times faster than
    # np.unique(axis=0) on a million rows.
    order = np.lexsort((T, t_x, x))
    xs, ts, Ts = x[order], t_x[order], T[order]
    starts = np.ones(x.size, dtype=bool)
    starts[1:] = (np.diff(xs) != 0) | (np.diff(ts) != 0) | (np.diff(Ts) != 0)
    group = np.cumsum(starts) - 1
    inverse = np.empty(x.size, dtype=np.intp)
    inverse[order] = group
    first = np.flatnonzero(starts)
    return Collapsed(
        x=xs[first],
        t_x=ts[first],
        T=Ts[first],
        weights=np.diff(np.append(first, x.size)).astype(float),
        inverse=inverse,
    )


@overload
def _log_likelihoods(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    with_gradient: Literal[False] = False,
) -> FloatArray: ...
@overload
def _log_likelihoods(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    with_gradient: Literal[True],
) -> tuple[FloatArray, FloatArray]: ...
def _log_likelihoods(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    with_gradient: bool = False,
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """Per-row log-likelihoods (and their gradient with respect to r, alpha, a, b).

    L = Γ(r+x) alpha^r / Γ(r) * B(a, b+x) / B(a, b)
        * [(alpha+T)^-(r+x) + 1{x>0} a / (b+x-1) * (alpha+t_x)^-(r+x)]
    The bracket is summed in log-space (logaddexp) so large x and T never underflow."""
    repeat = x > 0
    log_a3 = -(r + x) * np.log(alpha + T)
    # b + x - 1 may be <= 0 only where x = 0, and those rows do not use this term.
    bx1 = np.where(repeat, b + x - 1, 1.0)
    log_a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    log_bracket = np.logaddexp(log_a3, log_a4)
    ll: FloatArray = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x)
        - betaln(a, b)
        + log_bracket
    )
    if not with_gradient:
        return ll
    p3 = np.exp(log_a3 - log_bracket)
    p4 = np.exp(log_a4 - log_bracket)
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - p3 * np.log(alpha + T)
        - p4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (p3 / (alpha + T) + p4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + p4 / a
    d_b = digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b) - p4 / bx1
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


def log_likelihood(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total (weighted) log-likelihood of ``params`` on a population."""
    x, t_x, T = _inputs(x, t_x, T)
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    ll = _log_likelihoods(params.r, params.alpha, params.a, params.b, x, t_x, T)
    return float(np.dot(weights, ll))


def _starting_point(x: FloatArray, T: FloatArray, weights: FloatArray) -> FloatArray:
    # r = a = b = 1 and alpha matching the observed purchase rate (r / alpha = purchases per unit
    # of time): close enough that L-BFGS-B converges in a few dozen steps.
    rate = np.dot(weights, x) / np.dot(weights, T)
    alpha = 1.0 / rate if rate > 0 else float(np.dot(weights, T) / weights.sum())
    return np.log([1.0, alpha, 1.0, 1.0])


def fit(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for a population (optionally collapsed rows
    with their ``weights``)."""
    x, t_x, T = _inputs(x, t_x, T)
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != x.shape or np.any(weights < 0):
        raise ValueError("weights are counts >= 0, one per row.")
    n_customers = round(weights.sum())
    n_repeat = round(weights[x > 0].sum())
    if n_repeat < min_repeat_customers:
        return BgNbdFit(
            params=None,
            log_likelihood=None,
            converged=False,
            n_customers=n_customers,
            n_repeat_customers=n_repeat,
            message=(
                f"Too little data: {n_repeat} repeat customers, "
                f"the model needs at least {min_repeat_customers}."
            ),
        )
    total = weights.sum()

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        r, alpha, a, b = params.tolist()
        ll, grad = weighted_totals(
            lambda x, t_x, T: _log_likelihoods(r, alpha, a, b, x, t_x, T, with_gradient=True),
            weights,
            x,
            t_x,
            T,
        )
        value = -ll / total
        if not np.isfinite(value):
            return np.inf, np.zeros(4)
        # d/d log θ = θ * d/dθ
        return value, -grad * params / total

    result, converged = minimize_bounded(
        objective, _starting_point(x, T, weights), log_bound=_LOG_BOUND
    )
    at_bound = np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6)
    converged = converged and not bool(at_bound)
    params = BgNbdParams(*np.exp(result.x).tolist())
    if converged:
        message = "Converged."
    elif at_bound:
        message = "Did not converge: a parameter ran to its bound (degenerate data)."
    else:
        message = f"Did not converge after {result.nit} iterations: {result.message}"
    return BgNbdFit(
        params=params if converged else None,
        log_likelihood=float(-result.fun * total) if converged else None,
        converged=converged,
        n_customers=n_customers,
        n_repeat_customers=n_repeat,
        message=message,
    )


def expected_purchases(
    params: BgNbdParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[purchases in the next ``t`` time units | x, t_x, T] (FHL 2005, eq. 10).

    ``t`` is a scalar, one value per customer, or a column (shape (k, 1)) of horizons that
    broadcasts to a (k, customers) table."""
    x, t_x, T = _inputs(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t = np.asarray(t, dtype=float)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail: FloatArray = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return head * tail / _alive_odds_denominator(params, x, t_x, T)


def probability_alive(
    params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(still a customer | x, t_x, T); 1 for customers without repeat purchases."""
    x, t_x, T = _inputs(x, t_x, T)
    return 1 / _alive_odds_denominator(params, x, t_x, T)


def _alive_odds_denominator(
    params: BgNbdParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    bx1 = np.where(repeat, b + x - 1, 1.0)
    log_odds = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return 1 + np.where(repeat, np.exp(log_odds), 0.0)
