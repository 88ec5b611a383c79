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

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from . import optimize
from .arrays import ArrayLike, FloatArray, IndexArray
from .columns import MEMORY_ROWS, Columns
from .distinct import codes, distinct
from .optimize import BLOCK_ROWS, Rows, dot, minimize_bounded
from .parallel import split_map

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


def _columns(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if not (x.ndim == 1 and x.shape == t_x.shape == T.shape):
        raise ValueError("x, t_x and T are one-dimensional arrays of the same length.")
    return x, t_x, T


def _check(x: FloatArray, t_x: FloatArray, T: FloatArray) -> None:
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("x counts repeat purchases: whole numbers >= 0.")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("Each customer needs 0 <= t_x <= T.")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("A customer without repeat purchases has t_x = 0.")


def _inputs(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, t_x, T = _columns(x, t_x, T)
    _check(x, t_x, T)
    return x, t_x, T


def collapse(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Collapsed:
    """Identical (x, t_x, T) rows merged into one row with a weight (their count). Round
    t_x and T to whole days before collapsing a daily population."""
    (xs, ts, Ts), counts, inverse = distinct(*_inputs(x, t_x, T))
    return Collapsed(x=xs, t_x=ts, T=Ts, weights=counts, inverse=inverse)


def _log_likelihoods(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-row log-likelihoods.

    L = Γ(r+x) alpha^r / Γ(r) * B(a, b+x) / B(a, b)
        * [(alpha+T)^-(r+x) + 1{x>0} a / (b+x-1) * (alpha+t_x)^-(r+x)]
    The bracket is summed in log-space (logaddexp) so large x and T never underflow."""
    repeat = x > 0
    log_a3 = -(r + x) * np.log(alpha + T)
    # b + x - 1 may be <= 0 only where x = 0, and those rows do not use this term.
    bx1 = np.where(repeat, b + x - 1, 1.0)
    log_a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    ll: FloatArray = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x)
        - betaln(a, b)
        + np.logaddexp(log_a3, log_a4)
    )
    return ll


class _NegativeLogLikelihood:
    """The mean negative log-likelihood of a population and its gradient in log-parameters,
    the fit's objective.

    What does not depend on the parameters is worked out once, so that an evaluation is a
    few passes over the repeat customers' rows. With d = log(a / (b+x-1)) + (r+x) D and
    D = log(alpha+T) - log(alpha+t_x), a row's log-likelihood is
    Γ and B terms of x alone + r log alpha - (r+x) log(alpha+T) + 1{x>0} log(1 + e^d):
    the Γ and B terms are evaluated per distinct x, the (r+x) log(alpha+T) terms added up
    per distinct T, and log(alpha + t) evaluated once per distinct time and looked up.

    The population's ``rows`` (pieces of x, t_x, T and weights) are read twice: for their
    distinct x and times and their totals, then for the indexes of each row. A repeat
    customer's row is held as its weight and three small indexes (into the distinct x and
    times) in ``Columns`` of ``block`` rows, in memory or in a file past ``memory_rows``,
    and an evaluation reads them a block at a time: its memory does not grow with the
    population, and its sums (``optimize.total`` of the blocks') depend on the rows alone."""

    def __init__(
        self, rows: Rows, *, block: int = BLOCK_ROWS, memory_rows: int = MEMORY_ROWS
    ) -> None:
        x_values, times = np.zeros(0), np.zeros(0)
        customers, repeat_customers, used_weights = [], [], []
        rate_x, rate_T = [], []
        narrow_weights = True
        for x, t_x, T, weights in rows():
            _check(x, t_x, T)
            if np.any(weights < 0):
                raise ValueError("weights are counts >= 0, one per row.")
            repeat = x > 0
            customers.append(float(weights.sum()))
            repeat_customers.append(float(weights[repeat].sum()))
            rate_x.append(float(np.dot(weights, x)))
            rate_T.append(float(np.dot(weights, T)))
            used = weights > 0
            x, t_x, T, weights, repeat = x[used], t_x[used], T[used], weights[used], repeat[used]
            used_weights.append(float(weights.sum()))
            narrow_weights = narrow_weights and optimize.survives_float32(weights[repeat])
            x_values = np.union1d(x_values, codes(x)[0])
            times = np.union1d(times, np.union1d(codes(T)[0], codes(t_x)[0]))
        self.n_customers = round(optimize.total(customers))
        self.n_repeat_customers = round(optimize.total(repeat_customers))
        self.total = optimize.total(used_weights)
        self.customers = optimize.total(customers)
        self.sum_x, self.sum_T = optimize.total(rate_x), optimize.total(rate_T)
        self.x_values, self.times = x_values, times
        self.x_weights = np.zeros(x_values.size)
        self.T_weights = np.zeros(times.size)
        self.T_x_weights = np.zeros(times.size)
        x_dtype, time_dtype = optimize.index_dtype(x_values.size), optimize.index_dtype(times.size)
        self.rows = Columns(
            [np.float32 if narrow_weights else np.float64, x_dtype, time_dtype, time_dtype],
            block=block,
            memory_rows=memory_rows,
        )
        for x, t_x, T, weights in rows():
            used = weights > 0
            x, t_x, T, weights = x[used], t_x[used], T[used], weights[used]
            x_index = np.searchsorted(x_values, x)
            T_index = np.searchsorted(times, T)
            self.x_weights += np.bincount(x_index, weights=weights, minlength=x_values.size)
            self.T_weights += np.bincount(T_index, weights=weights, minlength=times.size)
            self.T_x_weights += np.bincount(T_index, weights=weights * x, minlength=times.size)
            repeat = x > 0
            self.rows.append(
                weights[repeat],
                x_index[repeat],
                T_index[repeat],
                np.searchsorted(times, t_x[repeat]),
            )
        self.rows.finish()
        # b + x - 1 for x > 0; x = 0 rows never use it, 1 keeps their entry finite.
        self.repeat_values = self.x_values > 0
        self.b_offset = np.where(self.repeat_values, self.x_values - 1, 0.0)

    def starting_point(self) -> FloatArray:
        """r = a = b = 1 and alpha matching the observed purchase rate (r / alpha = purchases
        per unit of time): close enough that L-BFGS-B converges in a few dozen steps."""
        rate = self.sum_x / self.sum_T if self.sum_T else 0.0
        alpha = 1.0 / rate if rate > 0 else self.sum_T / self.customers
        return np.log([1.0, alpha, 1.0, 1.0])

    def __call__(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        r, alpha, a, b = params.tolist()
        xs, x_weights, total = self.x_values, self.x_weights, self.total
        log_time = np.log(alpha + self.times)
        inverse_time = 1 / (alpha + self.times)
        bx1 = np.where(self.repeat_values, b + self.b_offset, 1.0)
        log_odds = np.log(a) - np.log(bx1)

        w4_by_x = np.zeros(xs.size)
        sums: tuple[list[float], ...] = ([], [], [], [])
        for stored, x_index, T_index, t_x_index in self.rows.blocks():
            weights = stored.astype(float)
            rx = r + xs[x_index]
            D = log_time[T_index] - log_time[t_x_index]
            d = log_odds[x_index] + rx * D
            # log(1 + e^d) through e^-|d|, which never overflows; p4 = e^d / (1 + e^d),
            # the share of the bracket's second term, is 0 where e^-d overflows.
            e = np.exp(-np.abs(d))
            sums[0].append(dot(weights, np.log1p(e)))
            sums[1].append(dot(weights, np.maximum(d, 0.0)))
            with np.errstate(over="ignore"):
                w4 = weights / (1 + np.exp(-d))
            w4_by_x += np.bincount(x_index, weights=w4, minlength=xs.size)
            sums[2].append(dot(w4, D))
            sums[3].append(dot(w4 * rx, inverse_time[T_index] - inverse_time[t_x_index]))
        softplus = optimize.total(sums[0]) + optimize.total(sums[1])
        ll = (
            dot(x_weights, gammaln(r + xs) + betaln(a, b + xs))
            - total * (gammaln(r) + betaln(a, b) - r * np.log(alpha))
            - dot(r * self.T_weights + self.T_x_weights, log_time)
            + softplus
        )
        if not np.isfinite(ll):
            return np.inf, np.zeros(4)
        d_r = (
            dot(x_weights, digamma(r + xs))
            - total * (digamma(r) - np.log(alpha))
            - dot(self.T_weights, log_time)
            + optimize.total(sums[2])
        )
        d_alpha = (
            total * r / alpha
            - dot(r * self.T_weights + self.T_x_weights, inverse_time)
            + optimize.total(sums[3])
        )
        d_a = total * digamma(a + b) - dot(x_weights, digamma(a + b + xs)) + w4_by_x.sum() / a
        d_b = (
            dot(x_weights, digamma(b + xs) - digamma(a + b + xs))
            + total * (digamma(a + b) - digamma(b))
            - dot(w4_by_x, 1 / bx1)
        )
        # d/d log θ = θ * d/dθ
        gradient = np.array([d_r, d_alpha, d_a, d_b]) * params
        return -ll / total, -gradient / total


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
    x, t_x, T = _columns(x, t_x, T)
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != x.shape:
        raise ValueError("weights are counts >= 0, one per row.")
    return fit_rows(optimize.pieces(x, t_x, T, weights), min_repeat_customers=min_repeat_customers)


def fit_rows(
    rows: Rows,
    *,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    memory_rows: int = MEMORY_ROWS,
) -> BgNbdFit:
    """``fit`` of a population given as ``rows``, pieces of (x, t_x, T, weights) read
    again as often as needed (a population too large to hold: see ``Columns``)."""
    objective = _NegativeLogLikelihood(rows, memory_rows=memory_rows)
    n_customers, n_repeat = objective.n_customers, objective.n_repeat_customers
    if n_repeat < min_repeat_customers:
        objective.rows.close()
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
    try:
        result, converged = minimize_bounded(
            objective, objective.starting_point(), log_bound=_LOG_BOUND
        )
    finally:
        objective.rows.close()
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
        log_likelihood=float(-result.fun * objective.total) if converged else None,
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
    broadcasts to a (k, customers) table. For a scalar or a column, the purchase curves
    (most of the work) are evaluated once per distinct (x, T): a million customers have
    tens of thousands. Each customer's figure is the same element-wise arithmetic either
    way, so a customer computed alone gets the very number they get in a population."""
    x, t_x, T = _inputs(x, t_x, T)
    a = params.a
    t = np.asarray(t, dtype=float)
    if t.ndim == 0 or t.shape[-1] == 1:
        (xs, Ts), _counts, pair = distinct(x, T)
        curve = purchase_curves(params, t, xs, Ts)[..., pair]
    else:
        curve = _curve(params, t, x, T)
    head = (a + params.b + x - 1) / (a - 1)
    expected: FloatArray = head * curve / _alive_odds_denominator(params, x, t_x, T)
    return expected


def purchase_curves(params: BgNbdParams, t: ArrayLike, x: ArrayLike, T: ArrayLike) -> FloatArray:
    """The part of eq. 10 that grows with the horizon and does not depend on t_x,
    1 - ((alpha+T) / (alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t / (alpha+T+t)), for each
    horizon of ``t`` (a scalar or a column) and each (x, T) row:
    E[purchases in the next t] = ``history_factor`` * curve."""
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    t = np.asarray(t, dtype=float)
    # Element-wise, so splitting the rows between threads changes no result.
    return np.concatenate(split_map(lambda x, T: _curve(params, t, x, T), x, T), axis=-1)


def history_factor(params: BgNbdParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """(a+b+x-1) / (a-1) * P(alive | x, t_x, T), the factor of eq. 10 that carries the
    customer's history (see ``purchase_curves``)."""
    x, t_x, T = _inputs(x, t_x, T)
    a = params.a
    factor: FloatArray = (
        (a + params.b + x - 1) / (a - 1) / _alive_odds_denominator(params, x, t_x, T)
    )
    return factor


def _curve(params: BgNbdParams, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    curve: FloatArray = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return curve


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
