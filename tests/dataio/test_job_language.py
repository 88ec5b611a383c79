"""An import's row errors are written by a background task, in its uploader's language (their
profile's), not in the worker's default."""

import pytest
from django.utils.translation import trans_real

from crm.models import Profile
from dataio import services, tasks

from .factories import csv_bytes, upload_job

pytestmark = pytest.mark.django_db

NOT_ONE_OF = "“%(value)s” is not one of: %(choices)s."


@pytest.fixture
def chinese(monkeypatch):
    """Simplified Chinese translates NOT_ONE_OF (made up for the test: the checks hold whether
    or not the message file is compiled yet)."""
    catalog = trans_real.translation("zh-hans")
    real = catalog.gettext
    chinese = "“%(value)s”不是以下之一：%(choices)s。"
    monkeypatch.setattr(catalog, "gettext", lambda m: chinese if m == NOT_ONE_OF else real(m))


def _validated_job(owner):
    data = csv_bytes([["external_id", "name", "status"], ["C-1", "Acme", "sleeping"]])
    job = upload_job(user=owner, kind="customers", data=data)
    services.import_job_configure(
        job=job, user=owner, mapping={"external_id": 0, "name": 1, "status": 2}, options={}
    )
    job.refresh_from_db()
    # The task as a worker runs it (here in this process, whatever language is active).
    tasks.validate_import(job.pk, job.version)
    job.refresh_from_db()
    return job


def test_the_row_errors_are_in_the_uploaders_language(owner, chinese):
    Profile.objects.create(user=owner, language="zh-hans")

    job = _validated_job(owner)

    assert services.job_language(job.pk) == "zh-hans"
    assert [error["message"] for error in job.errors] == [
        "“sleeping”不是以下之一：lead, active, churned。"
    ]


def test_without_a_chosen_language_they_are_in_the_sites(owner, chinese):
    job = _validated_job(owner)

    assert services.job_language(job.pk) == "en"
    assert [error["message"] for error in job.errors] == [
        "“sleeping” is not one of: lead, active, churned."
    ]
