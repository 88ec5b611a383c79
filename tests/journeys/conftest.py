"""What every journey test shares: the demo data, scored; a browser page at the desk's or
the phone's width that fails a step on anything a user would notice going wrong; and a
screenshot of every step (under var/screenshots/journeys/, not committed).

A step fails on
- a 4xx or 5xx response the test did not announce with ``journey.expecting(status, path)``
  (pages, htmx fragments, static files, the favicon: whatever the browser fetched);
- a JavaScript error: an uncaught exception, an error on the console, a Content-Security-
  Policy violation (a script or style the policy blocked);
- a page wider than the window (``document.documentElement.scrollWidth > innerWidth``):
  the page scrolls sideways. The message names the elements that stick out.
"""

import datetime as dt
import io
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from crm.demo.load import DEMO_PASSWORD
from metrics import services

VIEWPORTS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
CUSTOMERS = 60  # demo customers: every list has rows, every tier members; built in about 1 s
SEED = 42
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "journeys"
# JOURNEY_DOCS=1 also saves the window of the steps marked docs= into docs/screenshots/,
# the README's pictures (made smaller as its section "What it looks like" says).
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"

# Runs before any script of each page: every Content-Security-Policy violation, as text.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile}:${event.lineNumber}` +
    (event.target && event.target.outerHTML ? ` on ${event.target.outerHTML.slice(0, 160)}` : "")
  );
});
"""

# The page's width against the window's, and the elements that stick out of the window
# (those inside a box that scrolls or clips on its own do not widen the page).
MEASURE_WIDTH = """
() => {
  const inner = window.innerWidth;
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = (element) => {
    const id = element.id ? `#${element.id}` : "";
    const classes = [...element.classList].map((c) => `.${c}`).join("");
    const text = (element.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return `<${element.tagName.toLowerCase()}${id}${classes}> "${text}"`;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > inner + 1 && !clipped(element)) {
      wide.push(`${name(element)} to ${Math.round(box.right)} px`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner, wide: wide.slice(-6)};
}
"""


@dataclass
class Allowance:
    status: int
    path: str
    seen: int = 0


class Journey:
    """A role's day in the browser, step by step. ``page`` is the browser tab (one
    context per journey, at the viewport's size); ``step(name)`` checks what went wrong
    since the last step and keeps a screenshot; ``expecting(status, path)`` announces a
    4xx the page asks for (and fails if it does not come)."""

    def __init__(self, *, new_context, base_url, viewport, folder):
        self.base_url = base_url
        self.viewport = viewport
        self.folder = folder
        self._new_context = new_context
        self.problems = []
        self.allowed = []
        self.steps = 0
        self.page = self.open_page()

    def open_page(self):
        """A new tab in a context of its own (no cookies: another person), watched the
        same way."""
        context = self._new_context(viewport=VIEWPORTS[self.viewport], accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("console", self._console)
        return page

    def url(self, path):
        return self.base_url + path

    def _response(self, response):
        if response.status < 400:
            return
        path = urlsplit(response.url).path
        for allowance in self.allowed:
            if allowance.status == response.status and allowance.path in path:
                allowance.seen += 1
                return
        self.problems.append(f"{response.status} for {response.request.method} {path}")

    def _console(self, message):
        if message.type != "error":
            return
        # The browser's own line for a failed request; the response event judges those.
        if message.text.startswith("Failed to load resource"):
            return
        self.problems.append(f"console error: {message.text}")

    @contextmanager
    def expecting(self, status, path):
        allowance = Allowance(status, path)
        self.allowed.append(allowance)
        try:
            yield
        finally:
            self.allowed.remove(allowance)
        assert allowance.seen, f"expected a {status} response from {path}"

    def step(self, name, page=None, docs=None):
        """Check the page as it is now and keep a screenshot of it; ``docs`` maps a
        viewport to the name of the README's picture of this step."""
        page = page or self.page
        # A heading can be visible before the stylesheet has loaded (layout forced by a
        # script): on a busy machine the width was then measured without the page's CSS.
        page.wait_for_load_state("load")
        self.steps += 1
        problems = self.problems
        problems.extend(page.evaluate("window.cspViolations || []"))
        width = page.evaluate(MEASURE_WIDTH)
        if width["scroll"] > width["inner"]:
            problems.append(
                f"the page is {width['scroll']} px wide in a {width['inner']} px window: "
                + "; ".join(width["wide"])
            )
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        # caret="initial": hiding the caret sets style="" on every field, which a later
        # htmx swap copies onto the new fields, and the policy refuses inline styles.
        page.screenshot(
            path=self.folder / f"{self.steps:02d}-{slug}.png", full_page=True, caret="initial"
        )
        if docs and self.viewport in docs and os.environ.get("JOURNEY_DOCS"):
            page.screenshot(path=DOCS_SCREENSHOTS / f"{docs[self.viewport]}.png", caret="initial")
        self.problems = []
        page.evaluate("window.cspViolations = []")
        assert not problems, f"step {self.steps} “{name}” at {self.viewport} width: {problems}"

    def log_in(self, username, password=DEMO_PASSWORD):
        page = self.page
        page.goto(self.url("/accounts/login/"))
        self.step("log in")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', password)
        page.click('main button[type="submit"]')
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    def nav(self, label):
        """Follow a link of the main navigation, opening the menu first where it is
        folded (a phone)."""
        page = self.page
        menu = page.locator("header details.menu")
        summary = menu.locator("summary")
        if summary.is_visible() and menu.get_attribute("open") is None:
            summary.click()
        link = page.locator("header nav").get_by_role("link", name=label, exact=True)
        path = link.get_attribute("href")
        link.click()
        page.wait_for_url(lambda url: urlsplit(url).path == path)


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def journey(request, new_context, live_server, viewport):
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # A loaded machine (CI, parallel tests) may take more than the default 5 s to answer.
    expect.set_options(timeout=10_000)
    yield Journey(
        new_context=new_context, base_url=live_server.url, viewport=viewport, folder=folder
    )
    expect.set_options(timeout=None)


@pytest.fixture
def demo(transactional_db):
    """The demo data set (users admin, manager, rep, rep2) as of today, scored by full
    recalculations as of 60 and 30 days ago and today. As of today, not a fixed day: what
    the journeys do (an order, a survey answer) is dated today, and a score as of an
    earlier day would leave it out.

    Built for each test: a browser test's transactional database is emptied after it,
    and building this is quicker than any copy of it (about a second)."""
    as_of = timezone.localdate()
    call_command("seed_demo", customers=CUSTOMERS, seed=SEED, as_of=as_of, stdout=io.StringIO())
    # The nightly runs of the last two months, in short: a score history, a trend since
    # last month and churn risks that rose since the previous calculation.
    for days_ago in (60, 30, 0):
        services.full_run_sync(as_of=as_of - dt.timedelta(days=days_ago))
    return as_of


@pytest.fixture
def idle_worker(demo, worker_process):
    """A Celery worker process not started yet: what the pages send waits in its queue
    until the test starts it, so the page is seen before and after the work is done."""
    return worker_process
