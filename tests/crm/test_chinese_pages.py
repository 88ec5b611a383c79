"""A Chinese-speaking rep, manager and admin never meet an English sentence: every page of
tests/core/test_pages.py (the URL resolver's list, so a new page is checked too) is fetched in
zh-hans as each of them, and the public survey pages as a customer whose language is
zh-hans. A page fails with the English words its visible text still holds once the data the
test made (names, emails, numbers) and the allowed words (tests/chinese.py) are set aside.

The browser test tests/journeys/test_chinese.py checks the same in Chromium on the demo data:
what JavaScript shows, and that the Chinese text fits."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from metrics import services
from surveys import tokens
from tests.chinese import CSV_VALUES, EnglishFinder, Findings, data_strings, visible_text
from tests.core.test_pages import PAGES, World, _arguments
from tests.surveys.factories import InvitationFactory

ALLOWED_ON = {"dataio:import_upload": CSV_VALUES, "dataio:import_mapping": CSV_VALUES}
LANG = re.compile(r"<html[^>]*\blang=\"([^\"]*)\"")
# Parts a page loads as soon as it is shown (hx-trigger="load"): the customer's value summary.
LOADED = re.compile(r"hx-get=\"([^\"]+)\"[^>]*hx-trigger=\"load\"")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _check(client, url, findings, *, name, statuses=(200,)):
    response = client.get(url)
    html = response.content.decode()
    if response.status_code not in statuses:
        findings.problems.append(f"{name} {url}: status {response.status_code}")
        return
    lang = LANG.search(html)
    if not lang or lang.group(1) != "zh-hans":
        findings.problems.append(f"{name} {url}: <html lang={lang and lang.group(1)!r}>")
    allowed = ALLOWED_ON.get(name, frozenset())
    findings.add(name, visible_text(html), allowed)
    for part in LOADED.findall(html):
        fragment = client.get(part, headers={"HX-Request": "true"}).content.decode()
        findings.add(name, visible_text(fragment), allowed)


@pytest.mark.parametrize("role", ["admin_user", "manager", "owner"])
def test_every_page_is_chinese_for_every_role(
    role, request, client_for, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(role)
    client = _chinese(client_for(user))
    world = World(user, client, django_capture_on_commit_callbacks)
    # Scored: the value tab, the dashboard's charts and the metrics pages show their figures
    # and explanations (with one customer, the models say why they are not fitted).
    services.full_run_sync(as_of=timezone.localdate())
    findings = Findings(EnglishFinder(data_strings()))
    for name, arguments in PAGES.items():
        if name.startswith("surveys_public:"):
            continue  # a customer's pages: test_public_survey_pages_speak_the_customers_language
        url = reverse(name, kwargs=_arguments(arguments, world))
        # A page a role may not open answers 403 (or 404): that page must be Chinese too.
        statuses = (200,) if role == "admin_user" else (200, 403, 404)
        _check(client, url, findings, name=name, statuses=statuses)
    missing = reverse("customers:detail", args=[0])
    _check(client, missing, findings, name="a page not found", statuses=(404,))
    assert not findings, f"as {role}: {findings}"


def test_public_survey_pages_speak_the_customers_language(
    admin_user, client_for, django_capture_on_commit_callbacks
):
    world = World(admin_user, client_for(admin_user), django_capture_on_commit_callbacks)
    world.customer.language = "zh-hans"
    world.customer.save(update_fields=["language"])
    fresh = InvitationFactory(customer=world.customer)  # not answered yet: the score buttons
    client = client_for(None)  # the customer: anonymous, a browser with no language cookie
    findings = Findings(EnglishFinder(data_strings()))
    for name in ("surveys_public:respond", "surveys_public:thanks", "surveys_public:unsubscribe"):
        url = reverse(name, kwargs={"signed": world.signed})
        _check(client, url, findings, name=name)
    url = reverse("surveys_public:respond", kwargs={"signed": tokens.sign(fresh.token)})
    _check(client, url, findings, name="respond (not answered)")
    # A link that was changed: the problem page, in the browser's language (nobody is known).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    url = reverse("surveys_public:respond", kwargs={"signed": "not-a-link"})
    _check(client, url, findings, name="respond (invalid link)", statuses=(400,))
    assert not findings, str(findings)


def test_the_check_finds_english_and_spares_data_codes_and_notation():
    html = """<html lang="zh-hans"><head><title>客户 · Value CRM</title></head><body>
      <h1>Acme Ltd</h1><p>订单 SO-0000012，合计 US$1,234.50（USD）</p>
      <p>Last order 3 days ago</p><input type="search" placeholder="Search…">
      <p>预测 CLV 位于第 94 百分位，P(alive) 为 0.8；<code>external_id</code></p>
      <p class="formula">CLV = m × r / (1 + d − r)</p>
      <select><option lang="en">English</option><option>简体中文</option></select>
      <script>const label = "Loading";</script></body></html>"""
    found = EnglishFinder(["Acme Ltd"]).english_lines(visible_text(html))

    assert found == [
        ("Last order 3 days ago", ["Last", "order", "days", "ago"]),
        ("Search…", ["Search"]),
    ]
