"""The customer list's "jump to" in a real browser at 390 px: a plain GET (htmx would not
swap the 400 of a bad value) that keeps the filters and lands on the customer, and a bad
value that comes back with its message beside the field, the page still fitting."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.roles import SALES_REP
from tests.factories import PASSWORD, CustomerFactory, UserFactory
from tests.journeys.conftest import MEASURE_WIDTH

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_list_jump_on_a_phone(new_context, live_server):
    rep = UserFactory(username="rita", role=SALES_REP)
    for name in ("Alpha", "Bravo", "Charlie", "Delta"):
        CustomerFactory(owner=rep, name=name, region="North")
    CustomerFactory(owner=rep, name="Bea", region="South")
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.goto(f"{live_server.url}/customers/?sort=name&region=North")

    page.get_by_label("Go to names starting with").fill("b")
    page.locator('button[form="customer-jump"]').click()

    rows = page.locator("#customer-results tbody tr")
    expect(rows.first).to_contain_text("Bravo")
    expect(rows).to_have_count(3)
    assert "region=North" in page.url
    assert "from=b" in page.url
    width = page.evaluate(MEASURE_WIDTH)
    assert width["scroll"] <= width["inner"], width["wide"]

    page.goto(f"{live_server.url}/customers/?sort=-score&region=North&from=abc")
    expect(page.locator("#customer-jump-error")).to_contain_text("Enter a number.")
    expect(page.locator("#customer-results tbody tr")).to_have_count(4)
    width = page.evaluate(MEASURE_WIDTH)
    assert width["scroll"] <= width["inner"], width["wide"]
