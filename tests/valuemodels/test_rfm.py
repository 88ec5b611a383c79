import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuemodels import rfm


def brute_force_scores(values, reverse=False):
    """1 + floor(5 * share strictly worse), capped at 5, by counting."""
    n = len(values)
    worse = [sum((w > v) if reverse else (w < v) for w in values) for v in values]
    return [min(5, 1 + (5 * k) // n) for k in worse]


def test_distinct_values_fill_the_quintiles_evenly():
    scores = rfm.quintile_scores(range(1, 11))
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_recency_is_reversed_most_recent_scores_5():
    days_since_last_order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    scores = rfm.quintile_scores(days_since_last_order, reverse=True)
    assert scores.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_ties_share_a_score_ranked_by_value_not_by_row_position():
    # Six one-time buyers: nobody is below them, so they all score 1 whatever their row.
    orders = [1, 2, 1, 1, 10, 1, 3, 1, 2, 1]
    assert rfm.quintile_scores(orders).tolist() == [1, 4, 1, 1, 5, 1, 5, 1, 4, 1]


def test_all_equal_values_score_1():
    assert rfm.quintile_scores([7, 7, 7, 7]).tolist() == [1, 1, 1, 1]
    assert rfm.quintile_scores([7, 7, 7, 7], reverse=True).tolist() == [1, 1, 1, 1]


def test_empty_population():
    assert rfm.quintile_scores([]).tolist() == []
    with pytest.raises(ValueError, match="at least one value"):
        rfm.quintile_cutoffs([])


def test_single_customer_scores_1():
    assert rfm.quintile_scores([120.5]).tolist() == [1]


def test_nan_is_rejected():
    with pytest.raises(ValueError, match="must not contain NaN"):
        rfm.quintile_scores([1.0, float("nan")])


def test_cutoffs_are_population_values_at_each_quintile():
    assert rfm.quintile_cutoffs(range(1, 11)).tolist() == [2, 4, 6, 8]
    assert rfm.quintile_cutoffs(range(1, 11), reverse=True).tolist() == [9, 7, 5, 3]
    # 3/5 of 5 customers is exactly the third one, not the fourth.
    assert rfm.quintile_cutoffs([10, 20, 30, 40, 50]).tolist() == [10, 20, 30, 40]


def test_a_later_customer_scores_against_stored_cutoffs():
    cutoffs = rfm.quintile_cutoffs(range(1, 11))
    assert rfm.score_against_cutoffs([0, 2, 2.5, 4.5, 8, 8.01, 100], cutoffs).tolist() == [
        1,
        1,
        2,
        3,
        4,
        5,
        5,
    ]
    reversed_cutoffs = rfm.quintile_cutoffs(range(1, 11), reverse=True)
    assert rfm.score_against_cutoffs([0, 3, 9.5, 365], reversed_cutoffs, reverse=True).tolist() == [
        5,
        4,
        1,
        1,
    ]


def test_cutoffs_must_run_from_worst_to_best():
    with pytest.raises(ValueError, match="must run from worst to best"):
        rfm.score_against_cutoffs([1], [4, 3, 2, 1])


def test_rfm_scores_of_a_population():
    recency = [5, 40, 200, 15, 90]
    frequency = [8, 3, 1, 5, 1]
    monetary = [900.0, 250.0, 40.0, 500.0, 60.0]
    cutoffs = rfm.rfm_cutoffs(recency=recency, frequency=frequency, monetary=monetary)
    r, f, m = rfm.rfm_scores(
        recency=recency, frequency=frequency, monetary=monetary, cutoffs=cutoffs
    )
    assert r.tolist() == [5, 3, 1, 4, 2]
    assert f.tolist() == [5, 3, 1, 4, 1]
    assert m.tolist() == [5, 3, 1, 4, 2]
    assert rfm.segments(r, f, m).tolist() == [
        "champions",
        "need_attention",
        "lost",
        "loyal",
        "hibernating",
    ]


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (5, 4, 3, "champions"),  # FM = 3.5 rounds up to 4
        (4, 5, 5, "loyal"),
        (3, 4, 4, "loyal"),
        (5, 2, 3, "potential_loyalist"),
        (5, 1, 1, "new"),
        (4, 1, 1, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 2, "about_to_sleep"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cannot_lose"),
        (2, 1, 2, "hibernating"),
        (1, 1, 1, "lost"),
    ],
)
def test_segment_map(r, f, m, segment):
    assert rfm.segments(r, f, m) == segment


def test_segment_map_has_all_11_segments_and_covers_every_cell():
    cells = [segment for row in rfm.SEGMENT_GRID.values() for segment in row]
    assert sorted(rfm.SEGMENT_GRID) == [1, 2, 3, 4, 5]
    assert len(cells) == 25
    assert set(cells) == {slug for slug, _ in rfm.SEGMENTS}
    assert len(rfm.SEGMENTS) == 11


def test_segment_scores_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="RFM scores run from 1 to 5"):
        rfm.segments(0, 3, 3)


def test_methodology_page_shows_the_same_segment_grid():
    page = (Path(__file__).resolve().parents[2] / "docs" / "methodology.md").read_text(
        encoding="utf-8"
    )
    names = {name: slug for slug, name in rfm.SEGMENTS}
    rows = {}
    for line in page.splitlines():
        match = re.match(r"\|\s*\*\*R (\d)\*\*\s*\|(.*)\|\s*$", line)
        if match:
            rows[int(match.group(1))] = tuple(
                names[cell.strip()] for cell in match.group(2).split("|")
            )
    assert rows == rfm.SEGMENT_GRID


populations = st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=60)


@settings(max_examples=200)
@given(populations, st.booleans())
def test_scores_follow_the_rule_and_are_monotone_in_value(values, reverse):
    scores = rfm.quintile_scores(values, reverse=reverse)
    assert scores.tolist() == brute_force_scores(values, reverse)
    order = np.argsort(values, kind="stable")
    ordered = scores[order]
    assert np.all(np.diff(ordered) <= 0) if reverse else np.all(np.diff(ordered) >= 0)


@settings(max_examples=200)
@given(populations, st.booleans(), st.data())
def test_stored_cutoffs_reproduce_the_full_run(values, reverse, data):
    full = rfm.quintile_scores(values, reverse=reverse)
    cutoffs = rfm.quintile_cutoffs(values, reverse=reverse)
    i = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    later = rfm.score_against_cutoffs([values[i]], cutoffs, reverse=reverse)
    assert later.tolist() == [full[i]]


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=40))
def test_reverse_scores_the_negated_values(values):
    assert (
        rfm.quintile_scores(values, reverse=True).tolist()
        == rfm.quintile_scores([-v for v in values]).tolist()
    )
