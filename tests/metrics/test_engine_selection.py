"""The references and tier cut-offs a full run stores, selected in rounds from the chunks'
component rows (metrics.engine.finish_statistics, valuemodels/selection.py), are exactly
what the whole population gives: its sorted component values or np.quantile of them, and
score.tier_cutoffs of the buyers' value scores. Pure: no database."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import counted, engine
from valuemodels import rfm
from valuemodels import score as composite

PARAMS = engine.Parameters(weights=composite.DEFAULT_WEIGHTS)


def _whole_population(matrix, params):
    """The rule as it was written before the selection: everything in one array."""
    references = {}
    for i, key in enumerate(composite.COMPONENTS):
        values = np.sort(matrix[:, i][~np.isnan(matrix[:, i])])
        references[key] = (
            values.tolist()
            if values.size <= engine.REFERENCE_POINTS
            else np.quantile(values, np.linspace(0, 1, engine.REFERENCE_POINTS + 1)).tolist()
        )
    columns = {key: matrix[:, i] for i, key in enumerate(composite.COMPONENTS)}
    scores = composite.value_scores(columns, weights=params.weights, references=references).scores
    scores = scores[~np.isnan(scores)]
    tiers = (
        composite.tier_cutoffs(
            scores, a_share=params.tier_a_share, b_share=params.tier_b_share
        ).tolist()
        if scores.size
        else None
    )
    return references, tiers


def _selected(matrix, cuts, params=PARAMS):
    chunks = np.split(matrix, sorted({min(c, len(matrix)) for c in cuts}))
    stats = engine.finish_statistics({}, chunks, params)
    return stats["references"], stats["tiers"]


component = st.one_of(
    st.none(),
    st.sampled_from([0.0, 12.5, 100.0, -40.0]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(component, component, component, component), max_size=60),
    st.lists(st.integers(min_value=0, max_value=60), max_size=5),
)
def test_references_and_tiers_of_small_populations(rows, cuts):
    matrix = np.array(
        [[np.nan if v is None else v for v in row] for row in rows], dtype=float
    ).reshape(-1, 4)
    assert _selected(matrix, cuts) == _whole_population(matrix, PARAMS)


@pytest.mark.parametrize("size", [1001, 1002, 4321])
@pytest.mark.parametrize("seed", [1, 2])
def test_references_and_tiers_of_populations_past_the_reference_points(size, seed):
    rng = np.random.default_rng(seed)
    matrix = np.column_stack(
        [
            rng.normal(500, 300, size).round(2),  # profit, with ties at the cent
            np.where(rng.random(size) < 0.1, np.nan, rng.lognormal(5, 1, size)),
            rng.integers(0, 5, size) * 25.0,  # loyalty: a few values, many ties
            np.where(rng.random(size) < 0.9, 0.0, rng.lognormal(3, 1, size)),  # mostly 0
        ]
    )
    cuts = sorted(rng.integers(0, size, 6).tolist())
    params = engine.Parameters(
        weights=composite.DEFAULT_WEIGHTS, tier_a_share="0.25", tier_b_share="0.35"
    )
    assert _selected(matrix, cuts, params) == _whole_population(matrix, params)


def test_all_equal_components_and_no_buyers():
    matrix = np.full((1500, 4), 3.0)
    assert _selected(matrix, [700]) == _whole_population(matrix, PARAMS)
    references, tiers = _selected(np.zeros((0, 4)), [])
    assert references == {key: [] for key in composite.COMPONENTS}
    assert tiers is None


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=30).map(float), min_size=1, max_size=80),
    st.lists(st.integers(min_value=0, max_value=80), max_size=4),
)
def test_rfm_cutoffs_read_off_value_counts_are_those_of_the_values(values, cuts):
    values = np.array(values)
    merged = counted.Merged(counted.merge_counted, 0)
    for chunk in np.split(values, sorted(set(cuts))):
        merged.add(counted.counted(chunk))
    result = merged.result()
    for reverse in (False, True):
        assert (
            counted.cutoffs(result, rfm.QUINTILES, reverse=reverse)
            == rfm.quintile_cutoffs(values, reverse=reverse).tolist()
        )
