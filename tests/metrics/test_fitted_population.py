"""Reads of one population large enough for BG/NBD and Gamma-Gamma to fit, built and scored
once for the module (tests/shared.py): the fits, the health checks, the Value tab and the
what-if of a predicted CLV, and the metrics page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import health, services
from metrics.models import CustomerScore, DirtyCustomer, ModelFit, PopulationStats, RecalcRun
from tests.factories import persona
from tests.metrics.population import AS_OF, population
from tests.shared import shared_rows

# The module shares rows built once (tests/shared.py): one worker runs all of it.
pytestmark = pytest.mark.xdist_group("fitted-population")

SIZE = 150


@pytest.fixture(scope="module", autouse=True)
def fitted(django_db_setup, django_db_blocker):
    """150 customers of ``owner`` (seed 7), scored as of AS_OF by a full run ``admin_user``
    started. Yields their ids."""

    def build():
        customers = population(SIZE, seed=7, owner=persona("owner"))
        services.full_run_sync(as_of=AS_OF, user=persona("admin_user"))
        return [c.pk for c in customers]

    yield from shared_rows(django_db_blocker, build)


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def value_url(customer):
    return reverse("metrics:customer_value", args=[customer.pk])


# --- Health --------------------------------------------------------------------------------


def test_method_counts_and_latest_fits_after_a_full_run(db):
    counts = health.clv_method_counts()
    assert set(counts) == {"predictive", ""}
    assert sum(counts.values()) == SIZE
    fits = health.latest_fits()
    assert fits["bgnbd"].converged
    assert fits["gamma_gamma"].converged


def test_an_end_to_end_check_on_stored_orders(db):
    check = health.holdout_check_as_of(calibration_end=dt.date(2026, 5, 3), as_of=AS_OF)
    assert check.holdout_days == 182
    assert check.customers > 0
    assert check.actual_total == sum(b.actual * b.customers for b in check.buckets)


def test_health_computes_the_holdout_and_correlation_checks(client_for, manager):
    query = {"calibration_end": "2026-05-03", "as_of": "2026-11-01"}
    page = client_for(manager).get(reverse("metrics:health"), query).content.decode()
    assert "Holdout: 182 days after" in page
    assert "<svg" in page
    assert "Repeat purchases in the calibration period" in page
    assert "Mean predicted" in page
    assert "Correlation r" in page

    fragment = client_for(manager).get(
        reverse("metrics:health"), query, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="health-results">')
    assert "Mean predicted" in html


# --- The metrics page ---------------------------------------------------------------------


def test_page_lists_runs_fits_and_pending_customers(client_for, manager):
    DirtyCustomer.objects.create(customer_id=123456)
    RecalcRun.objects.create(
        as_of=AS_OF,
        started_at=timezone.now() - dt.timedelta(seconds=75),
        status=RecalcRun.Status.FAILED,
        error="worker lost",
        finished_at=timezone.now(),
    )
    page = client_for(manager).get(reverse("metrics:index")).content.decode()
    assert "1 customer awaits incremental recalculation." in page
    assert "worker lost" in page
    assert "Ada" in page  # who started the full run
    fit = ModelFit.objects.get(kind=ModelFit.Kind.BGNBD)
    assert fit.converged
    assert f"{fit.params['r']:.4g}" in page
    assert f"{fit.params['alpha']:.4g}" in page
    gg = ModelFit.objects.get(kind=ModelFit.Kind.GAMMA_GAMMA)
    assert f"{gg.params['gamma']:.4g}" in page


# --- Value tab and what-if of a predicted CLV -------------------------------------------------


def test_value_tab_uses_the_predicted_clv_when_the_models_fit(client_for, owner, fitted):
    score = (
        CustomerScore.objects.filter(customer__in=fitted, clv_method="predictive")
        .order_by("-value_score")
        .first()
    )

    html = _text(client_for(owner).get(value_url(score.customer)))

    assert "Using predicted CLV: BG/NBD and Gamma-Gamma are fitted" in html
    assert f"predicted CLV at percentile {round(score.pct_future)}" in html
    assert f"{score.predicted_clv:,}" in html
    assert "1 − P(alive) from the BG/NBD model" in html


def test_horizon_and_margin_change_the_predicted_clv(client_for, owner, fitted):
    score = CustomerScore.objects.filter(customer__in=fitted, clv_method="predictive").first()
    stats = PopulationStats.objects.get().data
    client = client_for(owner)

    def predicted(**changes):
        response = client.get(value_url(score.customer), {"whatif": "1", **changes})
        return {row.key: row for row in response.context["whatif"].rows}["predicted"]

    shorter = predicted(horizon_months="12")
    richer = predicted(margin="0.8")

    assert shorter.now == score.predicted_clv
    assert shorter.then < shorter.now
    # Predicted CLV is proportional to the margin (the population's, 0.4 here).
    ratio = Decimal(repr(0.8 / stats["margin"]))
    assert abs(richer.then - shorter.now * ratio) <= Decimal("0.05")
