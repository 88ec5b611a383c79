"""The fits' reduce merges the chunks' statistics as it reads them (metrics.engine.fit_inputs,
metrics.counted): the merged value counts, weighted unique rows and totals, hence the stats,
are the same whichever way the customers were split into chunks, whenever the waiting parts
were merged into runs, however many runs were merged at a time and whether they were held in
memory or in files. Pure: no database."""

from contextlib import contextmanager
from datetime import date
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import counted, engine
from valuemodels import bgnbd, columns, gamma_gamma
from valuemodels import score as composite

AS_OF = date(2026, 11, 1)
PARAMS = engine.Parameters(weights=composite.DEFAULT_WEIGHTS)


def _inputs(size, seed):
    """Customers with whole-day histories and order values in cents, some without orders."""
    rng = np.random.default_rng(seed)
    today = engine.day_number(AS_OF)
    orders = rng.integers(0, 6, size).astype(float)
    purchase_days = np.minimum(orders, rng.integers(1, 6, size))
    first = today - rng.integers(1, 900, size).astype(float)
    last = np.where(purchase_days > 1, first + np.floor(rng.random(size) * (today - first)), first)
    revenue = orders * rng.integers(100, 20_000, size) / 100
    nan = np.full(size, np.nan)
    has = orders > 0
    return engine.CustomerInputs(
        as_of=AS_OF,
        customer_id=np.arange(size),
        columns={
            "orders": orders,
            "purchase_days": np.where(has, purchase_days, 0.0),
            "first_order": np.where(has, first, nan),
            "last_order": np.where(has, last, nan),
            "revenue": revenue,
            "repeat_value": np.round(revenue * rng.random(size), 2) * (purchase_days > 1),
            "cost_of_goods": np.round(revenue * 0.6, 2),
            "acquisition_cost": rng.integers(0, 3, size) * 12.5,
            "churned": rng.random(size) < 0.05,
        },
    )


def _bgnbd_inputs(size, seed):
    """Customers whose purchases follow BG/NBD itself (rate r 0.6, alpha 25 a day; dropout
    a 0.8, b 2.5 after each repeat purchase), so that both fits have a clear optimum. On
    ``_inputs``' histories nobody drops out: a and b run to their bounds or stop just
    short of them, depending on the last bits of the machine's arithmetic."""
    rng = np.random.default_rng(seed)
    today = engine.day_number(AS_OF)
    age = rng.integers(30, 900, size)  # days since the first purchase
    rate = rng.gamma(0.6, 1 / 25, size)
    dropout = rng.beta(0.8, 2.5, size)
    repeats = np.zeros(size, dtype=int)
    last = np.zeros(size)  # the last purchase, in days after the first
    now = np.zeros(size)
    alive = np.ones(size, dtype=bool)
    while alive.any():
        now = now + rng.exponential(1, size) / rate
        bought = alive & (np.ceil(now) < age)
        repeats += bought
        last = np.where(bought, np.ceil(now), last)
        alive = bought & (rng.random(size) >= dropout)
    first = today - age.astype(float)
    orders = (repeats + 1).astype(float)
    revenue = orders * rng.integers(100, 20_000, size) / 100
    return engine.CustomerInputs(
        as_of=AS_OF,
        customer_id=np.arange(size),
        columns={
            "orders": orders,
            "purchase_days": orders,
            "first_order": first,
            "last_order": first + last,
            "revenue": revenue,
            "repeat_value": np.round(revenue * repeats / orders, 2),
            "cost_of_goods": np.round(revenue * 0.6, 2),
            "acquisition_cost": rng.integers(0, 3, size) * 12.5,
            "churned": rng.random(size) < 0.05,
        },
    )


def _chunk(inputs, rows):
    return engine.CustomerInputs(
        as_of=inputs.as_of,
        customer_id=inputs.customer_id[rows],
        columns={key: column[rows] for key, column in inputs.columns.items()},
    )


def _merged(inputs, cuts):
    bounds = [0, *sorted({min(cut, len(inputs)) for cut in cuts}), len(inputs)]
    parts = (
        engine.chunk_statistics(_chunk(inputs, slice(lo, hi)), PARAMS)
        for lo, hi in pairwise(bounds)
    )
    return engine.fit_inputs(parts)


def _as_lists(merged):
    return {
        key: [array.tolist() for array in value.arrays()]
        if isinstance(value, counted.Counted)
        else value
        for key, value in merged.items()
    }


@contextmanager
def small_runs(run, fan_in, memory_rows):
    """Runs of ``run`` entries, merged ``fan_in`` at a time, read three entries at a time,
    in files past ``memory_rows`` entries: every path of the merge on small populations."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counted, "RUN", run)
        patch.setattr(counted, "FAN_IN", fan_in)
        patch.setattr(counted, "RUN_BLOCK", 3)
        patch.setattr(counted, "MEMORY_ROWS", memory_rows)
        yield


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    st.sampled_from([1, 7, 2**18]),
    st.sampled_from([2, 3, 16]),
    st.sampled_from([0, 12, 2**20]),
)
def test_the_merge_is_the_same_in_any_grouping(size, seed, cuts, run, fan_in, memory_rows):
    inputs = _inputs(size, seed)
    whole = _as_lists(_merged(inputs, []))
    with small_runs(run, fan_in, memory_rows):
        split = _as_lists(_merged(inputs, cuts))
    assert split == whole


@pytest.mark.parametrize("memory_rows", [2**20, 0])
def test_the_stats_of_a_split_population_are_those_of_one_chunk(memory_rows):
    inputs = _bgnbd_inputs(3000, seed=11)
    one = engine.fit_statistics([engine.chunk_statistics(inputs, PARAMS)], as_of=AS_OF)
    parts = (
        engine.chunk_statistics(_chunk(inputs, slice(lo, lo + 250)), PARAMS)
        for lo in range(0, 3000, 250)
    )
    # Runs of 500 entries merged three at a time, in files or not.
    with small_runs(500, 3, memory_rows):
        assert engine.fit_statistics(parts, as_of=AS_OF) == one
    assert one["bgnbd"]["converged"]
    assert one["gamma_gamma"]["converged"]


def test_the_fits_read_their_rows_from_files_past_their_share_of_memory(monkeypatch):
    inputs = _bgnbd_inputs(3000, seed=11)
    in_memory = engine.fit_statistics([engine.chunk_statistics(inputs, PARAMS)], as_of=AS_OF)
    spilled = []

    class Spilling(columns.Columns):
        def __init__(self, dtypes, **options):
            super().__init__(dtypes, **{**options, "memory_rows": 0})
            spilled.append(self)

    monkeypatch.setattr(bgnbd, "Columns", Spilling)
    monkeypatch.setattr(gamma_gamma, "Columns", Spilling)
    stats = engine.fit_statistics([engine.chunk_statistics(inputs, PARAMS)], as_of=AS_OF)
    assert len(spilled) == 2
    assert stats == in_memory


def test_whole_days_and_counts_are_held_narrow_and_money_exactly():
    merged = _merged(_inputs(2000, seed=4), [500, 1200])
    assert merged["bgnbd"].dtype == np.float32
    assert merged["gamma_gamma"].dtype == np.float64  # averages of money
    assert merged["revenue"].dtype == np.float64
    rows, weights = merged["bgnbd"].arrays()
    assert rows.dtype == np.float32
    assert weights.dtype == np.int32


@pytest.mark.parametrize("count", [2**31 - 1, 2**31])
def test_counts_beyond_int32_stay_int64(count):
    assert counted.narrow_counts(np.array([count])).tolist() == [count]


cell = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -2.5, np.nan]), st.integers(-3, 5).map(float))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(cell, cell), max_size=40),
    st.lists(st.integers(min_value=0, max_value=40), max_size=5),
)
def test_rows_merged_part_by_part_are_those_counted_at_once(rows, cuts):
    rows = np.array(rows, dtype=float).reshape(-1, 2)
    bounds = [0, *sorted({min(cut, len(rows)) for cut in cuts}), len(rows)]
    # Every part a run, merged two at a time, in files past 4 entries.
    with small_runs(1, 2, 4):
        merged = counted.Merged(counted.merge_rows, 2)
        for lo, hi in pairwise(bounds):
            merged.add(counted.counted_rows(rows[lo:hi]))
        got, counts = merged.result().arrays()
    expected, expected_counts = counted.counted_rows(rows)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype
    assert counts.tolist() == expected_counts.tolist()
