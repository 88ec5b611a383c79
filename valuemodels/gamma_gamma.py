"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Hardie's note "The Gamma-Gamma
Model of Monetary Value"), vectorised (spec §2.5).

Per repeat customer: x = repeat purchases (purchase days after the first) and z̄ = their
average value, the first purchase left out. Transactions of one customer are Gamma(p, nu),
nu ~ Gamma(q, gamma) across customers; the fit maximises the likelihood of z̄ given x:

    f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) * gamma^q z̄^(px-1) x^(px) / (gamma + x z̄)^(px+q)

Rows without repeat purchases or with a non-positive average (real purchase logs contain
zero-value purchases) are left out of the fit.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from . import optimize
from .arrays import ArrayLike, FloatArray
from .columns import MEMORY_ROWS, Columns
from .distinct import codes
from .optimize import BLOCK_ROWS, Rows, dot, minimize_bounded

MIN_REPEAT_CUSTOMERS = 50
_LOG_BOUND = np.log(1e6)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams | None
    log_likelihood: float | None
    converged: bool
    n_customers: int
    message: str


def _inputs(x: ArrayLike, average_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, z = np.asarray(x, dtype=float), np.asarray(average_value, dtype=float)
    if not (x.ndim == 1 and x.shape == z.shape):
        raise ValueError("x and average_value are one-dimensional arrays of the same length.")
    return x, z


class _NegativeLogLikelihood:
    """The mean negative log-likelihood of the repeat customers and its gradient in
    log-parameters, the fit's objective.

    A row's log-likelihood, with s = x z̄ the customer's repeat spend,
        log Γ(px+q) - log Γ(px) - log Γ(q) + q log gamma + (px-1) log z̄ + px log x
        - (px+q) log(gamma + s),
    is Γ terms of x alone (evaluated per distinct x), terms linear in p and q whose
    factors do not depend on the parameters (added up once), and log(gamma + s): with
    1 / (gamma + s) for the gradient, the only passes over the rows an evaluation makes.

    The population's ``rows`` (pieces of x, z̄ and weights; those without repeat purchases
    or spend are left out) are read twice: for their distinct x and totals, then for each
    row's weight, index into the distinct x and z̄, held in ``Columns`` of ``block`` rows (in
    memory, or in a file past ``memory_rows``). The passes go a block at a time, so an
    evaluation's memory does not grow with the population and its sums (``optimize.total``
    of the blocks') depend on the rows alone."""

    def __init__(
        self, rows: Rows, *, block: int = BLOCK_ROWS, memory_rows: int = MEMORY_ROWS
    ) -> None:
        x_values = np.zeros(0)
        used_weights, spend = [], []
        narrow_weights = True
        for x, z, weights in _used(rows):
            used_weights.append(float(weights.sum()))
            spend.append(float(np.dot(weights, z)))
            narrow_weights = narrow_weights and optimize.survives_float32(weights)
            x_values = np.union1d(x_values, codes(x)[0])
        self.total = optimize.total(used_weights)
        self.spend_total = optimize.total(spend)
        self.x_values = x_values
        self.x_weights = np.zeros(x_values.size)
        self.rows = Columns(
            [
                np.float32 if narrow_weights else np.float64,
                optimize.index_dtype(x_values.size),
                np.float64,
            ],
            block=block,
            memory_rows=memory_rows,
        )
        for x, z, weights in _used(rows):
            x_index = np.searchsorted(x_values, x)
            self.x_weights += np.bincount(x_index, weights=weights, minlength=x_values.size)
            self.rows.append(weights, x_index, z)
        self.rows.finish()
        # Σ w ((px-1) log z̄ + px log x) = p * linear_p - Σ w log z̄
        linear_p, constant = [], []
        for stored, x_index, z in self.rows.blocks():
            weights, x = stored.astype(float), x_values[x_index]
            log_z = np.log(z)
            linear_p.append(dot(weights * x, log_z + np.log(x)))
            constant.append(-dot(weights, log_z))
        self.linear_p = optimize.total(linear_p)
        self.constant = optimize.total(constant)

    def __call__(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        p, q, gamma = params.tolist()
        xs, x_weights, total = self.x_values, self.x_weights, self.total
        px = p * xs
        sums: tuple[list[float], ...] = ([], [], [], [])
        for stored, x_index, z in self.rows.blocks():
            weights, x = stored.astype(float), xs[x_index]
            x_by_weights = weights * x
            scale = gamma + x * z
            log_scale = np.log(scale)
            sums[0].append(dot(x_by_weights, log_scale))
            sums[1].append(dot(weights, log_scale))
            inverse_scale = 1 / scale
            sums[2].append(dot(x_by_weights, inverse_scale))
            sums[3].append(dot(weights, inverse_scale))
        spend_x, spend_1, inverse_x, inverse_1 = (optimize.total(part) for part in sums)
        ll = (
            dot(x_weights, gammaln(px + q) - gammaln(px))
            - total * (gammaln(q) - q * np.log(gamma))
            + p * self.linear_p
            + self.constant
            - p * spend_x
            - q * spend_1
        )
        if not np.isfinite(ll):
            return np.inf, np.zeros(3)
        d_p = dot(x_weights, xs * (digamma(px + q) - digamma(px))) + self.linear_p - spend_x
        d_q = dot(x_weights, digamma(px + q)) - total * (digamma(q) - np.log(gamma)) - spend_1
        d_gamma = total * q / gamma - p * inverse_x - q * inverse_1
        # d/d log θ = θ * d/dθ
        gradient = np.array([d_p, d_q, d_gamma]) * params
        return -ll / total, -gradient / total


def _used(rows: Rows) -> Iterator[tuple[FloatArray, FloatArray, FloatArray]]:
    """The pieces of ``rows`` without the rows the fit leaves out: no repeat purchase or
    no positive average."""
    for x, z, weights in rows():
        if np.any(weights < 0):
            raise ValueError("weights are counts >= 0, one per row.")
        used = (x > 0) & (z > 0)
        yield (x, z, weights) if used.all() else (x[used], z[used], weights[used])


def fit(
    x: ArrayLike,
    average_value: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> GammaGammaFit:
    """Maximum-likelihood (p, q, gamma) over the repeat customers with a positive average."""
    x, z = _inputs(x, average_value)
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != x.shape:
        raise ValueError("weights are counts >= 0, one per row.")
    return fit_rows(optimize.pieces(x, z, weights), min_repeat_customers=min_repeat_customers)


def fit_rows(
    rows: Rows,
    *,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    memory_rows: int = MEMORY_ROWS,
) -> GammaGammaFit:
    """``fit`` of a population given as ``rows``, pieces of (x, z̄, weights) read again as
    often as needed (a population too large to hold: see ``Columns``)."""
    objective = _NegativeLogLikelihood(rows, memory_rows=memory_rows)
    n_customers = round(objective.total)
    if n_customers < min_repeat_customers:
        objective.rows.close()
        return GammaGammaFit(
            params=None,
            log_likelihood=None,
            converged=False,
            n_customers=n_customers,
            message=(
                f"Too little data: {n_customers} repeat customers with spend, "
                f"the model needs at least {min_repeat_customers}."
            ),
        )
    # p = q = 1 and gamma giving the observed mean spend (mean = pgamma / (q - 1) needs q > 1, so
    # start at q = 2).
    start = np.log([1.0, 2.0, objective.spend_total / objective.total])
    try:
        result, converged = minimize_bounded(objective, start, log_bound=_LOG_BOUND)
    finally:
        objective.rows.close()
    at_bound = np.any(np.abs(result.x) >= _LOG_BOUND - 1e-6)
    infinite_mean = np.exp(result.x[1]) <= 1
    converged = converged and not bool(at_bound)
    if converged and infinite_mean:
        converged = False
        message = "Unusable fit: q <= 1 makes the population's mean spend infinite."
    elif converged:
        message = "Converged."
    elif at_bound:
        message = "Did not converge: a parameter ran to its bound (degenerate data)."
    else:
        message = f"Did not converge after {result.nit} iterations: {result.message}"
    return GammaGammaFit(
        params=GammaGammaParams(*np.exp(result.x).tolist()) if converged else None,
        log_likelihood=float(-result.fun * objective.total) if converged else None,
        converged=converged,
        n_customers=n_customers,
        message=message,
    )


def expected_order_value(
    params: GammaGammaParams, x: ArrayLike, average_value: ArrayLike
) -> FloatArray:
    """E[value of a purchase | x, z̄] = p (gamma + x z̄) / (p x + q - 1): a weighted mean of the
    population mean p gamma / (q - 1) and the customer's own average. A customer without repeat
    purchases gets the population mean; a negative average (refunds) counts as 0."""
    x, z = _inputs(x, average_value)
    p, q, gamma = params.p, params.q, params.gamma
    z = np.where(x > 0, np.maximum(z, 0.0), 0.0)
    return p * (gamma + x * z) / (p * x + q - 1)
