import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from dataio.models import ImportJob
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk

from .factories import csv_bytes, upload_job

DATA = csv_bytes([["external_id", "name"], ["C-1", "Acme"], ["C-2", "Globex"]])
PERSONAS = ["anonymous", "outsider", "owner", "teammate", "manager", "admin_user"]


@pytest.fixture
def persona(request):
    """``persona(name)``: the user of that fixture name (None for anonymous)."""

    def get(name):
        return None if name == "anonymous" else request.getfixturevalue(name)

    return get


@pytest.fixture
def job(owner):
    return upload_job(user=owner, kind="customers", data=DATA)


def _status(response):
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return "login"
    return response.status_code


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", "login"),
        ("outsider", 403),
        ("owner", 200),
        ("manager", 200),
        ("admin_user", 200),
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        reverse("dataio:imports"),
        reverse("dataio:import_upload", args=["customers"]),
        reverse("dataio:import_upload", args=["orders"]),
        reverse("dataio:export_customers"),
        reverse("dataio:export_orders"),
    ],
)
def test_pages_by_role(db, client_for, persona, who, expected, url):
    assert _status(client_for(persona(who)).get(url)) == expected


@pytest.mark.parametrize(
    ("who", "detail", "mapping", "commit"),
    [
        ("anonymous", "login", "login", "login"),
        ("outsider", 403, 403, 403),
        ("owner", 200, 200, 302),  # nothing to commit yet: back to the job page
        ("teammate", 404, 404, 404),
        ("manager", 200, 403, 403),
        ("admin_user", 200, 403, 403),
    ],
)
def test_job_pages_by_role(client_for, persona, job, who, detail, mapping, commit):
    client = client_for(persona(who))
    assert _status(client.get(reverse("dataio:import_detail", args=[job.pk]))) == detail
    assert _status(client.get(reverse("dataio:import_mapping", args=[job.pk]))) == mapping
    assert _status(client.get(reverse("dataio:import_commit", args=[job.pk]))) == commit


def test_unknown_import_kind_is_404(client_for, owner):
    assert client_for(owner).get("/data/imports/new/products/").status_code == 404


def test_home_lists_own_jobs_for_a_rep_and_all_for_a_manager(client_for, owner, teammate, manager):
    upload_job(user=owner, kind="customers", data=DATA, name="mine.csv")
    upload_job(user=teammate, kind="customers", data=DATA, name="theirs.csv")

    page = client_for(owner).get(reverse("dataio:imports")).content.decode()
    assert "mine.csv" in page
    assert "theirs.csv" not in page

    page = client_for(manager).get(reverse("dataio:imports")).content.decode()
    assert "mine.csv" in page
    assert "theirs.csv" in page


def test_home_shows_an_empty_state(client_for, owner):
    assert "No imports yet." in client_for(owner).get(reverse("dataio:imports")).content.decode()


# --- The jobs, a keyset page at a time (dataio.selectors.JOBS_ORDER) --------------------

UPLOADED = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def jobs_of_every_kind(owner, teammate, manager):
    """Jobs in every state, newest first with ties on the time: the rep's, a teammate's
    who has since left (deactivated, no full name), a manager's orders import."""
    uploads = [(owner, "customers"), (teammate, "customers"), (manager, "orders")] * 3
    made = [
        upload_job(user=user, kind=kind, data=DATA, name=f"file-{i}.csv")
        for i, (user, kind) in enumerate(uploads)
    ]
    states = [
        {"status": ImportJob.Status.VALIDATED},
        {"status": ImportJob.Status.DONE, "created_count": 2, "finished_at": UPLOADED},
        {"status": ImportJob.Status.FAILED, "error_count": 1},
        {"status": ImportJob.Status.IMPORTING},
    ]
    for i, job in enumerate(made):
        ImportJob.objects.filter(pk=job.pk).update(
            created_at=UPLOADED + dt.timedelta(minutes=i // 2), **states[i % len(states)]
        )
    teammate.is_active, teammate.first_name = False, ""
    teammate.save()
    return list(ImportJob.objects.all())


def _newest_first(jobs):
    return [j.pk for j in sorted(jobs, key=lambda j: (j.created_at, j.pk), reverse=True)]


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_walking_the_imports_shows_each_job_once_newest_first_in_the_same_queries(
    client_for, persona, jobs_of_every_kind, settings, who
):
    """A rep pages through their own jobs, a manager through everyone's."""
    settings.CRM_PAGE_SIZE = 2
    user = persona(who)
    seen = [j for j in jobs_of_every_kind if who == "manager" or j.user_id == user.pk]
    client = client_for(user)

    whole = walk(client, reverse("dataio:imports"))
    swapped = walk(client, reverse("dataio:imports"), target="import-jobs")

    assert whole.ids == swapped.ids == _newest_first(seen)
    assert len(whole.pages) >= 2
    assert len(set(whole.queries)) == 1, whole.queries  # the first page and the deepest
    assert len(set(swapped.queries)) == 1, swapped.queries
    assert all("<h1>" not in html and "<table" in html for html in swapped.html)


def test_a_jobs_cursor_not_made_here_shows_the_newest(
    client_for, manager, jobs_of_every_kind, settings
):
    settings.CRM_PAGE_SIZE = 2

    assert_cursors_not_ours_show_the_first_page(
        client_for(manager), reverse("dataio:imports"), _newest_first(jobs_of_every_kind)[:2]
    )


def test_the_whole_flow(client_for, owner, django_capture_on_commit_callbacks):
    client = client_for(owner)
    upload = SimpleUploadedFile("customers.csv", DATA, content_type="text/csv")
    response = client.post(
        reverse("dataio:import_upload", args=["customers"]),
        {"file": upload, "encoding": "utf-8", "delimiter": ""},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:import_mapping", args=[job.pk])

    page = client.get(response["Location"]).content.decode()
    assert "Globex" in page  # a sample of the file helps with the mapping
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dataio:import_mapping", args=[job.pk]),
            {"external_id": "0", "name": "1", "date_format": "iso"},
        )
    assert response.status_code == 302

    page = client.get(reverse("dataio:import_detail", args=[job.pk])).content.decode()
    assert "Every row is valid." in page
    assert "Globex" in page
    assert reverse("dataio:import_commit", args=[job.pk]) in page

    page = client.get(reverse("dataio:import_commit", args=[job.pk])).content.decode()
    assert "Import now?" in page
    assert not Customer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dataio:import_commit", args=[job.pk]))
    assert response.status_code == 302
    assert Customer.objects.filter(owner=owner).count() == 2
    page = client.get(reverse("dataio:import_detail", args=[job.pk])).content.decode()
    assert "Imported." in page


def test_upload_errors_are_shown_on_the_form(client_for, owner):
    client = client_for(owner)
    url = reverse("dataio:import_upload", args=["customers"])
    response = client.post(url, {"file": SimpleUploadedFile("a.csv", b""), "encoding": "utf-8"})
    assert response.status_code == 200
    assert "The submitted file is empty." in response.content.decode()

    bad = SimpleUploadedFile("a.csv", b"\xff\xfename\n")
    response = client.post(url, {"file": bad, "encoding": "utf-8"})
    assert response.status_code == 200
    assert "Line 1 is not valid UTF-8" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_errors_are_shown_inline(client_for, owner, job):
    response = client_for(owner).post(
        reverse("dataio:import_mapping", args=[job.pk]), {"name": "1", "date_format": "iso"}
    )
    assert response.status_code == 200
    assert "Map a column to External id: it is required." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_rep_is_not_offered_the_owner_column(client_for, owner, manager):
    mine = upload_job(user=owner, kind="customers", data=DATA)
    page = client_for(owner).get(reverse("dataio:import_mapping", args=[mine.pk])).content
    assert b'name="owner"' not in page
    theirs = upload_job(user=manager, kind="customers", data=DATA)
    page = client_for(manager).get(reverse("dataio:import_mapping", args=[theirs.pk])).content
    assert b'name="owner"' in page


def test_progress_polls_while_running_and_htmx_gets_the_partial(client_for, owner, job):
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.VALIDATING, rows_total=200, rows_processed=50
    )
    client = client_for(owner)
    url = reverse("dataio:import_detail", args=[job.pk])

    page = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page
    assert "<html" in page

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'id="job-status"' in fragment
    assert "50 of about 200 rows" in fragment

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.VALIDATED)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment  # done: polling stops


def test_error_report_download(client_for, owner, teammate, django_capture_on_commit_callbacks):
    job = upload_job(
        user=owner, kind="customers", data=csv_bytes([["external_id", "name"], ["", "x"]])
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(
            reverse("dataio:import_mapping", args=[job.pk]),
            {"external_id": "0", "name": "1", "date_format": "iso"},
        )
    url = reverse("dataio:import_report", args=[job.pk])

    response = client_for(owner).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="upload-errors.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith('row,column,message\r\n2,external_id,"The external id is empty.')
    assert client_for(teammate).get(url).status_code == 404


def test_no_report_is_404(client_for, owner, job):
    assert client_for(owner).get(reverse("dataio:import_report", args=[job.pk])).status_code == 404


def test_one_check_no_dry_run_box_and_the_row_count_becomes_exact(
    client_for, owner, django_capture_on_commit_callbacks
):
    """ "Check the file" is the dry run (there is no second one to tick); once the file is
    read, the polled part says how many rows it has, not "about"; wide previews scroll in
    their own box instead of losing their last column."""
    wide = csv_bytes(
        [["external_id", "name", "email", "notes"]]
        + [[f"C-{i}", f"Customer {i}", f"c{i}@example.com", "x" * 60] for i in range(5)]
    )
    job = upload_job(user=owner, kind="customers", data=wide)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=7)  # an estimate, off by two
    client = client_for(owner)
    mapping = client.get(reverse("dataio:import_mapping", args=[job.pk])).content.decode()
    assert 'name="dry_run"' not in mapping
    assert "Dry run" not in mapping
    assert "Check the file" in mapping
    assert "About 7 rows in the file." in client.get(job.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dataio:import_mapping", args=[job.pk]),
            {"external_id": "0", "name": "1", "email": "2", "date_format": "iso"},
        )
    fragment = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "5 rows in the file." in fragment
    assert "About" not in fragment
    assert "Nothing is written yet" in fragment
    preview = fragment.split("<h3>Preview</h3>")[1]
    assert re.match(r'\s*<div class="table-scroll">\s*<table', preview)
    assert "Changes</th>" in preview  # the last column is there


def test_job_page_groups_the_row_count_in_its_plural_sentence(client_for, owner):
    """The count in "N rows in the file." is grouped like every other count on the page."""
    job = upload_job(user=owner, kind="customers", data=DATA)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=12345)
    page = client_for(owner).get(job.get_absolute_url()).content.decode()
    assert "About 12,345 rows in the file." in page
    assert "12345" not in page
