"""A rep in a real browser: log in, search as they type, open a customer."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.roles import SALES_REP
from tests.factories import PASSWORD, CustomerFactory, UserFactory

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_filters_the_list_while_typing_and_opens_a_customer(page, live_server, tmp_path):
    rep = UserFactory(username="rita", role=SALES_REP)
    teammate = UserFactory(username="tom", role=SALES_REP)
    for name in ["Northwind Traders", "Contoso", "Fabrikam"]:
        CustomerFactory(owner=rep, name=name, region="North")
    CustomerFactory(owner=teammate, name="Northwind Hidden")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', "rita")
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{live_server.url}/customers/")
    rows = page.locator("#customer-results tbody tr")
    expect(rows).to_have_count(3)
    # Survives only if the page is not reloaded.
    page.evaluate("window.stillTheSamePage = true")

    page.locator("#customer-search").press_sequentially("north", delay=50)

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Northwind Traders")
    expect(page).to_have_url(re.compile(r"\?q=north"))
    assert page.evaluate("window.stillTheSamePage") is True
    page.screenshot(path=tmp_path / "customer-list.png", full_page=True)

    page.get_by_role("link", name="Northwind Traders").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind Traders")
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text("Overview")
    page.screenshot(path=tmp_path / "customer-detail.png", full_page=True)
