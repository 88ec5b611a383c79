"""The product in Simplified Chinese, in a real browser: the main pages of a rep, a manager
and an admin at a desk's width (the dashboard and a customer's page also on a phone), and the
public survey page as a customer whose language is Chinese. Each page fails on English words
in what the browser shows (the allow-list of tests/chinese.py, the demo's own data set
aside), on ``<html lang>`` other than zh-hans, and on what every journey step checks
(conftest.py): a page wider than the window, an error response, a JavaScript error.

Pages are opened by their URL, not by clicking through: the journeys test the clicks, this
tests the words. Screenshots are kept in var/screenshots/zh/<test>/<width>/."""

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from api.keys import api_key_create
from campaigns.models import Campaign
from crm.demo.load import DEMO_PASSWORD
from metrics import services
from metrics.models import CustomerScore
from orders.models import Order
from surveys import tokens
from tests.chinese import (
    CSV_VALUES,
    SKIPPED_SELECTOR,
    VISIBLE_ATTRIBUTES,
    EnglishFinder,
    Findings,
    data_strings,
)
from tests.factories import CustomerFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

from .conftest import CUSTOMERS, SEED, Journey

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "zh"

# What the page shows, one line per text node or attribute, as tests/chinese.py reads the
# server's HTML: text nodes the browser renders (checkVisibility) outside the skipped
# elements, and the attributes a person reads on visible elements.
VISIBLE_TEXT = """
([skipped, attributes]) => {
  const lines = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const text = node.textContent.trim();
    if (text && parent && !parent.closest(skipped) && parent.checkVisibility()) {
      lines.push(text);
    }
  }
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest(skipped) || !element.checkVisibility()) continue;
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value) lines.push(value);
    }
    if (element.matches('input[type="submit"], input[type="button"]') && element.value) {
      lines.push(element.value);
    }
  }
  lines.push(document.title);
  return lines.join("\\n");
}
"""


class ChineseTour:
    """A person's pages in Chinese: a browser context with a Chinese locale and the language
    cookie, one ``Journey`` per width (its screenshots in a folder of its own)."""

    def __init__(self, *, new_context, base_url, folder, findings, locale="zh-CN", cookie=True):
        self.base_url = base_url
        self.findings = findings
        self.journeys = {}

        def chinese_context(**options):
            context = new_context(locale=locale, **options)
            if cookie:
                language = {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans"}
                context.add_cookies([{**language, "url": base_url}])
            return context

        self._new_context = chinese_context
        self.folder = folder

    def journey(self, viewport):
        if viewport not in self.journeys:
            folder = self.folder / viewport
            folder.mkdir(parents=True)
            self.journeys[viewport] = Journey(
                new_context=self._new_context,
                base_url=self.base_url,
                viewport=viewport,
                folder=folder,
            )
        return self.journeys[viewport]

    def log_in(self, username, viewport="desktop"):
        journey = self.journey(viewport)
        page = journey.page
        page.goto(journey.url(reverse("login")))
        self.check(journey, "log in")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.click('main button[type="submit"]')
        page.wait_for_url(journey.url(reverse("analytics:dashboard")))

    def visit(self, name, path, viewport="desktop", allowed=frozenset(), docs=None):
        journey = self.journey(viewport)
        journey.page.goto(journey.url(path))
        journey.page.wait_for_load_state("networkidle")  # parts loaded by htmx on load
        self.check(journey, name, allowed, docs)

    def check(self, journey, name, allowed=frozenset(), docs=None):
        page = journey.page
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        text = page.evaluate(VISIBLE_TEXT, [SKIPPED_SELECTOR, sorted(VISIBLE_ATTRIBUTES)])
        self.findings.add(f"{name} ({journey.viewport})", text, allowed)
        journey.step(name, docs=docs)


# A list's first row on a phone: every cell inside the window, and what leads the first
# cell (a name, a number, a date) on a line or two, not squeezed to a word a line beside the
# other columns (a line box per line: getClientRects).
ROW_INSIDE_WINDOW = """() => {
  const cells = [...document.querySelectorAll("tbody tr:first-child td")];
  const lead = cells.length > 0 && cells[0].querySelector("a, span");
  return cells.length > 0 && cells.every(td => td.getBoundingClientRect().right <= innerWidth)
    && lead && lead.getClientRects().length <= 2;
}"""


# A page's figures on a phone: the first row of every table inside the window (each row a
# card, not a table scrolled sideways), and every fact's value at least 40 % of its width
# (a long label wraps; it left a figure a character wide).
FIGURES_INSIDE_WINDOW = """() => {
  const cells = [...document.querySelectorAll("tbody tr:first-child > *")];
  const values = [...document.querySelectorAll("dl.facts dd")];
  return cells.every(cell => cell.getBoundingClientRect().right <= innerWidth)
    && values.every(dd => dd.getBoundingClientRect().width >= innerWidth * 0.4);
}"""


@pytest.fixture
def tour(request, new_context, live_server):
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    expect.set_options(timeout=10_000)
    # After the test's own data: its names are set aside too.
    yield lambda name="", **options: ChineseTour(
        new_context=new_context,
        base_url=live_server.url,
        folder=folder / name,
        findings=Findings(EnglishFinder(data_strings())),
        **options,
    )
    expect.set_options(timeout=None)


@pytest.fixture
def demo(transactional_db, settings):
    """The journeys' demo data in Chinese (names, places, products, campaigns), priced in
    yuan, scored as the journeys' demo is: what a Chinese team sees after
    ``DEMO_LANGUAGE=zh-hans bin/run``."""
    settings.CRM_BASE_CURRENCY = "CNY"
    as_of = timezone.localdate()
    call_command(
        "seed_demo",
        customers=CUSTOMERS,
        seed=SEED,
        as_of=as_of,
        language="zh-hans",
        stdout=io.StringIO(),
    )
    for days_ago in (60, 30, 0):
        services.full_run_sync(as_of=as_of - dt.timedelta(days=days_ago))
    return as_of


def _top_customer(username):
    return (
        CustomerScore.objects.filter(customer__owner__username=username, value_score__isnull=False)
        .order_by("-value_score")
        .first()
        .customer
    )


def test_a_rep_reads_chinese(demo, tour):
    customer = _top_customer("rep")
    api_key_create(user=customer.owner, name="ERP 同步", scopes=["customers:read"])
    order = Order.objects.filter(customer=customer).order_by("-ordered_on").first()
    tour = tour()
    tour.log_in("rep")
    tour.visit("dashboard", reverse("analytics:dashboard"))
    tour.visit("customers", reverse("customers:list"))
    tour.visit("customer", customer.get_absolute_url(), docs={"desktop": "customer-overview-zh"})
    tour.visit("customer value", reverse("metrics:customer_value", args=[customer.pk]))
    tour.visit("customer activities", reverse("customers:activities", args=[customer.pk]))
    tour.visit("customer orders", reverse("orders:customer_orders", args=[customer.pk]))
    tour.visit("order", reverse("orders:detail", args=[order.pk]))
    tour.visit("new order", reverse("orders:create"))
    tour.visit("my tasks", reverse("customers:my_tasks"))
    tour.visit("call next", reverse("metrics:call_next"))
    tour.visit("search", reverse("search") + "?q=" + customer.name.split()[0])
    tour.log_in("rep", viewport="phone")
    tour.visit("dashboard", reverse("analytics:dashboard"), viewport="phone")
    tour.visit("customer", customer.get_absolute_url(), viewport="phone")
    for name, path in (
        ("customer value", reverse("metrics:customer_value", args=[customer.pk])),
        ("customer orders", reverse("orders:customer_orders", args=[customer.pk])),
        ("order", reverse("orders:detail", args=[order.pk])),
        ("campaigns", reverse("campaigns:list")),
        ("products", reverse("orders:products")),
        ("API keys", reverse("api_pages:keys")),
    ):
        tour.visit(name, path, viewport="phone")
        assert tour.journey("phone").page.evaluate(FIGURES_INSIDE_WINDOW), name
    # Each order and each customer to call a card: the cells inside the screen, not past a
    # table scrolled sideways.
    lists = (
        ("orders", "orders:list"),
        ("call next", "metrics:call_next"),
        ("my tasks", "customers:my_tasks"),
    )
    for name, path in lists:
        tour.visit(name, reverse(path), viewport="phone")
        assert tour.journey("phone").page.evaluate(ROW_INSIDE_WINDOW), name
    assert not tour.findings, str(tour.findings)


def test_a_manager_reads_chinese(demo, tour):
    customer = _top_customer("rep2")
    answered = ResponseFactory(invitation__customer=customer, score=4, comment="太慢了。")
    survey = answered.invitation.survey
    # Rescored as the answer's task would: a high-value detractor now.
    services.customers_recalculate(customer_ids=[customer.pk], as_of=demo)
    tour = tour()
    tour.log_in("manager")
    tour.visit("dashboard", reverse("analytics:dashboard"))
    tour.visit("cohorts", reverse("analytics:cohorts"))
    tour.visit("customers", reverse("customers:list"))
    tour.visit("customer value", reverse("metrics:customer_value", args=[customer.pk]))
    tour.visit("detractors", reverse("metrics:detractors"))
    tour.visit("orders", reverse("orders:list"))
    tour.visit("campaigns", reverse("campaigns:list"))
    campaign = Campaign.objects.filter(acquired_customers__isnull=False).first()
    tour.visit("campaign", reverse("campaigns:detail", args=[campaign.pk]))
    tour.visit("surveys", reverse("surveys:list"))
    tour.visit("survey", reverse("surveys:detail", args=[survey.pk]))
    tour.visit("imports", reverse("dataio:imports"))
    tour.visit("methodology", reverse("metrics:methodology"))
    tour.log_in("manager", viewport="phone")
    tour.visit("detractors", reverse("metrics:detractors"), viewport="phone")
    assert tour.journey("phone").page.evaluate(ROW_INSIDE_WINDOW), "detractors"
    for name, path in (
        ("dashboard", reverse("analytics:dashboard")),
        ("campaign", reverse("campaigns:detail", args=[campaign.pk])),
        ("comments", reverse("surveys:comments", args=[survey.pk])),
        ("survey", reverse("surveys:detail", args=[survey.pk])),
    ):
        tour.visit(name, path, viewport="phone")
        assert tour.journey("phone").page.evaluate(FIGURES_INSIDE_WINDOW), name
    assert not tour.findings, str(tour.findings)


def test_an_admin_reads_chinese(demo, tour):
    tour = tour()
    tour.log_in("admin")
    tour.visit("dashboard", reverse("analytics:dashboard"))
    tour.visit("metrics", reverse("metrics:index"))
    tour.visit("model health", reverse("metrics:health"))
    tour.visit("products", reverse("orders:products"))
    tour.visit("exchange rates", reverse("orders:rates"))
    tour.visit("new survey", reverse("surveys:create"))
    tour.visit("API keys", reverse("api_pages:keys"))
    tour.visit("webhooks", reverse("api_pages:webhooks"))
    tour.visit("new webhook", reverse("api_pages:webhook_create"))
    upload = reverse("dataio:import_upload", args=["customers"])
    tour.visit("customer import", upload, allowed=CSV_VALUES)
    assert not tour.findings, str(tour.findings)


def test_a_chinese_customer_answers_in_chinese(tour):
    customer = CustomerFactory(name="上海明远贸易有限公司", language="zh-hans")
    survey = SurveyFactory(
        name="客户满意度调查",
        question="您向朋友或同事推荐我们的可能性有多大？",
        follow_up_question="原因是什么？",
    )
    invitation = InvitationFactory(survey=survey, customer=customer)
    url = reverse("surveys_public:respond", args=[tokens.sign(invitation.token)])
    chinese = tour("chinese-browser")
    chinese.visit("survey", url + "?score=9")
    chinese.visit("survey", url + "?score=9", viewport="phone")
    # An English browser: the page speaks the customer's language, from their record.
    english = tour("english-browser", locale="en-US", cookie=False)
    english.visit("survey", url)
    assert not chinese.findings, str(chinese.findings)
    assert not english.findings, str(english.findings)
