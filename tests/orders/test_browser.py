"""A rep enters an order in a real browser: lines added and removed in place, totals
recomputed by the server as they type, then saved."""

from decimal import Decimal as D
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.roles import SALES_REP
from orders.models import Order
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.journeys.conftest import MEASURE_WIDTH

from .factories import ExchangeRateFactory, OrderFactory, ProductFactory

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_enters_an_order_with_htmx_lines_and_live_totals(page, live_server):
    rep = UserFactory(username="rita", role=SALES_REP)
    customer = CustomerFactory(owner=rep, name="Northwind Traders")
    widget = ProductFactory(name="Widget", list_price=D("20.00"), unit_cost=D("8.00"))
    gadget = ProductFactory(name="Gadget", list_price=D("5.00"), unit_cost=D("1.00"))
    # Catalogue prices are in USD: at 1.25, the widget is 16.00 EUR and the gadget 4.00 EUR.
    ExchangeRateFactory(currency="EUR", valid_on="2026-01-01", rate=D("1.25"))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.goto(f"{live_server.url}/orders/new/?customer={customer.pk}")
    page.evaluate("window.stillTheSamePage = true")

    rows = page.locator("#line-rows tr")
    expect(rows).to_have_count(3)
    page.fill("#id_ordered_on", "2026-03-01")
    page.fill("#id_currency", "EUR")
    page.select_option('select[name="lines-0-product"]', value=str(widget.pk))
    page.fill('input[name="lines-0-quantity"]', "2")
    page.locator('input[name="lines-0-quantity"]').blur()
    expect(page.locator("#order-totals")).to_contain_text("€32.00")
    expect(page.locator("#order-totals")).to_contain_text("$40.00")

    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(4)
    page.select_option('select[name="lines-3-product"]', value=str(gadget.pk))
    page.fill('input[name="lines-3-quantity"]', "3")
    page.locator('input[name="lines-3-quantity"]').blur()
    expect(page.locator("#order-totals")).to_contain_text("€44.00")

    rows.nth(1).get_by_role("button", name="Remove").click()
    expect(rows).to_have_count(3)
    assert page.evaluate("window.stillTheSamePage") is True

    page.locator("main .actions button.primary").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order SO-")
    order = Order.objects.get()
    assert (order.total, order.total_base, order.lines.count()) == (D("44.00"), D("55.00"), 2)


def test_order_list_filters_while_typing(page, live_server):
    rep = UserFactory(username="rita", role=SALES_REP)
    OrderFactory(customer=CustomerFactory(owner=rep, name="Northwind Traders"), number="N-1")
    OrderFactory(customer=CustomerFactory(owner=rep, name="Contoso"), number="C-1")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.goto(f"{live_server.url}/orders/")
    page.evaluate("window.stillTheSamePage = true")
    rows = page.locator("#order-results tbody tr")
    expect(rows).to_have_count(2)

    page.locator('main input[name="search"]').press_sequentially("contoso", delay=30)

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("C-1")
    page.select_option('main select[name="status"]', "paid")
    expect(page.locator("#order-results")).to_contain_text("No orders match these filters.")
    assert page.evaluate("window.stillTheSamePage") is True


def test_order_list_jump_on_a_phone(new_context, live_server):
    """At 390 px the jump field, its label and its error fit the window; a jump by total
    lands on the order, and a bad value comes back with its message, not a 500."""
    rep = UserFactory(username="rita", role=SALES_REP)
    for n, total in enumerate(["10.00", "20.00", "30.00", "40.00"]):
        OrderFactory(
            customer=CustomerFactory(owner=rep, name=f"Customer {n}"),
            number=f"SO-000010{n}",
            total=total,
        )
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.goto(f"{live_server.url}/orders/?sort=-total")

    jump = page.get_by_label("Go to a total (USD) of at most")
    jump.fill("25")
    page.locator('button[form="order-jump"]').click()

    rows = page.locator("#order-results tbody tr")
    expect(rows.first).to_contain_text("SO-0000101")
    expect(rows).to_have_count(2)
    width = page.evaluate(MEASURE_WIDTH)
    assert width["scroll"] <= width["inner"], width["wide"]

    page.goto(f"{live_server.url}/orders/?sort=number&from={'S' * 70}")
    expect(page.locator("#order-jump-error")).to_contain_text("at most 64 characters")
    width = page.evaluate(MEASURE_WIDTH)
    assert width["scroll"] <= width["inner"], width["wide"]
