"""The Value tab of a customer and the value columns and filters of the customer list."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from customers.models import Customer
from metrics import explain, services
from metrics.models import CustomerScore, ModelFit
from tests.factories import CustomerFactory, UserFactory, persona
from tests.metrics.population import AS_OF, big_spender, population
from tests.orders.factories import OrderFactory
from tests.shared import shared_rows

LOGIN_URL = "/accounts/login/"


def value_url(customer):
    return reverse("metrics:customer_value", args=[customer.pk])


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


# --- Permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (None, "login"),
        ("outsider", 403),
        ("owner", 200),
        ("teammate", 404),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
def test_value_tab_permissions(request, client_for, owner, persona, expected):
    customer = CustomerFactory(owner=owner)
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).get(value_url(customer))

    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(LOGIN_URL)
    else:
        assert response.status_code == expected


def test_the_customer_tabs_link_to_the_value_tab(client_for, owner):
    customer = CustomerFactory(owner=owner)

    html = client_for(owner).get(reverse("customers:detail", args=[customer.pk])).content
    assert f'href="{value_url(customer)}"' in html.decode()

    tab = client_for(owner).get(value_url(customer)).content.decode()
    assert f'href="{value_url(customer)}" aria-current="page"' in tab


# --- Content ----------------------------------------------------------------------------


@pytest.mark.xdist_group("value-tab-scored")  # one build of the shared rows
class TestOneScoredCustomer:
    """The owner's big customer among 40 others, scored as of AS_OF once for the class
    (tests/shared.py; too few repeat customers for BG/NBD, so the simple CLV is used)."""

    @pytest.fixture(scope="class", autouse=True)
    def scored_id(self, django_db_setup, django_db_blocker):
        def build():
            population(40, seed=5)
            customer = big_spender(persona("owner"))
            services.full_run_sync(as_of=AS_OF)
            return customer.pk

        yield from shared_rows(django_db_blocker, build)

    @pytest.fixture
    def scored(self, db, scored_id):
        return Customer.objects.get(pk=scored_id)

    def test_value_tab_explains_the_score(self, client_for, owner, scored):
        score = CustomerScore.objects.get(customer=scored)
        assert score.tier == "A"
        assert score.clv_method == "simple"

        response = client_for(owner).get(value_url(scored))
        html = _text(response)

        explanation = response.context["explanation"]
        assert explanation.score == round(score.value_score)
        # Points of the components add up to the score.
        assert sum(row.points for row in explanation.components) == pytest.approx(
            score.value_score, abs=0.2
        )
        historical = f"profit contribution at percentile {round(score.pct_historical)}"
        assert f"{explanation.score}: " in html
        assert historical in html
        assert f"simple CLV at percentile {round(score.pct_future)}" in html
        assert "Tier A" in html
        for label in ["Historical value", "Future value", "Loyalty", "Influence"]:
            assert label in html
        # Weights come from the run's parameters: 35% / 35% / 15% / 15% by default.
        assert html.count("35%") >= 2
        assert html.count("15%") >= 2
        assert "RFM segment" in html
        assert "R / F / M" in html
        assert AS_OF.isoformat() in html
        assert score.model_version in html

    def test_value_tab_says_why_the_simple_clv_is_used(self, client_for, owner, scored):
        score = CustomerScore.objects.get(customer=scored)
        fit = ModelFit.objects.get(kind="bgnbd")

        html = _text(client_for(owner).get(value_url(scored)))

        assert "BG/NBD not fitted: too little data" in html
        assert "using simple CLV" in html
        assert fit.message in html
        for label in ["Simple CLV", "Retention CLV", "Predicted CLV"]:
            assert label in html
        assert f"{score.simple_clv:,}" in html
        assert f"{score.retention_clv:,}" in html
        # Without BG/NBD the churn risk comes from the inactivity rule.
        assert f"Inactivity rule: {score.recency_days} days since the last order" in html
        for label in ["Relationship value", "Continuing value", "Information value", "Tenure"]:
            assert label in html

    def test_an_active_customer_shows_the_loss_value_quietly(self, client_for, owner, scored):
        html = _text(client_for(owner).get(value_url(scored)))

        assert "What losing this customer costs" not in html
        assert "what losing this customer would cost" in html


def test_loss_value_leads_for_a_churned_customer(client_for, owner):
    population(20, seed=2)
    churned = big_spender(owner, "Gone Ltd", last=dt.date(2026, 3, 1), status="churned")
    services.full_run_sync(as_of=AS_OF)
    score = CustomerScore.objects.get(customer=churned)

    html = _text(client_for(owner).get(value_url(churned)))

    assert "What losing this customer costs" in html
    assert f"{score.loss_value:,}" in html
    assert "Marked as churned." in html


def test_history_chart_plots_each_calculation(client_for, owner):
    population(20, seed=3)
    customer = big_spender(owner)
    services.full_run_sync(as_of=dt.date(2026, 8, 1))
    services.full_run_sync(as_of=AS_OF)

    response = client_for(owner).get(value_url(customer))
    html = response.content.decode()

    chart = response.context["chart"]
    rows = chart.table.rows
    assert [day for day, _value in rows] == ["2026-08-01", AS_OF.isoformat()]
    assert "<svg" in html
    assert "<polyline" in html
    # Labelled, readable without hovering: each value and date is written on the chart,
    # and the same figures are in a table for screen readers.
    for day, value in rows:
        assert f">{value}</text>" in html
        assert f">{day}</text>" in html
        assert f"<td>{day}</td><td>{value}</td>" in html
    assert html.count('stroke-dasharray="4 4"') == 2  # where tiers B and A begin
    assert (
        "One point per day for the last 90 days, then one per week: the score after the "
        "last recalculation of that day or week. Dashed lines: where tiers B and A begin in "
        "the latest run."
    ) in html.replace("&#x27;", "'")
    assert f"Value score from {rows[0][1]} on 2026-08-01 to {rows[1][1]} on" in html


def test_empty_state_before_any_calculation(client_for, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 5, 1), total="100.00")

    response = client_for(owner).get(value_url(customer))

    assert "No value score yet" in response.content.decode()
    assert not response.context["can_what_if"]


def test_empty_state_for_a_lead_without_orders(client_for, owner):
    population(10, seed=1)
    lead = CustomerFactory(owner=owner, status="lead")
    services.full_run_sync(as_of=AS_OF)

    response = client_for(owner).get(value_url(lead))

    assert "No orders yet, so no value score" in response.content.decode()
    assert "Why this score" not in response.content.decode()


# --- Customer list: value columns, sorting and filters ------------------------------------


def _names(response):
    return [c.name for c in response.context["page"].items]


@pytest.mark.xdist_group("value-tab-ranked")  # one build of the shared rows
class TestCustomerList:
    """Three of the owner's customers with different values, a lead without a score and a
    teammate's top customer, built once for the class (tests/shared.py)."""

    @pytest.fixture(scope="class", autouse=True)
    def _ranked(self, django_db_setup, django_db_blocker):
        def build():
            owner = persona("owner")
            population(30, seed=11, owner=UserFactory(username="bg"))
            small = CustomerFactory(owner=owner, name="Small")
            OrderFactory(customer=small, ordered_on=dt.date(2026, 10, 1), total="30.00")
            middle = CustomerFactory(owner=owner, name="Middle")
            for day in (dt.date(2026, 2, 1), dt.date(2026, 6, 1)):
                OrderFactory(customer=middle, ordered_on=day, total="600.00")
            big_spender(owner, "Top")
            big_spender(persona("teammate"), "Their top")
            services.full_run_sync(as_of=AS_OF)
            CustomerFactory(owner=owner, name="Unscored lead", status="lead")

        yield from shared_rows(django_db_blocker, build)

    @pytest.fixture
    def ranked(self, db, owner):
        return CustomerScore.objects.filter(customer__owner=owner)

    def test_list_shows_score_tier_and_churn_risk(self, client_for, owner, ranked):
        top = ranked.get(customer__name="Top")

        html = client_for(owner).get(reverse("customers:list")).content.decode()

        assert ">Score" in html
        assert ">Tier<" in html
        assert ">Churn risk" in html
        assert f">{round(top.value_score)}</td>" in html
        assert "Tier A" in html

    def test_list_sorts_by_score_with_unscored_customers_last(self, client_for, owner, ranked):
        client = client_for(owner)

        descending = _names(client.get(reverse("customers:list"), {"sort": "-score"}))
        ascending = _names(client.get(reverse("customers:list"), {"sort": "score"}))

        assert descending == ["Top", "Middle", "Small", "Unscored lead"]
        assert ascending == ["Small", "Middle", "Top", "Unscored lead"]

    def test_list_sorts_by_churn_risk(self, client_for, owner, ranked):
        risks = dict(ranked.values_list("customer__name", "churn_risk"))
        expected = sorted(risks, key=lambda name: -risks[name])

        response = client_for(owner).get(reverse("customers:list"), {"sort": "-churn"})

        assert _names(response) == [*expected, "Unscored lead"]

    @pytest.mark.parametrize("field", ["tier", "segment"])
    def test_list_filters_by_tier_and_segment(self, client_for, owner, ranked, field):
        top = ranked.get(customer__name="Top")
        value = getattr(top, field)
        expected = sorted(ranked.filter(**{field: value}).values_list("customer__name", flat=True))

        response = client_for(owner).get(reverse("customers:list"), {field: value})

        assert "Top" in _names(response)
        assert sorted(_names(response)) == expected
        assert "Their top" not in _names(response)

    @pytest.mark.parametrize(
        ("band", "low", "high"), [("high", 0.7, 2), ("medium", 0.3, 0.7), ("low", -1, 0.3)]
    )
    def test_list_filters_by_churn_risk(self, client_for, owner, ranked, band, low, high):
        expected = sorted(
            ranked.filter(churn_risk__gte=low, churn_risk__lt=high).values_list(
                "customer__name", flat=True
            )
        )

        response = client_for(owner).get(reverse("customers:list"), {"churn_risk": band})

        assert sorted(_names(response)) == expected

    def test_manager_filters_everyone_by_tier(self, client_for, manager, ranked):
        response = client_for(manager).get(reverse("customers:list"), {"tier": "A", "q": "top"})

        assert sorted(_names(response)) == ["Their top", "Top"]

    def test_an_unknown_value_filter_is_ignored(self, client_for, owner, ranked):
        response = client_for(owner).get(reverse("customers:list"), {"tier": "Z", "segment": "x"})

        assert response.status_code == 200
        assert len(_names(response)) == 4


def test_list_offers_the_value_filters(client_for, owner):
    html = client_for(owner).get(reverse("customers:list")).content.decode()

    assert 'name="tier"' in html
    assert 'name="churn_risk"' in html
    assert '<option value="cannot_lose">Cannot lose them</option>' in html


def test_the_history_chart_marks_the_tier_cut_offs():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=7 * i) for i in range(3)]

    chart = explain.score_history_chart(
        list(zip(days, [40.0, 62.4, 81.0], strict=True)), tier_cutoffs=[55.0, 80.0]
    )

    assert chart.title == "Value score from 40 on 2024-01-01 to 81 on 2024-01-15"
    dashed = [line for line in chart.lines if line.dashed]
    assert len(dashed) == 2
    tier_labels = [label for label in chart.labels if label.text in {"A", "B"}]
    assert [(label.text, label.y - 4) for label in tier_labels] == [
        ("B", dashed[0].y1),
        ("A", dashed[1].y1),
    ]
    assert chart.note
    assert chart.table.headers == ("Day", "Value score")
    assert [value for _day, value in chart.table.rows] == ["40", "62", "81"]
    assert explain.score_history_chart([], tier_cutoffs=[55.0, 80.0]) is None
    untiered = explain.score_history_chart(list(zip(days, [1, 2, 3], strict=True)))
    assert untiered.note == (
        "One point per day for the last 90 days, then one per week: the score after the "
        "last recalculation of that day or week."
    )


def test_the_history_chart_is_a_daily_series_and_says_so(client_for, owner):
    """Two recalculations on one day (a full run, then an order and its incremental update)
    give one point, the later score, and the chart says it plots one point per day."""
    population(20, seed=3)
    customer = big_spender(owner)
    services.full_run_sync(as_of=dt.date(2026, 8, 1))
    services.full_run_sync(as_of=AS_OF)
    before = CustomerScore.objects.get(customer=customer).value_score
    for _ in range(5):
        OrderFactory(customer=customer, ordered_on=AS_OF, total="9000.00")
    services.customers_recalculate(customer_ids=[customer.pk], as_of=AS_OF)
    after = CustomerScore.objects.get(customer=customer).value_score
    assert round(after) != round(before)

    response = client_for(owner).get(value_url(customer))
    rows = response.context["chart"].table.rows
    assert rows == [(rows[0][0], rows[0][1]), (AS_OF.isoformat(), f"{after:.0f}")]
    assert "One point per day" in response.content.decode()
