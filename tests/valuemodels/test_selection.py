"""Exact order statistics over chunks (valuemodels/selection.py): whatever the values and
however they are split, the selected values are those of the sorted population, and the
quantiles read from them are np.quantile's to the bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuemodels import selection

PROBABILITIES = np.linspace(0, 1, 1001)


def _select(chunks, ranks, columns=("v",)):
    """Every round of a selection, the chunks answering in turn; also the rounds made."""
    state = selection.start(columns)
    rounds = 0
    while not selection.done(state):
        asked = selection.query(state)
        answers = (selection.part(dict.fromkeys(columns, chunk), asked) for chunk in chunks)
        state = selection.advance(state, answers, lambda _name, n: ranks(n))
        rounds += 1
    return state, rounds


def _sorted(chunks):
    values = np.concatenate([np.zeros(0), *chunks])
    return np.sort(values[~np.isnan(values)])


def _split(values, cuts):
    return np.split(np.asarray(values, dtype=float), sorted({min(c, len(values)) for c in cuts}))


values = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1.0, 2.0, 100.0, 0.1, -5.5]),  # ties
        st.integers(min_value=-1000, max_value=1000).map(float),
    ),
    max_size=300,
)
cuts = st.lists(st.integers(min_value=0, max_value=300), max_size=6)


@settings(max_examples=200, deadline=None)
@given(values, cuts, st.data())
def test_the_selected_values_are_those_of_the_sorted_population(values, cuts, data):
    chunks = _split(values, cuts)
    ordered = _sorted(chunks)
    wanted = data.draw(st.lists(st.integers(0, max(len(ordered) - 1, 0)), max_size=10))
    state, _rounds = _select(chunks, lambda n: [r for r in wanted if r < n])
    n, value_at = selection.selected(state, "v")
    assert n == len(ordered)
    for rank, value in value_at.items():
        assert value == ordered[rank]


@settings(max_examples=100, deadline=None)
@given(values, cuts)
def test_quantiles_from_the_selection_are_np_quantile_exactly(values, cuts):
    chunks = _split(values, cuts)
    ordered = _sorted(chunks)
    if not ordered.size:
        return
    state, _rounds = _select(chunks, lambda n: selection.quantile_ranks(n, PROBABILITIES))
    n, value_at = selection.selected(state, "v")
    with np.errstate(invalid="ignore"):
        got = selection.quantiles(n, PROBABILITIES, value_at)
        expected = np.quantile(ordered, PROBABILITIES)
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("n", [1, 2, 3, 999, 1000, 1001, 1002, 2003, 12345])
def test_quantile_ranks_of_tiny_and_odd_populations(n):
    rng = np.random.default_rng(n)
    ordered = np.sort(rng.lognormal(size=n) * 100)
    ranks = selection.quantile_ranks(n, PROBABILITIES)
    assert set(ranks) <= set(range(n))
    got = selection.quantiles(n, PROBABILITIES, {r: ordered[r] for r in ranks})
    assert np.array_equal(got, np.quantile(ordered, PROBABILITIES))
    assert np.array_equal(
        selection.quantiles(n, [0.5], {r: ordered[r] for r in selection.quantile_ranks(n, [0.5])}),
        [np.percentile(ordered, 50)],
    )


def test_all_equal_values():
    chunks = [np.full(40, 7.25), np.full(3, 7.25), np.zeros(0)]
    state, rounds = _select(chunks, lambda n: range(n))
    n, value_at = selection.selected(state, "v")
    assert n == 43
    assert set(value_at.values()) == {7.25}
    assert rounds == 2


def test_nan_is_no_value_and_a_column_of_nothing_selects_nothing():
    state, rounds = _select([np.array([np.nan, np.nan]), np.zeros(0)], lambda n: range(n))
    assert selection.selected(state, "v") == (0, {})
    assert rounds == 1
    state, _rounds = _select([np.array([np.nan, 3.0, np.nan]), np.array([1.0])], lambda n: range(n))
    assert selection.selected(state, "v") == (2, {0: 1.0, 1: 3.0})


def test_zeros_of_both_signs_and_infinities_keep_their_order():
    chunks = [np.array([0.0, np.inf, -0.0]), np.array([-np.inf, -1e-300, 1e-300])]
    state, _rounds = _select(chunks, lambda n: range(n))
    found = [selection.selected(state, "v")[1][r] for r in range(6)]
    assert found == [-np.inf, -1e-300, -0.0, 0.0, 1e-300, np.inf]
    assert [np.signbit(v) for v in found[2:4]] == [True, False]


def test_keys_sort_as_the_floats_and_give_them_back():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=1000) * 10.0 ** rng.integers(-300, 300, 1000), [0.0]])
    keys = selection.keys(values)
    assert np.array_equal(np.argsort(keys, kind="stable"), np.argsort(values, kind="stable"))
    assert np.array_equal(selection.floats(keys), values)


def test_a_wanted_rank_on_a_bucket_boundary(monkeypatch):
    """Ranks that are the last value of one bucket and the first of the next: 1.0 and 2.0
    start buckets of the first round (a binade, at any number of bits)."""
    chunks = [np.array([1.0] * 5 + [2.0] * 5), np.array([np.nextafter(2.0, 0)] * 3)]
    ordered = _sorted(chunks)
    for cells in (2**20, 2**4):
        monkeypatch.setattr(selection, "CELLS", cells)
        state, _rounds = _select(chunks, lambda n: [4, 5, 7, 8, 12])
        assert selection.selected(state, "v")[1] == {r: ordered[r] for r in (4, 5, 7, 8, 12)}


@settings(max_examples=60, deadline=None)
@given(values, cuts, st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=8))
def test_crowded_buckets_are_counted_again_on_the_next_bits(values, cuts, cell_bits, candidates):
    """With few counters and few values allowed per value round, the selection makes more
    counting rounds, down to the whole key if need be, and still finds the same values."""
    chunks = _split(values, cuts)
    ordered = _sorted(chunks)
    old = selection.CELLS, selection.CANDIDATES
    selection.CELLS, selection.CANDIDATES = 2**cell_bits, candidates
    try:
        state, rounds = _select(chunks, lambda n: range(n))
    finally:
        selection.CELLS, selection.CANDIDATES = old
    n, value_at = selection.selected(state, "v")
    assert [value_at[r] for r in range(n)] == ordered.tolist()
    assert rounds <= 1 + 64  # at least a bit of the key a round


def test_each_round_holds_bounded_counts_whatever_the_population(monkeypatch):
    """Counters per column never exceed CELLS; a value round never merges more distinct
    values than CANDIDATES, however many values share the wanted buckets."""
    monkeypatch.setattr(selection, "CELLS", 2**10)
    monkeypatch.setattr(selection, "CANDIDATES", 50)
    rng = np.random.default_rng(7)
    chunks = [rng.normal(size=2000).round(3) for _ in range(5)]
    held = []
    advance = selection._merged

    def spy(question, merged, answer):
        merged = advance(question, merged, answer)
        if question["digit"] is None:
            held.append((None, sum(len(kept[0]) for kept in merged)))
        else:
            held.append((question["digit"], len(merged[0])))
        return merged

    monkeypatch.setattr(selection, "_merged", spy)
    state, rounds = _select(chunks, lambda n: selection.quantile_ranks(n, [0.1, 0.5, 0.9]))
    assert rounds > 2
    assert all(size <= 2**10 for digit, size in held if digit is not None)
    assert all(size <= 50 for digit, size in held if digit is None)
    ordered = _sorted(chunks)
    _n, value_at = selection.selected(state, "v")
    assert all(value_at[r] == ordered[r] for r in value_at)


def test_several_columns_in_one_selection():
    rng = np.random.default_rng(11)
    chunks = [rng.normal(size=(300, 2)) for _ in range(3)]
    state = selection.start(["a", "b"])
    while not selection.done(state):
        asked = selection.query(state)
        answers = (selection.part({"a": chunk[:, 0], "b": chunk[:, 1]}, asked) for chunk in chunks)
        state = selection.advance(
            state, answers, lambda name, n: [0, n - 1] if name == "a" else [5]
        )
    both = np.concatenate(chunks)
    assert selection.selected(state, "a")[1] == {0: both[:, 0].min(), 899: both[:, 0].max()}
    assert selection.selected(state, "b")[1] == {5: np.sort(both[:, 1])[5]}


def test_a_rank_outside_the_values_is_refused():
    with pytest.raises(ValueError, match="outside the values"):
        _select([np.array([1.0, 2.0])], lambda n: [n])
