"""Figures of the heavy analytics pages kept for a while (metrics.page_cache)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.roles import SALES_MANAGER
from metrics.services import full_run_sync
from tests.analytics.test_dashboard import MARCH
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import OrderFactory

DASHBOARD = reverse("analytics:dashboard")
COHORTS = reverse("analytics:cohorts")
NOTE = "are kept for a few minutes"


@pytest.fixture
def slow(settings):
    """As on a big database: every computation counts as slow enough to keep."""
    settings.ANALYTICS_CACHE_AFTER = 0


def _revenue(client, **params):
    response = client.get(DASHBOARD, {**MARCH, **params})
    assert response.status_code == 200
    return response.context["metrics"].revenue, response.content.decode()


def _march_order(customer, amount="1000.00"):
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 25), total=amount, cost="1.00")


def test_fast_figures_are_never_kept(client_for, manager, shop):
    client = client_for(manager)
    first, _html = _revenue(client)
    _march_order(shop[0])
    again, html = _revenue(client)
    assert again == first + Decimal("1000.00")
    assert NOTE not in html


def test_slow_figures_are_kept_with_a_note_and_recalculated_on_request(
    client_for,
    manager,
    shop,
    slow,
):
    client = client_for(manager)
    first, html = _revenue(client)
    assert NOTE not in html  # just calculated
    _march_order(shop[0])
    kept, html = _revenue(client)
    assert kept == first
    assert NOTE in html
    assert "refresh=1" in html
    fresh, html = _revenue(client, refresh="1")
    assert fresh == first + Decimal("1000.00")
    assert NOTE not in html


def test_the_recalculate_link_keeps_the_period_and_swaps_the_body(
    client_for,
    manager,
    shop,
    slow,
):
    client = client_for(manager)
    _revenue(client)
    response = client.get(DASHBOARD, MARCH, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "start=2026-03-01" in html
    assert "refresh=1" in html
    assert 'hx-target="#dashboard-body"' in html


def test_kept_figures_are_not_shared_between_reps(client_for, owner, teammate, shop, slow):
    mine, _html = _revenue(client_for(owner))
    theirs, _html = _revenue(client_for(teammate))
    assert mine == Decimal("550.00")
    assert theirs == Decimal("400.00")


def test_managers_share_figures_but_a_rep_never_gets_theirs(
    client_for,
    manager,
    owner,
    shop,
    slow,
):
    everyone, _html = _revenue(client_for(manager))
    _march_order(shop[0])
    other_manager = UserFactory(role=SALES_MANAGER)
    shared, html = _revenue(client_for(other_manager))
    assert shared == everyone
    assert NOTE in html
    own, _html = _revenue(client_for(owner))
    assert own == Decimal("1550.00")  # computed for the rep, with the new order


def test_a_finished_recalculation_starts_afresh(client_for, manager, shop, slow):
    client = client_for(manager)
    first, _html = _revenue(client)
    _march_order(shop[0])
    full_run_sync(as_of=dt.date(2026, 4, 1))
    after, html = _revenue(client)
    assert after == first + Decimal("1000.00")
    assert NOTE not in html


def test_the_cohort_page_keeps_slow_figures_too(client_for, manager, shop, slow):
    full_run_sync(as_of=dt.date(2026, 4, 1))
    client = client_for(manager)
    params = {"as_of": "2026-04-01", "months": "6"}
    assert NOTE not in client.get(COHORTS, params).content.decode()
    CustomerFactory(name="Late")
    html = client.get(COHORTS, params).content.decode()
    assert NOTE in html
    assert NOTE not in client.get(COHORTS, {**params, "refresh": "1"}).content.decode()
