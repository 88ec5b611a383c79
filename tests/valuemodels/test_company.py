from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuemodels import company


@pytest.mark.parametrize(
    ("spend", "new_customers", "expected"),
    [(10000, 50, Decimal("200")), (100000, 500, Decimal("200")), ("1000.00", 3, Decimal("333.33"))],
)
def test_cac(spend, new_customers, expected):
    assert company.cac(spend=spend, new_customers=new_customers) == expected


def test_cac_without_new_customers_is_undefined_not_zero():
    assert company.cac(spend=10000, new_customers=0) is None
    assert company.cac(spend=0, new_customers=0) is None


def test_retention_rate():
    assert company.retention_rate(start=1000, end=1100, new=200) == Decimal("90")


def test_retention_rate_without_customers_at_start_is_undefined():
    assert company.retention_rate(start=0, end=50, new=50) is None


def test_churn_rate():
    assert company.churn_rate(lost=100, start=1000) == Decimal("10")
    assert company.churn_rate(lost=0, start=0) is None


def test_nps_from_counts():
    assert company.nps_from_counts(promoters=50, passives=30, detractors=20) == Decimal("30")


def test_nps_from_scores_matches_the_counts():
    scores = [10] * 25 + [9] * 25 + [8] * 15 + [7] * 15 + [6] * 10 + [0] * 10
    assert company.nps(scores) == Decimal("30")


def test_nps_without_responses_is_undefined():
    assert company.nps([]) is None
    assert company.nps_from_counts(promoters=0, passives=0, detractors=0) is None


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_category(score, category):
    assert company.nps_category(score) == category


@pytest.mark.parametrize("score", [-1, 11, 7.5, None, True])
def test_nps_rejects_answers_off_the_scale(score):
    with pytest.raises(ValueError, match="An NPS answer is a whole number from 0 to 10"):
        company.nps([score])


def test_csat():
    assert company.csat_from_counts(satisfied=80, responses=100) == Decimal("80")
    assert company.csat([5] * 50 + [4] * 30 + [3] * 10 + [2] * 5 + [1] * 5) == Decimal("80")


def test_csat_without_responses_is_undefined():
    assert company.csat([]) is None


@pytest.mark.parametrize("score", [0, 6, 4.5])
def test_csat_rejects_answers_off_the_scale(score):
    with pytest.raises(ValueError, match="A CSAT answer is a whole number from 1 to 5"):
        company.csat([score])


def test_nps_margin_of_error():
    # p_P 0.5, p_D 0.2: variance 0.5 + 0.2 - 0.3² = 0.61; 196 × √(0.61 / 100) = 15.308…
    margin = company.nps_margin_of_error(promoters=50, passives=30, detractors=20)
    assert margin == Decimal("15.31")


def test_csat_margin_of_error():
    # 196 × √(0.8 × 0.2 / 100) = 7.84
    assert company.csat_margin_of_error(satisfied=80, responses=100) == Decimal("7.84")


def test_margins_of_error_without_responses_are_undefined():
    assert company.nps_margin_of_error(promoters=0, passives=0, detractors=0) is None
    assert company.csat_margin_of_error(satisfied=0, responses=0) is None


def test_clv_to_cac():
    assert company.clv_to_cac(average_clv=Decimal("2200"), cac=Decimal("200")) == Decimal("11.0")


def test_clv_to_cac_is_undefined_when_cac_is():
    assert company.clv_to_cac(average_clv=Decimal("2200"), cac=None) is None
    assert company.clv_to_cac(average_clv=Decimal("2200"), cac=Decimal("0")) is None


def test_response_rate():
    assert company.response_rate(responses=30, invitations=120) == Decimal("25")
    assert company.response_rate(responses=0, invitations=0) is None


counts = st.integers(min_value=0, max_value=10_000)


@given(counts, counts, counts)
def test_nps_stays_within_its_range(promoters, passives, detractors):
    value = company.nps_from_counts(promoters=promoters, passives=passives, detractors=detractors)
    if promoters + passives + detractors == 0:
        assert value is None
    else:
        assert Decimal(-100) <= value <= Decimal(100)
        margin = company.nps_margin_of_error(
            promoters=promoters, passives=passives, detractors=detractors
        )
        assert Decimal(0) <= margin <= Decimal("196")
