"""The new API key in a real browser: a field tall enough for its characters (an
underscore was clipped in a 17 px field) and a Copy button that puts the key on the
clipboard, from a static script under the Content-Security-Policy."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import PASSWORD, persona

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copy_puts_the_new_key_on_the_clipboard(page, live_server):
    user = persona("owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}{reverse('login')}?next={reverse('api_pages:keys')}")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('main button[type="submit"]')
    page.fill('input[name="name"]', "laptop")
    page.locator("main form button[type=submit]").first.click()

    field = page.locator("#new-api-key")
    key = field.input_value()
    assert key.startswith("crm_")
    box = field.bounding_box()
    assert box["height"] >= 40
    # Nothing of the text is cut off at the bottom (the underscore's descender).
    assert page.evaluate(
        "(() => { const f = document.getElementById('new-api-key');"
        " return f.scrollHeight <= f.clientHeight; })()"
    )
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    # "Copied" shows for two seconds only: on a busy machine a poll can fall after it, so
    # every label the button takes is recorded as it happens.
    page.evaluate(
        "(() => { const b = document.querySelector('button[data-copy]'); window.labels = [];"
        " new MutationObserver(() => window.labels.push(b.textContent))"
        ".observe(b, {childList: true, characterData: true, subtree: true}); })()"
    )
    copy.click()
    page.wait_for_function("() => window.labels.includes('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert errors == []
