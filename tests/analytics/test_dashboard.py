"""The dashboard: period picker, KPI cards, server-side charts, permissions and scoping."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics.periods import PeriodForm, preset_period
from metrics.models import MetricSettings
from metrics.services import full_run_sync
from tests.factories import CustomerFactory, TaskFactory
from tests.orders.factories import OrderFactory

URL = reverse("analytics:dashboard")
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
HTMX = {"HX-Request": "true"}
NO_SCORES = "No scores yet"


def _page(client, params=MARCH, **headers):
    response = client.get(URL, params, headers=headers)
    assert response.status_code == 200
    return response, response.content.decode()


# --- Permissions ------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client_for, db):
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_someone_without_a_role_gets_an_empty_state(client_for, outsider, shop):
    _response, html = _page(client_for(outsider))
    assert "no role yet" in html
    assert "Shop 0" not in html
    assert 'class="kpi"' not in html
    assert "My open tasks" in html


@pytest.mark.parametrize("persona", ["owner", "manager", "admin_user"])
def test_every_role_sees_the_cards_and_charts(client_for, request, persona, shop):
    _response, html = _page(client_for(request.getfixturevalue(persona)))
    for label in ("New customers", "Revenue", "Gross profit", "CAC", "Retention", "Churn"):
        assert f"<h3>{label}</h3>" in html
    for label in ("NPS", "CSAT", "Average CLV of new customers", "CLV : CAC"):
        assert f"<h3>{label}</h3>" in html
    assert "<svg" in html  # revenue by month; the others need scores
    assert "My open tasks" in html


# --- Figures and scoping ------------------------------------------------------------------


def test_a_rep_sees_their_own_customers_and_no_company_figures(client_for, owner, shop):
    response, html = _page(client_for(owner))
    metrics = response.context["metrics"]
    # Own customers: Shop 0, 2 (March orders), New 0-2.
    assert metrics.revenue == Decimal("550.00")
    assert metrics.new_customers == 3
    assert metrics.spend is None
    assert metrics.cac is None
    assert "company figures, shown to managers and admins" in html
    assert "Spring fair" not in html  # the per-campaign CAC chart is for managers


def test_a_manager_sees_everyone_and_the_company_figures(client_for, manager, shop):
    response, html = _page(client_for(manager))
    metrics = response.context["metrics"]
    assert metrics.revenue == Decimal("950.00")
    assert metrics.new_customers == 3
    assert metrics.spend == Decimal("600.00")
    assert metrics.cac == Decimal("200.00")
    cards = {card.key: card for card in response.context["kpis"]}
    assert cards["cac"].value == Decimal("200.00")
    assert "200.00" in html
    assert (metrics.customers_at_start, metrics.customers_at_end) == (6, 9)
    assert metrics.retention == Decimal("100.00")


def test_undefined_figures_show_a_dash(client_for, manager):
    response, html = _page(client_for(manager))
    cards = {card.key: card for card in response.context["kpis"]}
    assert cards["cac"].value is None
    assert cards["retention"].value is None
    assert html.count(">—</span>") >= 8
    assert "No comparison" in html


def test_the_previous_period_is_shown_for_comparison(client_for, manager, shop):
    response, html = _page(client_for(manager))
    previous = response.context["previous"]
    assert (previous.start, previous.end) == (dt.date(2026, 1, 29), dt.date(2026, 3, 1))
    assert "compared with" in html


# --- Charts -------------------------------------------------------------------------------


def test_charts_that_need_scores_say_so_when_there_are_none(client_for, manager, owner, shop):
    _response, html = _page(client_for(manager))
    assert html.count(NO_SCORES) == 5
    assert "Metrics page</a>" in html
    assert "Revenue by month" in html
    assert "Cohort retention" in html

    _response, html = _page(client_for(owner))
    assert html.count(NO_SCORES) == 4  # no campaign chart for reps
    assert "Metrics page</a>" not in html  # reps cannot open it: plain text


def test_charts_render_with_scores(client_for, manager, shop):
    full_run_sync(as_of=dt.date(2026, 3, 31))

    response, html = _page(client_for(manager))

    assert NO_SCORES not in html
    assert response.context["overview"].scored == 9
    assert sum(response.context["overview"].histogram) == 9
    assert "Customers by value score" in html
    assert "90–100" in html
    assert "Tier A" in html
    assert "Tier C" in html
    assert "Champions" in html
    assert "Cannot lose them" in html
    assert "FM 5" in html
    assert "CAC and average CLV per campaign" in html
    assert "Spring fair" in html  # campaign chart and table
    assert html.count('<svg class="chart-svg"') == 6


def test_rep_charts_cover_their_own_customers(client_for, owner, shop):
    full_run_sync(as_of=dt.date(2026, 3, 31))

    response, _html = _page(client_for(owner))

    assert response.context["overview"].scored == 6
    assert sum(response.context["overview"].tiers[i][1] for i in range(3)) == 6


def test_revenue_by_month_covers_the_twelve_months_up_to_the_period(client_for, manager, shop):
    response, _html = _page(client_for(manager))
    labels = [label.text for label in response.context["revenue_chart"].labels]
    assert "2025" in labels
    assert "Apr" in labels
    assert "Mar" in labels
    assert "600" in labels  # January: 6 x 100
    assert "950" in labels  # March: 4 x 200 + 3 x 50


# --- Period picker ------------------------------------------------------------------------


def test_default_is_the_last_30_days(client_for, manager):
    response, _html = _page(client_for(manager), params={})
    period = response.context["period"]
    assert period.days == 30
    assert period.last_day == response.context["today"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-31"}, "Enter a valid date"),
        ({"period": "custom", "start": "2026-03-31", "end": "2026-03-01"}, "cannot end before"),
        ({"period": "custom", "start": "2026-03-01"}, "Enter the last day"),
        ({"period": "custom", "start": "0001-01-01", "end": "2026-03-01"}, "Pick a date between"),
        ({"start": "soon", "end": "later"}, "Enter a valid date"),
        ({"period": "decade"}, "Select a valid choice"),
    ],
)
def test_bad_dates_give_a_form_error_not_a_500(client_for, manager, params, message):
    response, html = _page(client_for(manager), params=params)
    assert message in html
    assert "the last 30 days are shown" in html
    assert response.context["period"].days == 30


def test_htmx_gets_the_body_only(client_for, manager, shop):
    _response, html = _page(client_for(manager), **HTMX)
    assert "<html" not in html
    assert "<h1>" not in html
    assert "<h3>Revenue</h3>" in html


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("30d", dt.date(2026, 4, 16), dt.date(2026, 5, 16)),
        ("month", dt.date(2026, 5, 1), dt.date(2026, 5, 16)),
        ("last_month", dt.date(2026, 4, 1), dt.date(2026, 5, 1)),
        ("quarter", dt.date(2026, 4, 1), dt.date(2026, 5, 16)),
        ("year", dt.date(2026, 1, 1), dt.date(2026, 5, 16)),
        ("nonsense", dt.date(2026, 4, 16), dt.date(2026, 5, 16)),
    ],
)
def test_presets(preset, start, end):
    period = preset_period(preset, dt.date(2026, 5, 15))
    assert (period.start, period.end) == (start, end)


def test_last_month_in_january_is_december():
    period = preset_period("last_month", dt.date(2026, 1, 15))
    assert (period.start, period.end) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))


def test_dates_alone_mean_a_custom_range():
    form = PeriodForm({"start": "2026-03-01", "end": "2026-03-31"})
    period = form.period_for(dt.date(2026, 5, 15))
    assert (period.start, period.end) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


# --- Tasks and query count ---------------------------------------------------------------


def test_my_open_tasks_stay_on_the_dashboard(client_for, owner):
    TaskFactory(customer=CustomerFactory(owner=owner), subject="Call the buyer")
    _response, html = _page(client_for(owner))
    assert "Call the buyer" in html


@pytest.mark.parametrize("extra", [0, 20])
def test_the_number_of_queries_does_not_grow_with_the_data(
    client_for, manager, owner, shop, extra, django_assert_max_num_queries
):
    for i in range(extra):
        customer = CustomerFactory(owner=owner, name=f"More {i}")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 1), total="100.00")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 2), total="100.00")
        TaskFactory(customer=customer)
    full_run_sync(as_of=dt.date(2026, 3, 31))
    MetricSettings.load()
    client = client_for(manager)
    # 29 on PostgreSQL (its analytics session switches JIT off); everyone's new customers
    # and their CLV are one query for both periods.
    with django_assert_max_num_queries(29):
        _page(client)
