"""The main pages on a phone (390 x 844) in a real browser: no page scrolls sideways, the
menu folds into a button, the customer tabs scroll within their own bar; on a laptop
(1366 px) the menu is simply there. Screenshots of every page go to the test's tmp_path."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.campaigns.factories import CampaignFactory
from tests.factories import PASSWORD, ContactFactory, CustomerFactory, TaskFactory
from tests.orders.factories import OrderFactory, ProductFactory

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 800}
SETTLED = "() => !document.querySelector('[hx-trigger=\"load\"], .htmx-request')"


@pytest.fixture
def world(owner, manager, admin_user):
    """A rep's small book of customers, one with a long name and an unbroken email address (its
    contact too: what pushes a page sideways), an order, a task and a campaign."""
    long_one = CustomerFactory(
        owner=owner,
        name="Northwind Internationale Handelsgesellschaft mbH & Co. KG",
        email="procurement.department.international@northwind-internationale.example",
        region="Europe",
    )
    CustomerFactory(owner=owner, name="Contoso", region="North")
    ContactFactory(
        customer=long_one,
        name="Nadia Nordström",
        email="nadia.nordstroem@northwindinternationalehandelsgesellschaft.example",
        phone="+49 30 1234567",
    )
    TaskFactory(customer=long_one, subject="Call about the renewal", due_on=dt.date(2026, 3, 10))
    product = ProductFactory(list_price=Decimal("1234.50"))
    order = OrderFactory(customer=long_one, lines=[(product, 3)])
    CampaignFactory(name="Spring newsletter", channel=Campaign.Channel.EMAIL)
    return {"customer": long_one, "order": order}


def _log_in(browser, live_server, username, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def _pages(world):
    """The pages of a rep's and a manager's day (the journey tests walk the rest)."""
    customer, order = world["customer"].pk, world["order"].pk
    return {
        "olivia": [
            "/",
            "/customers/",
            f"/customers/{customer}/",
            f"/metrics/customers/{customer}/value/",
            f"/customers/{customer}/activities/",
            f"/customers/{customer}/contacts/",
            "/orders/",
            f"/orders/{order}/",
            "/orders/new/",
            "/customers/tasks/",
            "/metrics/call-next/",
            "/search/?q=north",
        ],
        "maria": ["/metrics/", "/metrics/cohorts/", "/campaigns/", "/surveys/"],
    }


def test_no_main_page_scrolls_sideways_on_a_phone(browser, live_server, world, tmp_path):
    too_wide = []
    for username, paths in _pages(world).items():
        page = _log_in(browser, live_server, username, PHONE)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            # Fragments htmx loads with the page (the Overview's value summary) are in first.
            page.wait_for_function(SETTLED)
            width, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if width > inner:
                too_wide.append(f"{username} {path}: {width} px")
            name = re.sub(r"\W+", "-", path).strip("-") or "dashboard"
            page.screenshot(path=tmp_path / f"390-{username}-{name}.png")
        page.context.close()

    assert not too_wide, f"wider than the 390 px screen: {too_wide}"


def test_the_menu_folds_into_a_button_on_a_phone_and_the_tabs_scroll(browser, live_server, world):
    page = _log_in(browser, live_server, "olivia", PHONE)
    page.goto(f"{live_server.url}{world['customer'].get_absolute_url()}")
    customers_link = page.locator("nav[aria-label=Main]").get_by_role("link", name="Customers")

    assert page.locator("header.topbar").bounding_box()["height"] <= 80
    expect(customers_link).to_be_hidden()
    page.locator("details.menu > summary").click()
    expect(customers_link).to_be_visible()
    assert customers_link.bounding_box()["height"] >= 44  # a finger's touch target
    customers_link.click()
    expect(page).to_have_url(f"{live_server.url}/customers/")

    page.goto(f"{live_server.url}{world['customer'].get_absolute_url()}")
    tabs = page.locator("nav.tabs")
    # More tabs than fit: the bar scrolls by itself, the page does not.
    assert tabs.evaluate("bar => bar.scrollWidth > bar.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_on_a_laptop_the_menu_is_always_open(browser, live_server, world):
    page = _log_in(browser, live_server, "olivia", LAPTOP)

    expect(
        page.locator("nav[aria-label=Main]").get_by_role("link", name="Customers")
    ).to_be_visible()
    expect(page.locator("details.menu > summary")).to_be_hidden()
    page.goto(f"{live_server.url}/customers/")
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    page.context.close()
