"""Cohort retention, retention by acquiring campaign and CAC payback (metrics.cohorts)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import company
from analytics.cohorts import campaign_payback, cohort_table
from campaigns.selectors import campaign_cac, campaign_list, campaign_stats
from metrics.services import full_run_sync
from orders.models import Order
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

AS_OF = dt.date(2026, 3, 31)
URL = reverse("analytics:cohorts")


@pytest.fixture
def cohorts(owner, teammate):
    """Jan 2026: a, b (owner), c (teammate); Feb: d; Mar: e. f started before the window."""
    fair = CampaignFactory(name="Fair")
    a = CustomerFactory(owner=owner, acquired_by_campaign=fair)
    for day in (
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 25),
        dt.date(2026, 2, 10),
        dt.date(2026, 3, 3),
    ):
        OrderFactory(customer=a, ordered_on=day, total="100.00")
    b = CustomerFactory(owner=owner)
    OrderFactory(customer=b, ordered_on=dt.date(2026, 1, 20), total="100.00")
    OrderFactory(customer=b, ordered_on=dt.date(2026, 3, 15), total="100.00")
    OrderFactory(
        customer=b, ordered_on=dt.date(2026, 2, 15), total="100.00", status=Order.Status.CANCELLED
    )
    c = CustomerFactory(owner=teammate)
    OrderFactory(customer=c, ordered_on=dt.date(2026, 1, 7), total="100.00")
    d = CustomerFactory(owner=owner, acquired_by_campaign=fair)
    OrderFactory(customer=d, ordered_on=dt.date(2026, 2, 2), total="100.00")
    OrderFactory(customer=d, ordered_on=dt.date(2026, 3, 1), total="100.00")
    OrderFactory(customer=d, ordered_on=dt.date(2026, 4, 2), total="100.00")  # after the as-of date
    e = CustomerFactory(owner=owner)
    OrderFactory(customer=e, ordered_on=dt.date(2026, 3, 9), total="100.00")
    f = CustomerFactory(owner=owner)
    OrderFactory(customer=f, ordered_on=dt.date(2025, 11, 30), total="100.00")
    OrderFactory(customer=f, ordered_on=dt.date(2026, 1, 10), total="100.00")
    g = CustomerFactory(owner=owner)
    OrderFactory(
        customer=g, ordered_on=dt.date(2026, 2, 1), total="100.00", status=Order.Status.CANCELLED
    )
    # Cohorts take each customer's first purchase from their score.
    full_run_sync(as_of=AS_OF)
    return fair


def _rows(table):
    return {c.month: (c.size, c.shares) for c in table.cohorts}


def test_monthly_cohorts_and_their_retention(manager, cohorts):
    table = cohort_table(user=manager, as_of=AS_OF, months=3)

    assert list(table.offsets) == [0, 1, 2]
    assert _rows(table) == {
        dt.date(2026, 1, 1): (3, [Decimal("100.00"), Decimal("33.33"), Decimal("66.67")]),
        # Months that have not begun by the as-of date are unknown, not 0%.
        dt.date(2026, 2, 1): (1, [Decimal("100.00"), Decimal("100.00"), None]),
        dt.date(2026, 3, 1): (1, [Decimal("100.00"), None, None]),
    }
    assert table.cohorts[0].counts == [3, 1, 2]


def test_a_rep_sees_cohorts_of_their_own_customers(owner, cohorts):
    table = cohort_table(user=owner, as_of=AS_OF, months=3)

    assert _rows(table)[dt.date(2026, 1, 1)] == (
        2,
        [Decimal("100.00"), Decimal("50.00"), Decimal("100.00")],
    )


@pytest.mark.parametrize("months", [3, 12])
def test_a_reps_cohorts_and_monthly_revenue_from_one_read_are_those_of_two(owner, cohorts, months):
    """The dashboard reads a rep's summary rows of the months shown once for both (with 3
    months, customer f first bought before them and buys in them)."""
    last_month = dt.date(2026, 3, 1)
    first = company.add_months(last_month, -(months - 1))
    groups = company.summary_months(user=owner, first=first, last_day=AS_OF)
    end = AS_OF + dt.timedelta(days=1)
    revenue = company.monthly_revenue(user=owner, last_month=last_month, months=months, end=end)
    assert revenue == company.monthly_revenue(
        user=owner, last_month=last_month, months=months, end=end, groups=groups
    )
    one, two = (
        cohort_table(user=owner, as_of=AS_OF, months=months, groups=g) for g in (groups, None)
    )
    assert (one.cohorts, one.campaigns) == (two.cohorts, two.campaigns)
    assert not one.is_empty


def test_someone_without_a_role_sees_no_cohort(outsider, cohorts):
    table = cohort_table(user=outsider, as_of=AS_OF, months=3)
    assert table.is_empty
    assert table.campaigns == []


def test_a_longer_window_takes_in_earlier_first_purchases(manager, cohorts):
    table = cohort_table(user=manager, as_of=AS_OF, months=6)

    rows = _rows(table)
    assert len(rows) == 6
    hundred, zero = Decimal("100.00"), Decimal("0.00")
    assert rows[dt.date(2025, 11, 1)] == (1, [hundred, zero, hundred, zero, zero, None])
    assert rows[dt.date(2026, 1, 1)][0] == 3


def test_retention_by_acquiring_campaign(manager, cohorts):
    curves = {c.name: c for c in cohort_table(user=manager, as_of=AS_OF, months=3).campaigns}

    assert list(curves) == ["Fair", "No campaign"]
    assert curves["Fair"].size == 2
    # Month 2 of d (February) has not begun: month 2 is over a alone.
    assert curves["Fair"].shares == [Decimal("100.00"), Decimal("100.00"), Decimal("100.00")]
    assert curves["No campaign"].size == 3
    assert curves["No campaign"].shares == [Decimal("100.00"), Decimal("0.00"), Decimal("50.00")]


def test_an_empty_shop_has_an_empty_table(manager):
    table = cohort_table(user=manager, as_of=AS_OF)
    assert table.is_empty
    assert len(table.cohorts) == 12
    assert all(c.size == 0 for c in table.cohorts)
    assert table.cohorts[0].shares[0] is None  # 0 of 0: undefined


# --- CAC payback ----------------------------------------------------------------------


@pytest.fixture
def campaigns(owner):
    paid = CampaignFactory(name="Paid back", starts_on=dt.date(2026, 1, 1))
    SpendEntryFactory(campaign=paid, spent_on=dt.date(2026, 1, 5), amount=Decimal("600.00"))
    SpendEntryFactory(campaign=paid, spent_on=dt.date(2026, 2, 1), amount=Decimal("400.00"))
    p = CustomerFactory(owner=owner, acquired_by_campaign=paid)
    q = CustomerFactory(owner=owner, acquired_by_campaign=paid)
    # before the campaign
    OrderFactory(customer=p, ordered_on=dt.date(2025, 12, 20), total="9000.00", cost="0")
    OrderFactory(customer=p, ordered_on=dt.date(2026, 1, 10), total="500.00", cost="300.00")
    OrderFactory(customer=q, ordered_on=dt.date(2026, 2, 10), total="1000.00", cost="500.00")
    OrderFactory(customer=p, ordered_on=dt.date(2026, 3, 10), total="600.00", cost="200.00")
    # after the as-of date
    OrderFactory(customer=q, ordered_on=dt.date(2026, 4, 10), total="600.00", cost="200.00")

    waiting = CampaignFactory(name="Not yet", starts_on=dt.date(2026, 2, 1))
    SpendEntryFactory(campaign=waiting, spent_on=dt.date(2026, 2, 1), amount=Decimal("500.00"))
    OrderFactory(
        customer=CustomerFactory(owner=owner, acquired_by_campaign=waiting),
        ordered_on=dt.date(2026, 2, 3),
        total="150.00",
        cost="50.00",
    )

    CampaignFactory(name="Free", starts_on=dt.date(2026, 3, 1))
    CampaignFactory(name="Ancient", starts_on=dt.date(2023, 1, 1))
    return paid


def test_payback_months_per_campaign(manager, campaigns):
    rows = {row.campaign.name: row for row in campaign_payback(user=manager, as_of=AS_OF)}

    assert set(rows) == {"Paid back", "Not yet", "Free"}  # started in the last 24 months
    paid = rows["Paid back"]
    assert (paid.spend, paid.acquired, paid.profit) == (Decimal("1000.00"), 2, Decimal("1100.00"))
    assert paid.months == 3
    assert paid.paid_back
    waiting = rows["Not yet"]
    assert (waiting.spend, waiting.profit, waiting.months) == (
        Decimal("500.00"),
        Decimal("100.00"),
        None,
    )
    assert rows["Free"].months is None
    assert rows["Free"].spend == 0


def test_payback_is_a_company_figure(owner, campaigns):
    assert campaign_payback(user=owner, as_of=AS_OF) is None


def test_campaign_cac_agrees_with_the_campaigns_page(manager, campaigns):
    listed = list(campaign_list(user=manager))
    ours = campaign_cac(as_of=AS_OF, campaign_ids=[c.pk for c in listed])
    theirs = campaign_stats(user=manager, campaigns=listed, as_of=AS_OF)
    for campaign in listed:
        assert (ours[campaign.pk].spend, ours[campaign.pk].acquired, ours[campaign.pk].cac) == (
            theirs[campaign.pk].spend,
            theirs[campaign.pk].acquired,
            theirs[campaign.pk].cac,
        )
    assert ours[campaigns.pk].cac == Decimal("500.00")


# --- The page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("outsider", 403), ("owner", 200), ("manager", 200), ("admin_user", 200)],
)
def test_who_may_open_the_cohort_page(client_for, request, db, persona, status):
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).get(URL, {"as_of": "2026-03-31"})
    assert response.status_code == status
    if persona is None:
        assert response.url.startswith(reverse("login"))


def test_the_page_shows_curves_tables_and_payback_to_managers(
    client_for, manager, cohorts, campaigns
):
    response = client_for(manager).get(URL, {"as_of": "2026-03-31", "months": "3"})
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count('<svg class="chart-svg"') == 2
    assert "Retention by first-purchase month" in html
    assert "Jan 2026" in html
    assert "33%" in html
    assert "67%" in html
    assert "Fair" in html
    assert "No campaign" in html
    assert "CAC payback per campaign" in html
    assert "3 months" in html
    assert "not yet" in html
    assert "no spend" in html


def test_a_rep_gets_their_curves_and_no_payback(client_for, owner, cohorts, campaigns):
    html = client_for(owner).get(URL, {"as_of": "2026-03-31", "months": "3"}).content.decode()

    assert "Your own customers only." in html
    assert "Spend and payback are company figures" in html
    assert "3 months" not in html


def test_without_scores_the_page_says_so(client_for, manager, owner):
    OrderFactory(
        customer=CustomerFactory(owner=owner), ordered_on=dt.date(2026, 3, 1), total="100.00"
    )
    html = client_for(manager).get(URL, {"as_of": "2026-03-31"}).content.decode()
    assert html.count("No scores yet") == 2
    assert "<svg" not in html


def test_no_first_purchase_in_the_window_gives_an_empty_state(client_for, manager, owner):
    OrderFactory(
        customer=CustomerFactory(owner=owner), ordered_on=dt.date(2020, 3, 1), total="100.00"
    )
    full_run_sync(as_of=AS_OF)
    html = client_for(manager).get(URL, {"as_of": "2026-03-31"}).content.decode()
    assert html.count("No customer made a first purchase in these months.") == 2
    assert "No scores yet" not in html
    assert "<svg" not in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "2026-02-30"}, "Enter a valid date"),
        ({"as_of": "0001-01-01"}, "Pick a date between"),
        ({"months": "7"}, "Select a valid choice"),
    ],
)
def test_bad_input_gives_a_form_error_not_a_500(client_for, manager, params, message):
    response = client_for(manager).get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(response.context["table"].cohorts) == 12


@pytest.mark.parametrize("params", [{}, {"as_of": "2026-03-31"}, {"months": ""}])
def test_the_period_select_shows_the_months_the_page_shows(client_for, manager, params):
    response = client_for(manager).get(URL, params)
    assert len(response.context["table"].cohorts) == 12
    html = response.content.decode()
    assert re.search(r'<option value="12"[^>]*selected>Last 12 months</option>', html)
    assert not re.search(r'<option value="6"[^>]*selected', html)


def test_htmx_gets_the_body_only(client_for, manager, cohorts):
    response = client_for(manager).get(URL, {"as_of": "2026-03-31"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "Retention by first-purchase month" in html


@pytest.mark.parametrize("extra", [0, 30])
def test_the_number_of_queries_does_not_grow_with_the_data(
    client_for, manager, owner, cohorts, campaigns, extra, django_assert_max_num_queries
):
    for i in range(extra):
        customer = CustomerFactory(owner=owner, acquired_by_campaign=campaigns)
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 1, 1 + i % 28), total="100.00")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 1 + i % 28), total="100.00")
    client = client_for(manager)
    with django_assert_max_num_queries(16):
        client.get(URL, {"as_of": "2026-03-31"})
