"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Hardie's note "The Gamma-Gamma
Model of Monetary Value"), vectorised (spec §2.5).

Per repeat customer: x = repeat purchases (purchase days after the first) and z̄ = their
average value, the first purchase left out. Transactions of one customer are Gamma(p, nu),
nu ~ Gamma(q, gamma) across customers; the fit maximises the likelihood of z̄ given x:

    f(z̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) * gamma^q z̄^(px-1) x^(px) / (gamma + x z̄)^(px+q)

Rows without repeat purchases or with a non-positive average (real purchase logs contain
zero-value purchases) are left out of the fit.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from . import optimize
from .arrays import ArrayLike, FloatArray
from .distinct import codes
from .optimize import BLOCK_ROWS, blocks, compact_counts, compact_index, dot, minimize_bounded

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
    A row is held as its spend, its weight and a small index into the distinct x; the
    passes go ``block`` rows at a time, so an evaluation's memory does not grow with the
    population and its sums (``optimize.total`` of the blocks') depend on the rows alone."""

    def __init__(
        self, x: FloatArray, z: FloatArray, weights: FloatArray, *, block: int = BLOCK_ROWS
    ):
        self.block = block
        self.total = float(weights.sum())
        self.x_values, x_index = codes(x)
        self.x_weights = np.bincount(x_index, weights=weights, minlength=self.x_values.size)
        self.x_index = compact_index(x_index, self.x_values.size)
        del x_index  # the whole-width index goes before the spend is built
        self.spend = x * z
        self.weights = compact_counts(weights)
        # Σ w ((px-1) log z̄ + px log x) = p * linear_p - Σ w log z̄
        linear_p, constant = [], []
        for rows in blocks(x.size, block):
            x_by_weights = weights[rows] * x[rows]
            log_z = np.log(z[rows])
            linear_p.append(dot(x_by_weights, log_z + np.log(x[rows])))
            constant.append(-dot(weights[rows], log_z))
        self.linear_p = optimize.total(linear_p)
        self.constant = optimize.total(constant)

    def __call__(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        p, q, gamma = params.tolist()
        xs, x_weights, total = self.x_values, self.x_weights, self.total
        px = p * xs
        sums: tuple[list[float], ...] = ([], [], [], [])
        for rows in blocks(self.spend.size, self.block):
            weights = self.weights[rows].astype(float)
            x_by_weights = weights * xs[self.x_index[rows]]
            scale = gamma + self.spend[rows]
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
    if weights.shape != x.shape or np.any(weights < 0):
        raise ValueError("weights are counts >= 0, one per row.")
    used = (x > 0) & (z > 0)
    if not used.all():
        x, z, weights = x[used], z[used], weights[used]
    n_customers = round(weights.sum())
    if n_customers < min_repeat_customers:
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
    objective = _NegativeLogLikelihood(x, z, weights)

    # p = q = 1 and gamma giving the observed mean spend (mean = pgamma / (q - 1) needs q > 1, so
    # start at q = 2).
    mean_spend = np.dot(weights, z) / objective.total
    start = np.log([1.0, 2.0, mean_spend])
    result, converged = minimize_bounded(objective, start, log_bound=_LOG_BOUND)
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
