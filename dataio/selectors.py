"""Reads of import jobs. A rep sees only their own jobs; whoever sees every customer
(managers, admins) sees every job."""

from celery.result import AsyncResult
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.pagination import Keyset
from core.types import AnyUser
from customers.selectors import can_see_all_customers

from . import parsing
from .models import ImportJob


def jobs_visible_to(user: AnyUser) -> QuerySet[ImportJob]:
    if not user.is_authenticated:
        return ImportJob.objects.none()
    if can_see_all_customers(user):
        return ImportJob.objects.all()
    return ImportJob.objects.filter(user=user)


# The imports page, newest first, paged by keyset along (created_at, id) for those who see
# every job and (user, created_at, id) for a rep's own (dataio 0002).
JOBS_ORDER = Keyset(name="import-jobs", key="created_at", descending=True)


def job_list(*, user: AnyUser) -> QuerySet[ImportJob]:
    """The jobs ``user`` sees, newest first (``JOBS_ORDER``)."""
    return jobs_visible_to(user).select_related("user").order_by(*JOBS_ORDER.ordering())


def job_get(*, user: AnyUser, job_id: int) -> ImportJob:
    """The job, or 404 when it does not exist or is someone else's the user may not see."""
    return get_object_or_404(jobs_visible_to(user).select_related("user"), pk=job_id)


def rows_processed(job: ImportJob) -> int:
    """Rows done so far. A commit runs in one transaction, invisible to other connections
    until it ends, so its task reports progress to the Celery result backend instead."""
    if job.status != ImportJob.Status.IMPORTING or not job.task_id:
        return job.rows_processed
    try:
        info = AsyncResult(job.task_id).info
    # A progress bar is not worth an error page when the result backend is down.
    except Exception:  # noqa: BLE001
        return job.rows_processed
    if isinstance(info, dict):
        return info.get("rows", 0)
    return job.rows_processed


def sample_rows(job: ImportJob, count: int = 3) -> list[list[str]]:
    """The first data rows of the job's file, to help with the mapping; none when the
    file cannot be read (validation then says why)."""
    rows: list[list[str]] = []
    with job.file.open("rb") as stream:
        records = parsing.iter_records(
            stream, encoding=job.options["encoding"], delimiter=job.options["delimiter"]
        )
        try:
            if job.options.get("header", True):
                next(records, None)
            for _line, cells in records:
                rows.append(cells)
                if len(rows) == count:
                    break
        except parsing.FileError:
            pass
        finally:
            records.close()
    return rows
