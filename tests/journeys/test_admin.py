"""An admin's survey round in a real browser, at a desk and on a phone: an NPS and a CSAT
survey designed and sent, one customer answering through the link in their email as a
detractor, then that customer's pages and the high-value detractors. See conftest.py for
what every step checks."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from metrics.models import CustomerScore
from surveys.models import Invitation

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def survey_sent(journey, *, name, kind, customers):
    """Design a survey, choose its audience (a list of external ids) and send it."""
    page = journey.page
    journey.nav("Surveys")
    page.get_by_role("link", name="New survey").click()
    expect(page.get_by_role("heading", name="New survey", level=1)).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Kind").select_option(kind)
    journey.step(f"new {kind} survey")
    page.get_by_role("button", name="Save").click()
    # Saved, it asks who gets it.
    expect(page.get_by_role("heading", name="Who gets the survey", level=1)).to_be_visible()
    page.get_by_label("A list of customers").check()
    page.get_by_label("Emails or external ids").fill(
        "\n".join(customer.external_id for customer in customers)
    )
    preview = page.locator("#audience-preview")
    expect(preview).to_contain_text(f"{len(customers)} customers will be emailed")
    journey.step(f"{kind} audience")
    page.get_by_role("button", name="Save audience").click()
    expect(page.locator(".messages")).to_contain_text("Audience saved")
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()

    page.get_by_role("link", name="Send…").click()
    expect(page.get_by_role("button", name="Send the survey")).to_be_visible()
    journey.step(f"send {kind}?")
    page.get_by_role("button", name="Send the survey").click()
    progress = page.locator("#survey-progress")
    expect(progress).to_contain_text(f"{len(customers)} of {len(customers)} emails sent")
    journey.step(f"{kind} sent")


def link_in_email(address, score):
    """The link of ``score`` in the last email to ``address`` ("3: https://…/s/…/?score=3"
    in its text), as a path and query on this server."""
    body = next(m.body for m in reversed(mail.outbox) if address in m.to)
    link = urlsplit(re.search(rf"^{score}: (\S+)$", body, re.MULTILINE).group(1))
    return f"{link.path}?{link.query}"


def test_an_admins_survey_round(journey, demo):
    page = journey.page
    # Active, reachable tier A and B customers: three get the NPS survey (the first of
    # them will be a detractor), three others the CSAT one (nobody is asked twice in 90
    # days).
    scores = (
        CustomerScore.objects.filter(
            tier__in=["A", "B"], customer__status="active", customer__marketing_opt_out=False
        )
        .exclude(customer__email="")
        .select_related("customer")
        .order_by("-value_score")[:6]
    )
    customers = [score.customer for score in scores]
    unhappy = customers[0]

    journey.log_in("admin")
    journey.step("dashboard")

    survey_sent(journey, name="Autumn NPS", kind="nps", customers=customers[:3])
    survey_sent(journey, name="Order CSAT", kind="csat", customers=customers[3:])

    # The customer, in a browser of their own, follows the link of a 3 in their NPS email.
    invitation = Invitation.objects.get(survey__name="Autumn NPS", customer=unhappy)
    customer_page = journey.open_page()
    customer_page.goto(journey.url(link_in_email(invitation.email, 3)))
    expect(customer_page.get_by_role("radio", name="3", exact=True)).to_be_checked()
    journey.step("survey link", customer_page)
    customer_page.locator("textarea").fill("Deliveries were late twice this month.")
    customer_page.get_by_role("button", name="Send my answer").click()
    expect(customer_page.get_by_role("heading", name="Thank you!")).to_be_visible()
    journey.step("answered 3", customer_page)

    # The admin looks at that customer: the answer made a follow-up task with no author.
    page.goto(journey.url(unhappy.get_absolute_url()))
    expect(page.get_by_role("heading", level=1)).to_contain_text(unhappy.name)
    expect(page.locator("#value-summary strong.big")).to_be_visible()
    journey.step("detractor's overview")
    page.locator(".tabs").get_by_role("link", name="Activities").click()
    expect(page.locator(".timeline")).to_contain_text("NPS")
    journey.step("detractor's activities")
    page.locator(".tabs").get_by_role("link", name="Value").click()
    expect(page.locator("#value-body")).to_contain_text("Detractor")
    journey.step("detractor's value")
    page.locator(".tabs").get_by_role("link", name="Surveys").click()
    expect(page.locator("main")).to_contain_text("Autumn NPS")
    journey.step("detractor's surveys")

    journey.nav("Call next")
    page.get_by_role("link", name="High-value detractors").click()
    detractors = page.locator("#value-list")
    expect(detractors).to_contain_text(unhappy.name)
    expect(detractors).to_contain_text("Deliveries were late twice this month.")
    journey.step("high-value detractors")
    detractors.get_by_role("link", name=unhappy.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(unhappy.name)
    journey.step("detractor from the list")
