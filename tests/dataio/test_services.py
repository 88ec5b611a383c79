from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Customer
from dataio import services
from dataio.models import ImportJob
from metrics.models import CustomerScore
from orders.models import CustomerDay, Order
from tests.factories import CustomerFactory

from .factories import csv_bytes, upload_job

DATA = csv_bytes(
    [["External ID", "Full name", "Email"], ["C-1", "Acme", ""], ["C-2", "Globex", ""]]
)


def _configure(job, user, capture, **options):
    with capture(execute=True):
        return services.import_job_configure(
            job=job,
            user=user,
            mapping={"external_id": 0, "name": 1, "email": 2},
            options=options,
        )


def test_upload_stores_the_file_headers_and_a_guessed_mapping(owner):
    job = upload_job(user=owner, kind="customers", data=DATA, name="crm export.csv")

    assert job.status == ImportJob.Status.UPLOADED
    assert job.original_name == "crm export.csv"
    assert job.headers == ["External ID", "Full name", "Email"]
    assert job.mapping == {"external_id": 0, "email": 2}
    assert job.rows_total == 2
    assert job.options == {"encoding": "utf-8", "delimiter": ",", "date_format": "iso"}
    with job.file.open("rb") as stored:
        assert stored.read() == DATA


def test_upload_refuses_an_unreadable_file(owner):
    with pytest.raises(ValidationError, match="Line 1 is not valid UTF-8"):
        upload_job(user=owner, kind="customers", data=b"na\xefve,x\n")
    assert not ImportJob.objects.exists()


def test_outsider_cannot_upload(outsider):
    with pytest.raises(PermissionDenied):
        upload_job(user=outsider, kind="customers", data=DATA)


def test_validate_then_commit(owner, django_capture_on_commit_callbacks):
    job = upload_job(user=owner, kind="customers", data=DATA)

    job = _configure(job, owner, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.rows_processed, job.created_count, job.error_count) == (2, 2, 0)
    assert job.preview["rows"][0] == {
        "row": 2,
        "action": "created",
        "values": ["C-1", "Acme", "", "Lead", ""],
    }
    assert not Customer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_commit_request(job=job, user=owner)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.finished_at is not None
    assert Customer.objects.filter(owner=owner).count() == 2


def test_a_committed_import_analyzes_the_tables_it_filled(
    owner, django_capture_on_commit_callbacks
):
    job = upload_job(user=owner, kind="customers", data=DATA)
    _configure(job, owner, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    with (
        mock.patch("dataio.services.analyze") as analyze,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.import_job_commit_request(job=job, user=owner)
    # After the commit, for the tables whose statistics 2 rows left stale (core.db.analyze).
    analyze.assert_called_once()
    assert Customer in analyze.call_args.args
    # Their orders, summary and score rows too: a change of owner reaches them
    # (order_owners_follow, score_copies_follow).
    assert {CustomerDay, Order, CustomerScore} <= set(analyze.call_args.args)
    assert analyze.call_args.kwargs == {"added": 2}


def test_validation_errors_are_stored_with_a_full_report(owner, django_capture_on_commit_callbacks):
    data = csv_bytes(
        [["external_id", "name", "email"]] + [[f"C-{n}", "", "bad"] for n in range(250)]
    )
    job = upload_job(user=owner, kind="customers", data=data)

    job = _configure(job, owner, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.error_count == 250
    assert len(job.errors) == 200
    assert job.errors[0] == {"row": 2, "column": "name", "message": "This field cannot be blank."}
    with job.report_file.open("rb") as report:
        lines = report.read().decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,message"
    assert lines[1] == "2,name,This field cannot be blank."
    assert len(lines) == 1 + 500
    assert not job.can_commit
    with pytest.raises(ValidationError):
        services.import_job_commit_request(job=job, user=owner)


def test_a_dry_run_cannot_be_committed(owner, django_capture_on_commit_callbacks):
    job = upload_job(user=owner, kind="customers", data=DATA)
    job = _configure(job, owner, django_capture_on_commit_callbacks, dry_run=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert job.created_count == 2
    with pytest.raises(ValidationError):
        services.import_job_commit_request(job=job, user=owner)

    job = _configure(job, owner, django_capture_on_commit_callbacks, dry_run=False)
    job.refresh_from_db()
    assert job.can_commit


def test_only_the_uploader_configures_or_commits(owner, manager):
    job = upload_job(user=owner, kind="customers", data=DATA)
    with pytest.raises(PermissionDenied):
        services.import_job_configure(job=job, user=manager, mapping={}, options={})
    with pytest.raises(PermissionDenied):
        services.import_job_commit_request(job=job, user=manager)


def test_a_stale_validation_run_is_dropped(owner, django_capture_on_commit_callbacks):
    job = upload_job(user=owner, kind="customers", data=DATA)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.import_job_configure(
            job=job, user=owner, mapping={"external_id": 0, "name": 1}, options={}
        )
    old_version = job.version
    ImportJob.objects.filter(pk=job.pk).update(version=old_version + 1)

    assert services.import_job_validate(job_id=job.pk, version=old_version) is None

    job.refresh_from_db()
    assert (job.status, job.rows_processed, job.created_count) == ("validating", 0, 0)


def test_a_job_remapped_during_validation_stops_the_old_run(owner, monkeypatch):
    job = upload_job(user=owner, kind="customers", data=DATA)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.VALIDATING, version=1, mapping={"external_id": 0, "name": 1}
    )

    def remapped_meanwhile(**kwargs):
        ImportJob.objects.filter(pk=job.pk).update(version=2)
        kwargs["progress"](2)

    monkeypatch.setattr(services, "import_validate", remapped_meanwhile)
    assert services.import_job_validate(job_id=job.pk, version=1) is None
    job.refresh_from_db()
    assert (job.status, job.version) == ("validating", 2)


def test_commit_runs_once(owner, django_capture_on_commit_callbacks):
    job = upload_job(user=owner, kind="customers", data=DATA)
    job = _configure(job, owner, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_commit_request(job=job, user=owner)

    # A second delivery of the same task finds the job done and does nothing.
    assert services.import_job_commit(job_id=job.pk) is None
    with pytest.raises(ValidationError):
        services.import_job_commit_request(job=job, user=owner)
    assert Customer.objects.count() == 2


def test_commit_fails_whole_when_the_data_changed_since_validation(
    owner, teammate, django_capture_on_commit_callbacks
):
    job = upload_job(user=owner, kind="customers", data=DATA)
    job = _configure(job, owner, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    # Meanwhile a teammate got a customer with the file's second external id.
    CustomerFactory(owner=teammate, external_id="C-2")

    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_commit_request(job=job, user=owner)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 1
    assert job.errors[0]["row"] == 3
    assert "you do not own" in job.errors[0]["message"]
    assert job.report_file
    assert not Customer.objects.filter(external_id="C-1").exists()
    assert job.can_remap


def test_an_unexpected_error_fails_the_job(owner, monkeypatch, django_capture_on_commit_callbacks):
    job = upload_job(user=owner, kind="customers", data=DATA)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "import_validate", broken)
    with pytest.raises(RuntimeError):
        _configure(job, owner, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [
        {"row": None, "column": "", "message": "The validation stopped unexpectedly; try again."}
    ]
