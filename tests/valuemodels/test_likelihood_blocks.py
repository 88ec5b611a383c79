"""The fits' likelihoods evaluated a block of rows at a time (issue 14, a bounded fits'
reduce): the same value and gradient as the whole rows in one block, whatever the number of
rows around the block boundaries and whatever the weights."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuemodels import bgnbd, gamma_gamma, optimize

# Rows near multiples of the block size: one short of, on, and one past a boundary.
blocks_and_rows = st.tuples(
    st.integers(min_value=1, max_value=9),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=-1, max_value=1),
).map(lambda drawn: (drawn[0], max(drawn[0] * drawn[1] + drawn[2], 1)))


def _histories(rows, seed):
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 400, rows).astype(float)
    x = rng.integers(0, 12, rows).astype(float) * (rng.random(rows) < 0.7)
    t_x = np.where(x > 0, np.floor(rng.random(rows) * (T + 1)), 0.0)
    # Weights as merged rows carry them: counts, some rows weighing nothing.
    weights = rng.integers(0, 5, rows).astype(float)
    weights[0] = 1
    return x, t_x, T, weights


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks_and_rows,
    st.integers(min_value=0, max_value=2**32 - 1),
    st.lists(st.floats(min_value=-2, max_value=2), min_size=4, max_size=4),
)
def test_bgnbd_blocks_give_the_whole_rows_value_and_gradient(block_rows, seed, log_params):
    block, rows = block_rows
    x, t_x, T, weights = _histories(rows, seed)
    log_params = np.array(log_params)
    whole = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights), block=rows)(
        log_params
    )
    blocked = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights), block=block)(
        log_params
    )
    assert blocked[0] == pytest.approx(whole[0], rel=1e-12)
    assert blocked[1] == pytest.approx(whole[1], rel=1e-10, abs=1e-13)


@settings(max_examples=60, deadline=None)
@given(
    blocks_and_rows,
    st.integers(min_value=0, max_value=2**32 - 1),
    st.lists(st.floats(min_value=-3, max_value=3), min_size=3, max_size=3),
)
def test_gamma_gamma_blocks_give_the_whole_rows_value_and_gradient(block_rows, seed, log_params):
    block, rows = block_rows
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 40, rows).astype(float)
    z = np.round(rng.uniform(0.01, 5000, rows), 2)
    weights = rng.integers(0, 5, rows).astype(float)
    weights[0] = 1
    log_params = np.array(log_params)
    whole = gamma_gamma._NegativeLogLikelihood(optimize.pieces(x, z, weights), block=rows)(
        log_params
    )
    blocked = gamma_gamma._NegativeLogLikelihood(optimize.pieces(x, z, weights), block=block)(
        log_params
    )
    assert blocked[0] == pytest.approx(whole[0], rel=1e-12)
    assert blocked[1] == pytest.approx(whole[1], rel=1e-10, abs=1e-13)


def test_one_block_is_the_whole_rows_to_the_bit():
    x, t_x, T, weights = _histories(500, seed=7)
    log_params = np.log([0.3, 5.0, 0.8, 2.5])
    one = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights), block=500)(log_params)
    default = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights))(log_params)
    assert one[0] == default[0]
    assert one[1].tolist() == default[1].tolist()


@pytest.mark.parametrize("weight", [2.0**24 + 1, 0.1])
def test_weights_float32_cannot_hold_are_kept_exactly(weight):
    x, t_x, T, weights = _histories(300, seed=3)
    weights[x > 0] = weight
    objective = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights))
    stored = objective.rows.arrays()[0]
    assert stored.dtype == np.float64
    assert stored.tolist() == weights[x > 0].tolist()


def test_counts_and_indexes_are_held_narrow():
    x, t_x, T, weights = _histories(1000, seed=5)
    objective = bgnbd._NegativeLogLikelihood(optimize.pieces(x, t_x, T, weights))
    weights_held, x_index, T_index, t_x_index = objective.rows.dtypes
    assert weights_held == np.float32
    assert x_index == np.uint8
    assert T_index == t_x_index == np.uint16


def test_blocks_cover_the_rows_in_order():
    assert optimize.blocks(0, 4) == []
    assert optimize.blocks(9, 4) == [slice(0, 4), slice(4, 8), slice(8, 9)]
    assert optimize.blocks(8, 4) == [slice(0, 4), slice(4, 8)]
