"""``GET scores/{customer id}/explanation/``: what the customer's Value tab shows (weights,
points, reasons), in the caller's language."""

from decimal import Decimal

import pytest

from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory


@pytest.fixture
def scored(owner):
    customer = CustomerFactory(owner=owner, name="Acme")
    return ScoreFactory(
        customer=customer,
        value_score=72.94,  # (0.35 × 90 + 0.35 × 70 + 0.15 × 40) / 0.85
        revenue=Decimal("5000.00"),
        profit_contribution=Decimal("2000.00"),
        simple_clv=Decimal("2200.00"),
        clv_method="simple",
        loyalty=60.0,
        referral_revenue=None,
        pct_historical=90.0,
        pct_future=70.0,
        pct_loyalty=40.0,
        pct_influence=None,
        churn_risk=0.3,
        recency_days=40,
    )


def test_the_explanation_gives_each_component_its_weight_points_and_reason(api_for, owner, scored):
    response = api_for(owner).get(f"/api/v1/scores/{scored.pk}/explanation/")
    assert response.status_code == 200
    body = response.json()
    assert body["customer"] == scored.pk
    assert body["value_score"] == 73
    assert body["headline"].startswith("73: profit contribution at percentile 90")
    components = {row["key"]: row for row in body["components"]}
    assert [row["key"] for row in body["components"]][-1] == "influence"
    historical = components["historical"]
    assert historical["value"] == "2000.00"
    assert historical["weight"] == "0.35"
    assert historical["percentile"] == 90
    assert "percentile 90" in historical["reason"]
    assert components["influence"]["percentile"] is None
    assert components["influence"]["points"] == 0
    # The points of the components with data add up to the score.
    assert sum(row["points"] for row in body["components"]) == pytest.approx(72.94, abs=0.2)
    assert body["future_value_reason"]
    assert "Inactivity rule" in body["churn_rule"]


def test_the_reasons_are_in_the_callers_language(api_for, owner, scored):
    response = api_for(owner).get(
        f"/api/v1/scores/{scored.pk}/explanation/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    body = response.json()
    english = api_for(owner).get(f"/api/v1/scores/{scored.pk}/explanation/").json()
    assert body["components"][0]["reason"] != english["components"][0]["reason"]
    assert any("\u4e00" <= char <= "\u9fff" for char in body["headline"])


def test_another_reps_customer_has_no_explanation(api_for, teammate, scored):
    assert api_for(teammate).get(f"/api/v1/scores/{scored.pk}/explanation/").status_code == 404
