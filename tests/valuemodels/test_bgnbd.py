import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from valuemodels import bgnbd, optimize

# Fader, Hardie & Lee (2005) and /work/shared/notes/stack-facts.md.
CDNOW = bgnbd.BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return bgnbd.fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_cdnow_fit_matches_the_paper(cdnow_fit):
    assert cdnow_fit.converged, cdnow_fit.message
    for name in ("r", "alpha", "a", "b"):
        assert getattr(cdnow_fit.params, name) == pytest.approx(getattr(CDNOW, name), rel=0.01)
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.43, abs=0.01)
    assert cdnow_fit.n_customers == 2357
    assert cdnow_fit.n_repeat_customers == 946


def test_collapsed_weighted_rows_give_the_same_fit(cdnow, cdnow_fit):
    rows = bgnbd.collapse(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert rows.x.size < 1100
    collapsed = bgnbd.fit(rows.x, rows.t_x, rows.T, weights=rows.weights)
    assert collapsed.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(collapsed.params, name) == pytest.approx(
            getattr(cdnow_fit.params, name), rel=1e-6
        )
    assert collapsed.log_likelihood == pytest.approx(cdnow_fit.log_likelihood, abs=1e-6)
    assert collapsed.n_customers == 2357


def test_collapse_maps_every_customer_back_to_its_row():
    x, t_x, T = [2, 0, 2, 1, 0], [5.0, 0.0, 5.0, 3.0, 0.0], [10.0, 8.0, 10.0, 10.0, 8.0]
    rows = bgnbd.collapse(x, t_x, T)
    assert rows.weights.tolist() == [2, 1, 2]
    assert rows.x[rows.inverse].tolist() == x
    assert rows.t_x[rows.inverse].tolist() == t_x
    assert rows.T[rows.inverse].tolist() == T


def test_log_likelihood_at_the_paper_parameters(cdnow):
    assert bgnbd.log_likelihood(CDNOW, cdnow["x"], cdnow["t_x"], cdnow["T"]) == pytest.approx(
        -9582.43, abs=0.01
    )


def test_conditional_expectations_of_two_cdnow_customers(cdnow_fit):
    expected = bgnbd.expected_purchases(cdnow_fit.params, 39, [2, 26], [30.43, 30.86], [38.86, 31])
    assert expected[0] == pytest.approx(1.2259, abs=1e-4)
    assert expected[1] == pytest.approx(20.7506, abs=1e-4)
    alive = bgnbd.probability_alive(cdnow_fit.params, [2], [30.43], [38.86])
    assert alive[0] == pytest.approx(0.727, abs=5e-4)


def test_customer_without_repeat_purchases_is_alive(cdnow_fit):
    assert bgnbd.probability_alive(cdnow_fit.params, [0], [0], [38.86]).tolist() == [1.0]


def test_expected_purchases_start_at_zero_and_grow_with_the_horizon(cdnow_fit):
    horizons = np.array([0, 1, 13, 39, 52, 104])[:, None]
    expected = bgnbd.expected_purchases(
        cdnow_fit.params, horizons, [0, 2, 26], [0, 30.43, 30.86], [38.86, 38.86, 31]
    )
    assert expected[0].tolist() == [0, 0, 0]
    assert np.all(np.diff(expected, axis=0) > 0)


def test_too_few_repeat_customers_is_a_result_not_an_exception():
    x = np.r_[np.ones(49), np.zeros(500)]
    t_x = np.r_[np.full(49, 3.0), np.zeros(500)]
    T = np.full(549, 10.0)
    result = bgnbd.fit(x, t_x, T)
    assert not result.converged
    assert result.params is None
    assert result.n_repeat_customers == 49
    assert "49 repeat customers" in result.message


def test_empty_population_is_too_little_data():
    result = bgnbd.fit([], [], [])
    assert not result.converged
    assert result.n_customers == 0


def test_degenerate_data_reports_non_convergence():
    # Every repeat customer bought again on the as-of date: nothing suggests anyone ever
    # drops out, and the likelihood keeps improving as a and b run off to infinity.
    rng = np.random.default_rng(3)
    T = rng.integers(100, 1500, 2000).astype(float)
    x = rng.poisson(5, 2000).astype(float)
    result = bgnbd.fit(x, np.where(x > 0, T, 0), T)
    assert not result.converged
    assert result.params is None
    assert result.message.startswith("Did not converge")


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1], [5], [4], "needs 0 <= t_x <= T"),
        ([0], [2], [4], "without repeat purchases has t_x = 0"),
        ([-1], [0], [4], "whole numbers >= 0"),
        ([1.5], [2], [4], "whole numbers >= 0"),
        ([1, 2], [2], [4], "of the same length"),
    ],
)
def test_impossible_histories_are_rejected(x, t_x, T, message):
    with pytest.raises(ValueError, match=message):
        bgnbd.fit(x, t_x, T)


histories = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),
        st.floats(min_value=0, max_value=1),
        st.integers(min_value=1, max_value=400),
    ),
    min_size=0,
    max_size=150,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_fit_never_raises_on_valid_histories(rows):
    x = np.array([row[0] for row in rows], dtype=float)
    T = np.array([row[2] for row in rows], dtype=float)
    t_x = np.where(x > 0, np.round(np.array([row[1] for row in rows]) * T), 0.0)
    result = bgnbd.fit(x, t_x, T, min_repeat_customers=1)
    if result.converged:
        params = np.array([result.params.r, result.params.alpha, result.params.a, result.params.b])
        assert np.all(np.isfinite(params))
        assert np.all(params > 0)
        assert np.isfinite(result.log_likelihood)
    else:
        assert result.params is None
        assert result.message


# The committed fit before the likelihood was regrouped (per distinct x, T and time): the
# same rows must give the same parameters, to 1e-6 relative.
PREVIOUS_CDNOW_FIT = bgnbd.BgNbdParams(
    r=0.24259290705765965, alpha=4.4135315570516775, a=0.7928861524723586, b=2.4257534551192768
)


def test_cdnow_fit_is_unchanged_by_the_regrouped_likelihood(cdnow_fit):
    for name in ("r", "alpha", "a", "b"):
        assert getattr(cdnow_fit.params, name) == pytest.approx(
            getattr(PREVIOUS_CDNOW_FIT, name), rel=1e-6
        )


def _reference_objective(log_params, x, t_x, T, weights):
    """The objective row by row from the per-row likelihood, gradient by finite differences."""

    def value(log_params):
        ll = bgnbd._log_likelihoods(*np.exp(log_params), x, t_x, T)
        return -np.dot(weights, ll) / weights.sum()

    return value(log_params), approx_fprime(log_params, value, 1e-7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories,
    st.lists(st.floats(min_value=-2, max_value=2), min_size=4, max_size=4),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_objective_and_its_analytic_gradient_match_the_per_row_likelihood(
    rows, log_params, seed
):
    x = np.array([row[0] for row in rows] + [3, 0], dtype=float)
    T = np.array([row[2] for row in rows] + [50, 20], dtype=float)
    t_x = np.where(x > 0, np.round(np.array([row[1] for row in rows] + [0.5, 0]) * T), 0.0)
    # Weights as collapsed rows carry them, some rows weighing nothing.
    weights = np.random.default_rng(seed).integers(0, 4, x.size).astype(float)
    weights[-2:] = 1
    log_params = np.array(log_params)
    value, gradient = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights))(log_params)
    expected_value, numerical_gradient = _reference_objective(log_params, x, t_x, T, weights)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert gradient == pytest.approx(numerical_gradient, rel=1e-4, abs=1e-5)


def test_the_objective_survives_histories_whose_bracket_overflows():
    # x = 400 and t_x far below T: e^d overflows a float, log(1 + e^d) must not.
    x, t_x, T = np.array([400.0, 0.0]), np.array([1.0, 0.0]), np.array([5000.0, 10.0])
    log_params = np.log([2.0, 0.1, 1.0, 1.0])
    value, gradient = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, np.ones(2)))(
        log_params
    )
    expected_value, numerical_gradient = _reference_objective(log_params, x, t_x, T, np.ones(2))
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert gradient == pytest.approx(numerical_gradient, rel=1e-4)


def test_expected_purchases_of_a_population_are_each_customers_alone(cdnow, cdnow_fit):
    # Computed once per distinct (x, T) in a population: the very same numbers.
    x, t_x, T = cdnow["x"][:300], cdnow["t_x"][:300], cdnow["T"][:300]
    horizons = np.array([0.0, 13, 39, 52])[:, None]
    together = bgnbd.expected_purchases(cdnow_fit.params, horizons, x, t_x, T)
    for i in range(0, 300, 7):
        alone = bgnbd.expected_purchases(
            cdnow_fit.params, horizons, x[i : i + 1], t_x[i : i + 1], T[i : i + 1]
        )
        assert together[:, i].tolist() == alone[:, 0].tolist()
    scalar = bgnbd.expected_purchases(cdnow_fit.params, 39, x, t_x, T)
    assert scalar.tolist() == together[2].tolist()


def test_expected_purchases_over_a_horizon_per_customer(cdnow_fit):
    expected = bgnbd.expected_purchases(
        cdnow_fit.params, [39, 13], [2, 2], [30.43, 30.43], [38.86, 38.86]
    )
    assert expected[0] == pytest.approx(1.2259, abs=1e-4)
    assert expected[1] == bgnbd.expected_purchases(cdnow_fit.params, 13, [2], [30.43], [38.86])[0]
