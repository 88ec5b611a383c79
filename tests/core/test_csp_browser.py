"""The Content-Security-Policy in a real browser: pages of every kind (a public one, charts,
htmx lists, the survey bars, the API key page's script, the Swagger UI, Django's admin) load
and work under it, and Chromium reports no violation. A violation is what the policy would
silently break for a user: an inline script that no longer runs, a style that no longer applies.
"""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import PASSWORD, CustomerFactory, persona
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of each page: every violation the page causes, as text.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(page):
    """The page, with a list of the policy's complaints: violation events and the console's
    "Refused to …" errors (the console also names violations the event misses)."""
    complaints = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: complaints.append(message.text)
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
        else None,
    )

    def check(where):
        complaints.extend(page.evaluate("window.cspViolations || []"))
        assert complaints == [], f"{where}: {complaints}"

    page.check_policy = check
    return page


def test_pages_work_under_the_policy_with_no_violation(watched, live_server):
    page, url = watched, live_server.url
    admin = persona("admin_user")
    customer = CustomerFactory(owner=admin, name="Northwind Traders")
    survey = SurveyFactory(name="Spring NPS")
    for score in (10, 9, 7, 3):
        ResponseFactory(invitation=InvitationFactory(survey=survey, customer=customer), score=score)

    page.goto(f"{url}/accounts/login/")
    page.check_policy("login page")
    page.fill('input[name="username"]', admin.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.check_policy("dashboard")

    # htmx under the policy (no eval, no injected <style>): the list filters as one types.
    page.goto(url + reverse("customers:list"))
    page.locator("#customer-search").press_sequentially("north", delay=30)
    expect(page.locator("#customer-results tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Northwind Traders").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind Traders")
    page.check_policy("customer list and detail")

    # The results' bars are SVG sized by attributes: drawn, with their share.
    page.goto(url + reverse("surveys:detail", args=[survey.pk]))
    promoters = page.locator(".stack svg.stack-good")
    expect(promoters).to_contain_text("50%")
    assert promoters.bounding_box()["width"] > 0
    page.check_policy("survey results")

    page.goto(url + reverse("analytics:cohorts"))
    page.check_policy("cohorts")

    # The new key's field selects itself on focus: static/js/app.js, not onfocus="".
    page.goto(url + reverse("api_pages:keys"))
    page.fill('input[name="name"]', "laptop")
    page.locator("main form button[type=submit]").first.click()
    key = page.locator("#new-api-key")
    key.focus()
    assert page.evaluate(
        "(() => { const f = document.getElementById('new-api-key');"
        " return f.selectionEnd - f.selectionStart === f.value.length; })()"
    )
    page.check_policy("API keys")

    # Swagger UI from our static files, under the policy relaxed for that page alone.
    page.goto(url + reverse("api:docs"))
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    page.check_policy("API docs")

    page.goto(url + reverse("admin:index"))
    page.goto(url + reverse("admin:customers_customer_change", args=[customer.pk]))
    expect(page.locator("#customer_form")).to_be_visible()
    page.check_policy("admin")
