"""A sales manager's day in a real browser, at a desk and on a phone: the dashboard, the
cohorts, the high-value detractors, a full recalculation watched to the end, a customer
file imported after fixing its bad row, and the list exported. See conftest.py for what
every step checks."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Customer

if not Path("/usr/bin/chromium").exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

# A real Celery worker (started in the middle: the page is seen waiting, then done).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

HEADER = "external_id,name,email,kind,status,region\n"
GOOD_ROWS = (
    "N-100,Harbour Lights Ltd,info@harbourlights.example.com,company,active,Europe\n"
    "N-101,Ada Marsh,ada.marsh@example.com,person,lead,Europe\n"
)
BAD_ROW = "N-102,Quayside Foods,quayside.example.com,company,sleeping,Europe\n"
FIXED_ROW = "N-102,Quayside Foods,orders@quayside.example.com,company,active,Europe\n"


def upload_and_check(journey, name, content):
    """Upload a customer file from the customer list, match its columns as suggested and
    check it (a dry run: nothing is written)."""
    page = journey.page
    journey.nav("Customers")
    page.get_by_role("link", name="Import customers from CSV").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="2. Match the columns")).to_be_visible()
    journey.step(f"{name}: columns")
    page.get_by_role("button", name="Check the file").click()
    # The check runs in the worker; the page polls until it is done ("About 3 rows in the
    # file." while it runs, the count once the file is read).
    status = page.locator("#job-status")
    rows = status.locator("[data-rows]")
    expect(rows).to_have_text(re.compile(r"^\d+ rows? in the file\.$"), timeout=30_000)
    return status


def test_a_managers_day(journey, demo, idle_worker):
    page = journey.page
    journey.log_in("manager")
    journey.step("dashboard", docs={"desktop": "dashboard"})

    page.get_by_role("link", name="Cohorts and CAC payback").click()
    expect(page.get_by_role("heading", name="Cohorts", level=1)).to_be_visible()
    journey.step("cohorts")
    page.get_by_label("Months").select_option("6")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#cohorts-body")).to_contain_text("in the last 6 months")
    expect(page.get_by_label("Months")).to_have_value("6")
    journey.step("cohorts, 6 months")

    journey.nav("Call next")
    expect(page.locator("#value-list")).to_be_visible()
    journey.step("call next")
    page.get_by_role("link", name="High-value detractors").click()
    expect(page.get_by_role("heading", name="High-value detractors")).to_be_visible()
    journey.step("high-value detractors")

    # No worker yet: the run waits in the queue, then the page follows it to the end.
    journey.nav("Metrics")
    page.get_by_role("button", name="Recalculate now").click()
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("Queued: waiting for a worker…")
    journey.step("recalculation queued")
    idle_worker.start()
    expect(progress.locator(".badge")).to_have_text("Done", timeout=30_000)
    expect(progress).to_contain_text(f"Scored {Customer.objects.count()} customers")
    latest = page.locator("#run-status table tbody tr").first
    expect(latest).to_contain_text("Done")
    journey.step("recalculation done")

    status = upload_and_check(journey, "new-customers.csv", HEADER + GOOD_ROWS + BAD_ROW)
    expect(status).to_contain_text("1 row has errors")
    expect(status.locator("table").first).to_contain_text("email")
    journey.step("dry run: a bad row")

    status = upload_and_check(journey, "new-customers-fixed.csv", HEADER + GOOD_ROWS + FIXED_ROW)
    expect(status).to_contain_text("Every row is valid")
    journey.step("dry run: every row valid")
    status.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import now?")).to_be_visible()
    journey.step("import now?")
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#job-status")).to_contain_text("Imported.", timeout=30_000)
    journey.step("imported")
    assert Customer.objects.filter(external_id__in=["N-100", "N-101", "N-102"]).count() == 3

    journey.nav("Customers")
    page.get_by_label("Region").select_option("Europe")
    expect(page.locator("#customer-results .result-count")).to_contain_text("Clear filters")
    journey.step("customers in Europe")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these customers (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert {"value_score", "tier", "predicted_clv"} <= set(rows[0])
    assert {row["region"] for row in rows} == {"Europe"}
    assert "Quayside Foods" in {row["name"] for row in rows}
