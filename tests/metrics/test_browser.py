"""The value summary and "recalculating…" in a real browser: htmx loads the summary into
the Overview, polls while a recalculation is pending, reloads the figures when the score
is rewritten, and stops polling (286) once done or past its time limit."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import SALES_REP
from metrics import views_customer
from metrics.models import CustomerScore, DirtyCustomer, ScoreSnapshot
from tests.factories import PASSWORD, CustomerFactory, UserFactory

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2026, 11, 1)


def test_the_value_summary_updates_itself_after_a_recalculation(
    page, live_server, monkeypatch, tmp_path
):
    rep = UserFactory(username="rita", role=SALES_REP)
    customer = CustomerFactory(owner=rep, name="Northwind Traders")
    # Committed at once, the new customer has already been scored (as of today) by the
    # eager tasks: start from a known score and history instead.
    CustomerScore.objects.all().delete()
    ScoreSnapshot.objects.all().delete()
    CustomerScore.objects.create(
        customer=customer,
        as_of=AS_OF,
        model_version="test",
        value_score=71.2,
        tier="B",
        churn_risk=0.3,
        clv_method=CustomerScore.ClvMethod.SIMPLE,
        simple_clv=Decimal("5000.00"),
        pct_historical=70.0,
    )
    ScoreSnapshot.objects.create(
        customer=customer, as_of=AS_OF - dt.timedelta(days=40), value_score=65
    )
    DirtyCustomer.objects.all().delete()
    DirtyCustomer.objects.create(customer_id=customer.pk)  # an order was just saved
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/value/status/" in r.url else None)
    errors = []
    page.on("pageerror", lambda error: errors.append(error))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")

    summary = page.locator("#value-summary")
    expect(summary).to_contain_text("Recalculating…")
    expect(summary).to_contain_text("▲ 6 points since 2026-09-22")
    expect(summary.locator("strong.big")).to_have_text("71")
    expect(page.get_by_role("link", name="Log a call", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="New order")).to_be_visible()

    # The worker's recalculation: a new score, the mark gone.
    CustomerScore.objects.filter(customer=customer).update(
        value_score=78.4, tier="A", computed_at=timezone.now() + dt.timedelta(seconds=1)
    )
    DirtyCustomer.objects.all().delete()

    expect(summary.locator("strong.big")).to_have_text("78", timeout=10_000)
    expect(summary).to_contain_text("Tier A")
    expect(summary).not_to_contain_text("Recalculating")
    assert polls, "the page never polled"
    page.screenshot(path=tmp_path / "overview.png", full_page=True)

    # On the Value tab, past its time limit: "reload later", and the polling stops (286).
    monkeypatch.setattr(views_customer, "POLL_SECONDS", 0)
    DirtyCustomer.objects.create(customer_id=customer.pk)
    page.goto(f"{live_server.url}/metrics/customers/{customer.pk}/value/")
    expect(page.locator("#value-body")).to_contain_text(
        "Still recalculating: reload the page later", timeout=10_000
    )
    page.screenshot(path=tmp_path / "value-tab.png", full_page=True)
    polled = len(polls)
    page.wait_for_timeout(2500)  # longer than one polling interval
    assert len(polls) == polled
    assert errors == []
