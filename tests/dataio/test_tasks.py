import time

import pytest

from customers.models import Customer
from dataio import selectors, services
from dataio.models import ImportJob

from .factories import csv_bytes, upload_job

ROWS = 5000


def _wait_for(job, status, on_poll=None, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if on_poll:
            on_poll(job)
        if job.status == status:
            return job
        assert job.status != ImportJob.Status.FAILED, job.errors
        assert time.monotonic() < deadline, f"still {job.status}"
        time.sleep(0.05)


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_an_import_runs_on_a_real_worker(live_worker, owner, settings):
    # The worker process stores and reads files where the settings say, not in tmp_path.
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"
    data = csv_bytes([["external_id", "name"]] + [[f"W-{n}", f"Name {n}"] for n in range(ROWS)])
    job = upload_job(user=owner, kind="customers", data=data)
    try:
        services.import_job_configure(
            job=job, user=owner, mapping={"external_id": 0, "name": 1}, options={}
        )
        job = _wait_for(job, ImportJob.Status.VALIDATED)
        assert (job.rows_processed, job.created_count, job.error_count) == (ROWS, ROWS, 0)
        assert not Customer.objects.exists()

        services.import_job_commit_request(job=job, user=owner)
        progress = []
        _wait_for(
            job,
            ImportJob.Status.DONE,
            on_poll=lambda current: progress.append(selectors.rows_processed(current)),
        )

        assert Customer.objects.filter(owner=owner).count() == ROWS
        # While the commit's transaction was open, progress came from the result backend.
        assert {1000, 2000, 3000, 4000} & set(progress), progress
    finally:
        job.file.delete(save=False)
