import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from valuemodels import customer


def test_revenue_subtracts_refunds():
    assert customer.revenue([Decimal("100"), Decimal("250.50"), Decimal("-50")]) == Decimal(
        "300.50"
    )
    assert customer.revenue([]) == Decimal("0")


def test_profit_contribution():
    assert customer.profit_contribution(revenue=5000, cost_of_goods=3000) == Decimal("2000")


def test_profit_contribution_counts_every_customer_related_cost():
    value = customer.profit_contribution(
        revenue=Decimal("5000"),
        cost_of_goods=Decimal("2400"),
        acquisition_cost=Decimal("200"),
        other_costs=Decimal("400"),
    )
    assert value == Decimal("2000")


def test_aov():
    assert customer.aov(revenue=Decimal("1000"), orders=10) == Decimal("100")
    assert customer.aov(revenue=Decimal("100"), orders=3) == Decimal("33.33")


def test_aov_without_orders_is_undefined():
    assert customer.aov(revenue=Decimal("0"), orders=0) is None


def test_purchase_frequency_is_orders_per_year_since_the_first_order():
    frequency = customer.purchase_frequency(
        orders=12, first_order_on=dt.date(2025, 1, 1), as_of=dt.date(2026, 1, 1)
    )
    assert frequency == Decimal("12")


def test_purchase_frequency_spans_at_least_30_days():
    # One order ten days ago counts as one order in 30 days, not one in 10.
    frequency = customer.purchase_frequency(
        orders=1, first_order_on=dt.date(2026, 3, 1), as_of=dt.date(2026, 3, 11)
    )
    assert frequency == Decimal("12.1667")
    same_day = customer.purchase_frequency(
        orders=2, first_order_on=dt.date(2026, 3, 1), as_of=dt.date(2026, 3, 1)
    )
    assert same_day == Decimal("24.3333")


def test_purchase_frequency_without_orders_is_undefined():
    assert (
        customer.purchase_frequency(orders=0, first_order_on=None, as_of=dt.date(2026, 1, 1))
        is None
    )


def test_purchase_frequency_rejects_an_as_of_date_before_the_first_order():
    with pytest.raises(ValueError, match="before the first order"):
        customer.purchase_frequency(
            orders=1, first_order_on=dt.date(2026, 1, 2), as_of=dt.date(2026, 1, 1)
        )


@pytest.mark.parametrize(
    ("annual_churn", "years"),
    [
        (Decimal("0.5"), Decimal("2")),
        (Decimal("0.3"), Decimal("3.3333")),
        (Decimal("0.05"), Decimal("10")),
        (Decimal("0"), Decimal("10")),
        (None, Decimal("10")),
        (1, Decimal("1")),
    ],
)
def test_expected_lifetime_is_one_over_churn_capped(annual_churn, years):
    assert customer.expected_lifetime(annual_churn=annual_churn) == years


def test_expected_lifetime_cap_is_a_setting():
    assert customer.expected_lifetime(annual_churn=Decimal("0.05"), cap_years=25) == Decimal("20")


def test_expected_lifetime_rejects_a_percentage():
    with pytest.raises(ValueError, match="a fraction between 0 and 1"):
        customer.expected_lifetime(annual_churn=10)


def test_simple_clv():
    clv = customer.simple_clv(aov=Decimal("100"), frequency=12, lifetime_years=2, cac=200)
    assert clv == Decimal("2200")


def test_simple_clv_from_a_customer_history():
    aov = customer.aov(revenue=Decimal("1200"), orders=12)
    frequency = customer.purchase_frequency(
        orders=12, first_order_on=dt.date(2025, 1, 1), as_of=dt.date(2026, 1, 1)
    )
    lifetime = customer.expected_lifetime(annual_churn=Decimal("0.5"))
    assert customer.simple_clv(
        aov=aov, frequency=frequency, lifetime_years=lifetime, cac=Decimal("200")
    ) == Decimal("2200")


def test_retention_clv_uses_the_corrected_formula():
    clv = customer.retention_clv(margin=1000, retention=0.9, discount=0.1)
    assert clv == Decimal("4500")
    # The seed's m × r / d would say 9000.
    assert clv != Decimal(1000) * Decimal("0.9") / Decimal("0.1")


@pytest.mark.parametrize(
    ("retention", "discount", "message"),
    [
        (1.2, 0.1, "Retention is a fraction between 0 and 1"),
        (0.5, -0.1, "the discount rate is >= 0"),
        (1, 0, "the value is unbounded"),
    ],
)
def test_retention_clv_rejects_impossible_inputs(retention, discount, message):
    with pytest.raises(ValueError, match=message):
        customer.retention_clv(margin=1000, retention=retention, discount=discount)


def test_annuity_factor():
    factor = customer.annuity_factor(rate=Decimal("0.0578"), years=5)
    assert factor.quantize(Decimal("0.00001")) == Decimal("4.23769")
    assert customer.annuity_factor(rate=0, years=5) == 5
    assert customer.annuity_factor(rate=Decimal("0.0578"), years=0) == 0


def test_relationship_value():
    value = customer.relationship_value(
        first_purchase=5000,
        acquisition_cost=3000,
        yearly_net_revenue=2000,
        rate=Decimal("0.0578"),
        years=5,
    )
    assert value == Decimal("10475.39")


def test_discounted_revenue_is_the_future_part_of_the_relationship_value():
    value = customer.discounted_revenue(yearly_net_revenue=2000, rate=Decimal("0.0578"), years=5)
    assert value == Decimal("8475.39")


@pytest.mark.parametrize(
    ("first_purchase", "acquisition_cost", "yearly_net_revenue", "expected"),
    [
        (5000, 3000, 2000, True),
        (3000, 3000, 2000, False),
        (5000, 3000, 0, False),
        (5000, 3000, -100, False),
    ],
)
def test_has_value(first_purchase, acquisition_cost, yearly_net_revenue, expected):
    assert (
        customer.has_value(
            first_purchase=first_purchase,
            acquisition_cost=acquisition_cost,
            yearly_net_revenue=yearly_net_revenue,
            rate=Decimal("0.0578"),
            years=5,
        )
        is expected
    )


def test_continuing_value_is_the_average_repeat_order():
    assert customer.continuing_value([Decimal("4000"), Decimal("6000")]) == Decimal("5000")


def test_one_time_buyer_has_no_continuing_value():
    assert customer.continuing_value([]) is None


def test_loss_value():
    value = customer.loss_value(remaining_value=Decimal("3540"), replacement_cost=Decimal("1150"))
    assert value == Decimal("5393.50")
    # The seed shows it in whole units.
    assert value.quantize(Decimal("1"), rounding=ROUND_HALF_UP) == Decimal("5394")


def test_loss_value_goodwill_coefficient_is_a_setting():
    value = customer.loss_value(remaining_value=1000, replacement_cost=0, goodwill=Decimal("0"))
    assert value == Decimal("1000")


def test_information_value():
    # K 2 × (3 facts × 4 uses + 5 facts × 2 uses) × u 10 − 4 collections × C 15 = 440 − 60
    value = customer.information_value(
        areas=[(3, 4), (5, 2)],
        benefit_per_use=Decimal("10"),
        collections=4,
        collection_cost=Decimal("15"),
        k=2,
    )
    assert value == Decimal("380")


def test_information_value_without_knowledge_is_the_collection_cost():
    value = customer.information_value(
        areas=[], benefit_per_use=10, collections=2, collection_cost=Decimal("7.5")
    )
    assert value == Decimal("-15")
