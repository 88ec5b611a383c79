"""A sales rep's day in a real browser, at a desk and on a phone: the dashboard, the
customer list, one customer's value, a call, an order whose new score appears by itself,
the customers to call next and the open tasks. See conftest.py for what every step checks."""

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from metrics.models import CustomerScore

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

# A real Celery worker (started in the middle: the page is seen waiting, then done).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_reps_day(journey, demo, idle_worker):
    page = journey.page
    # The rep's most valuable customer, found in the list by its tier, then by name.
    top = (
        CustomerScore.objects.filter(customer__owner__username="rep", value_score__isnull=False)
        .select_related("customer")
        .order_by("-value_score")
        .first()
    )
    best = top.customer

    journey.log_in("rep")
    journey.step("dashboard")

    journey.nav("Customers")
    results = page.locator("#customer-results")
    expect(results.locator("tbody tr").first).to_be_visible()
    journey.step("customer list", docs={"phone": "customer-list-phone"})

    page.select_option('select[name="tier"]', top.tier)
    expect(results.locator(".result-count")).to_contain_text("Clear filters")
    expect(page).to_have_url(re.compile(f"tier={top.tier}"))
    journey.step("customer list, one tier")

    results.locator("thead").get_by_role("link", name="Score").click()
    expect(results.locator('th[aria-sort="descending"]')).to_contain_text("Score")
    journey.step("customer list by score")

    word = best.name.split()[0]
    page.locator("#customer-search").press_sequentially(word, delay=20)
    expect(page).to_have_url(re.compile(re.escape(urlencode({"q": word}))))
    link = results.get_by_role("link", name=best.name, exact=True)
    expect(link).to_be_visible()
    journey.step("customer list, searched")

    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(best.name)
    summary = page.locator("#value-summary")
    expect(summary.locator("strong.big")).to_be_visible()
    journey.step("customer overview")

    page.locator(".tabs").get_by_role("link", name="Value").click()
    expect(page.locator("#value-body")).to_contain_text("Why this score")
    journey.step("value tab", docs={"desktop": "value-tab"})

    page.get_by_label("Hypothetical order amount").fill("2500")
    page.get_by_role("button", name="Show the effect").click()
    expect(page.locator(".whatif-result")).to_contain_text("With a hypothetical order")
    journey.step("what-if")

    page.locator(".tabs").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Log a call", exact=True).click()
    expect(page.locator('select[name="kind"]')).to_have_value("call")
    journey.step("log a call")
    page.get_by_label("Subject").fill("Called about next quarter's order")
    page.locator("#log-activity").get_by_role("button", name="Save").click()
    expect(page.locator(".timeline")).to_contain_text("Called about next quarter's order")
    journey.step("call logged")

    page.locator(".tabs").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", name="New order")).to_be_visible()
    page.fill("#id_ordered_on", demo.isoformat())
    product = page.locator('select[name="lines-0-product"]')
    product.select_option(index=1)
    page.fill('input[name="lines-0-quantity"]', "20")
    page.locator('input[name="lines-0-quantity"]').blur()
    expect(page.locator("#order-totals")).to_contain_text("Subtotal")
    journey.step("new order")
    page.locator("main .actions button.primary").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order SO-")
    journey.step("order saved")

    # The worker has not started: the new order waits to be scored.
    page.goto(journey.url(best.get_absolute_url()))
    expect(summary).to_contain_text("Recalculating…")
    figures = summary.locator("dl.summary-figures")
    before = figures.inner_text()
    journey.step("recalculating")

    idle_worker.start()
    # "Recalculated: showing the new figures…", then the new figures in place of the card.
    expect(summary).not_to_contain_text("Recalculat", timeout=30_000)
    expect(figures).not_to_have_text(before)
    journey.step("score updated by itself", docs={"desktop": "customer-overview"})

    journey.nav("Call next")
    calls = page.locator("#value-list tbody tr")
    expect(calls.first).to_be_visible()
    journey.step("call next", docs={"desktop": "call-next"})
    calls.first.get_by_role("link", name="Log a call").click()
    expect(page.locator('select[name="kind"]')).to_have_value("call")
    expect(page.locator(".phone-numbers a[href^='tel:']").first).to_be_visible()
    journey.step("log a call from call next")

    journey.nav("My tasks")
    task = page.locator("main tbody tr").first
    expect(task).to_be_visible()
    journey.step("my tasks")
    task.get_by_role("button", name="Mark done").click()
    expect(task.get_by_role("button", name="Reopen")).to_be_visible()
    journey.step("task done")
