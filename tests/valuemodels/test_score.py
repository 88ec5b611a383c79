from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import percentileofscore

from valuemodels import score
from valuemodels.ranking import percentile_ranks

NAN = float("nan")


def components(historical, future, loyalty, influence):
    return {
        score.HISTORICAL: historical,
        score.FUTURE: future,
        score.LOYALTY: loyalty,
        score.INFLUENCE: influence,
    }


def test_percentile_ranks_average_ties():
    assert percentile_ranks([10, 20, 30, 40]).tolist() == [12.5, 37.5, 62.5, 87.5]
    assert percentile_ranks([1, 1, 2]).tolist() == pytest.approx([100 / 3, 100 / 3, 250 / 3])
    assert percentile_ranks([5, 5, 5]).tolist() == [50, 50, 50]


def test_percentile_ranks_are_scipys_mean_kind():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    assert percentile_ranks(values).tolist() == pytest.approx(
        [percentileofscore(values, v, kind="mean") for v in values]
    )


def test_percentile_ranks_leave_out_missing_values():
    assert percentile_ranks([10, NAN, 20]).tolist() == pytest.approx([25, NAN, 75], nan_ok=True)
    assert np.isnan(percentile_ranks([NAN, NAN])).all()
    assert percentile_ranks([]).tolist() == []


def test_percentile_ranks_against_a_stored_reference():
    reference = [10, 20, 30, 40]
    assert percentile_ranks([20, 25, 50], reference).tolist() == [37.5, 50, 100]


def test_default_weights_are_valid():
    weights = score.validate_weights(score.DEFAULT_WEIGHTS)
    assert weights == {
        "historical": Decimal("0.35"),
        "future": Decimal("0.35"),
        "loyalty": Decimal("0.15"),
        "influence": Decimal("0.15"),
    }


def test_float_weights_are_read_as_written():
    assert sum(score.validate_weights(components(0.35, 0.35, 0.15, 0.15)).values()) == 1


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (components(0.4, 0.4, 0.15, 0.15), "Weights must sum to 1"),
        (components(0.5, 0.5, 0.15, -0.15), "Weights cannot be negative"),
        ({score.HISTORICAL: 0.5, score.FUTURE: 0.5}, "Weights are needed for exactly"),
        ({**components(0.35, 0.35, 0.15, 0.15), "charm": 0}, "Weights are needed for exactly"),
    ],
)
def test_invalid_weights_are_rejected(weights, message):
    with pytest.raises(ValueError, match=message):
        score.validate_weights(weights)


def test_value_score_is_the_weighted_mean_of_percentile_ranks():
    result = score.value_scores(
        components(
            historical=[100, 200, 300, 400],
            future=[400, 300, 200, 100],
            loyalty=[10, 10, 10, 90],
            influence=[0, 0, 0, 500],
        )
    )
    assert result.percentiles[score.HISTORICAL].tolist() == [12.5, 37.5, 62.5, 87.5]
    assert result.percentiles[score.LOYALTY].tolist() == [37.5, 37.5, 37.5, 87.5]
    expected_last = 0.35 * 87.5 + 0.35 * 12.5 + 0.15 * 87.5 + 0.15 * 87.5
    assert result.scores[3] == pytest.approx(expected_last)
    assert result.scores[0] == pytest.approx(0.35 * 12.5 + 0.35 * 87.5 + 0.15 * 37.5 + 0.15 * 37.5)


def test_missing_component_scales_the_other_weights_up():
    result = score.value_scores(
        components(historical=[100, 200], future=[NAN, NAN], loyalty=[50, 50], influence=[0, 0])
    )
    # Without a future value: (0.35 × 75 + 0.15 × 50 + 0.15 × 50) / 0.65 for the second.
    assert result.scores[1] == pytest.approx((0.35 * 75 + 0.15 * 50 + 0.15 * 50) / 0.65)
    empty = score.value_scores(components([NAN], [NAN], [NAN], [NAN]))
    assert np.isnan(empty.scores).all()


def test_customer_scored_later_against_references_matches_the_full_run():
    population = components(
        historical=[100, 250, 250, 900, 40],
        future=[300, 0, 120, 800, 50],
        loyalty=[20, 60, 60, 95, 10],
        influence=[0, 0, 150, 0, 0],
    )
    full = score.value_scores(population)
    later = score.value_scores(
        {key: [values[2]] for key, values in population.items()}, references=population
    )
    assert later.scores.tolist() == [full.scores[2]]


def test_empty_population():
    result = score.value_scores(components([], [], [], []))
    assert result.scores.tolist() == []
    assert (
        score.loyalty_scores(nps_category=[], average_csat=[], orders=[], tenure_days=[]).size == 0
    )


def test_future_value_prefers_the_predicted_clv():
    assert score.future_values([500.0, NAN], [100.0, 200.0]).tolist() == [500, 200]


def test_loyalty_score():
    loyalty = score.loyalty_scores(
        nps_category=["promoter", None, "detractor"],
        average_csat=[5.0, NAN, 3.0],
        orders=[4, 1, 0],
        tenure_days=[1095, 365, 0],
    )
    # (1 + 1 + 0.75 + 1) / 4; (0 + 1/3) / 2; (0 + 0.5 + 0 + 0) / 4
    assert loyalty.tolist() == pytest.approx([93.75, 100 / 6, 12.5])


def test_churn_risk_uses_p_alive_else_the_inactivity_rule():
    risks = score.churn_risks(
        p_alive=[0.727, NAN, NAN, NAN], days_since_last_order=[10, 182.5, 400, NAN]
    )
    assert risks.tolist() == pytest.approx([0.273, 0.5, 1.0, NAN], nan_ok=True)


def test_tiers_top_20_then_next_30_percent():
    scores = [91, 85, 77, 70, 64, 55, 49, 30, 22, 10]
    assert score.tiers(scores).tolist() == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "C"]


def test_tied_scores_share_a_tier():
    # The three 80s beat 60% of customers: a tie straddling the A cut-off goes to B.
    scores = [95, 80, 80, 80, 60, 50, 40, 30, 20, 10]
    assert score.tiers(scores).tolist() == ["A", "B", "B", "B", "B"] + ["C"] * 5
    assert score.tiers([60, 60, 60, 60]).tolist() == ["C", "C", "C", "C"]
    assert score.tiers([]).tolist() == []


def test_tier_shares_are_parameters():
    scores = list(range(10))
    tiers = score.tiers(scores, a_share=Decimal("0.1"), b_share=Decimal("0.4"))
    assert tiers.tolist() == ["C"] * 5 + ["B"] * 4 + ["A"]


def test_tier_shares_may_leave_a_tier_empty():
    scores = list(range(10))
    assert score.tiers(scores, a_share=Decimal("0.2"), b_share=Decimal("0.8")).tolist() == (
        ["B"] * 8 + ["A"] * 2
    )
    assert score.tiers(scores, a_share=0, b_share=Decimal("0.3")).tolist() == (
        ["C"] * 7 + ["B"] * 3
    )


@pytest.mark.parametrize(("a_share", "b_share"), [(-0.1, 0.3), (0.6, 0.5), (0.2, -0.1)])
def test_invalid_tier_shares_are_rejected(a_share, b_share):
    with pytest.raises(ValueError, match="Tier shares cannot be negative"):
        score.tier_cutoffs([1, 2, 3], a_share=a_share, b_share=b_share)


def test_a_later_customer_gets_the_tier_of_the_stored_cutoffs():
    scores = [91, 85, 77, 70, 64, 55, 49, 30, 22, 10]
    cutoffs = score.tier_cutoffs(scores)
    # The last C and the last B: a score must beat a cut-off to pass it.
    assert cutoffs.tolist() == [55, 77]
    assert score.tiers_against_cutoffs([85, 77, 77.5, 55, 56, 0], cutoffs).tolist() == [
        "A",
        "B",
        "A",
        "C",
        "B",
        "C",
    ]


def test_explain_orders_components_by_contribution():
    explanation = score.explain(
        score=86.6,
        values=components(2000.0, 5300.0, 72.5, 0.0),
        percentiles=components(94.0, 81.4, 88.0, 45.0),
    )
    assert explanation.score == 87
    assert [(c.key, c.percentile) for c in explanation.components] == [
        ("historical", 94),
        ("future", 81),
        ("loyalty", 88),
        ("influence", 45),
    ]
    first = explanation.components[0]
    assert first.value == 2000.0
    assert first.weight == Decimal("0.35")
    assert first.points == pytest.approx(0.35 * 94)


def test_explain_puts_components_without_data_last():
    explanation = score.explain(
        score=80.0,
        values=components(2000.0, None, 70.0, 0.0),
        percentiles=components(94.0, NAN, 60.0, 45.0),
    )
    last = explanation.components[-1]
    assert (last.key, last.percentile, last.points) == ("future", None, 0.0)
    assert explanation.components[0].points == pytest.approx(0.35 / 0.65 * 94)
    assert (
        score.explain(score=NAN, values={}, percentiles=components(NAN, NAN, NAN, NAN)).score
        is None
    )


maybe_value = st.one_of(st.floats(-1e6, 1e6), st.just(NAN))


@given(st.lists(st.tuples(maybe_value, maybe_value, maybe_value, maybe_value), min_size=1))
def test_value_scores_stay_between_0_and_100(rows):
    result = score.value_scores(components(*(list(column) for column in zip(*rows, strict=True))))
    scored = result.scores[~np.isnan(result.scores)]
    assert np.all((scored >= 0) & (scored <= 100))


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_percentile_ranks_are_monotone_in_value(values):
    ranks = percentile_ranks(values)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(ranks[order]) >= 0)
    assert np.all((ranks > 0) & (ranks < 100))
