"""Writes of the import app: running an import over a file, and the life of an ImportJob.

``import_validate`` and ``import_commit`` are the one way into the importers; the
management commands call them on a path, the Celery tasks on a job's stored file.
A job moves uploaded -> validating -> validated -> importing -> done, or to failed;
each step is claimed with a conditional UPDATE so a duplicate or stale task does nothing.
"""

import csv
import io
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csv import BOM, safe_cell
from core.db import analyze
from core.languages import user_language
from core.queue import enqueue_on_commit
from core.types import Actor, AnyUser, User

from . import engine, parsing
from .columns import detect, mapping_errors
from .customer_import import CustomerImporter
from .models import ImportJob
from .order_import import OrderImporter

logger = logging.getLogger(__name__)

# Called with each row error as it is found, and with the rows read so far after a batch.
OnError = Callable[[engine.RowError], None]
Progress = Callable[[int], None]

IMPORTERS: dict[str, type[engine.Importer]] = {
    ImportJob.Kind.CUSTOMERS: CustomerImporter,
    ImportJob.Kind.ORDERS: OrderImporter,
}
# Options the mapping step may change; the encoding and delimiter are fixed at upload.
MAPPING_OPTIONS = (
    "date_format",
    "dry_run",
    "create_customers",
    "new_customer_kind",
    "without_external_id",
)


class ImportFailed(Exception):
    """Some rows failed during a commit; raised to roll the transaction back."""

    def __init__(self, report: engine.Report) -> None:
        super().__init__(f"{report.error_rows} rows with errors")
        self.report = report


class StaleRun(Exception):
    """The job moved on (a new mapping, or finished) while this task was running."""


def required_permissions(kind: str, options: Mapping[str, Any]) -> tuple[str, ...]:
    if kind == ImportJob.Kind.CUSTOMERS:
        return ("customers.add_customer", "customers.change_customer")
    perms: tuple[str, ...] = ("orders.add_order", "orders.change_order")
    if options.get("create_customers"):
        perms += ("customers.add_customer",)
    return perms


def can_import(user: AnyUser, kind: str, options: Mapping[str, Any] | None = None) -> bool:
    return user.has_perms(required_permissions(kind, options or {}))


def _check_permission(user: Actor, kind: str, options: Mapping[str, Any]) -> None:
    if user is not None and not can_import(user, kind, options):
        raise PermissionDenied


def _importer(
    *,
    kind: str,
    user: Actor,
    headers: list[str],
    mapping: dict[str, int],
    options: dict[str, Any],
    on_error: OnError | None,
) -> engine.Importer:
    _check_permission(user, kind, options)
    scope = engine.Scope(user)
    errors = mapping_errors(
        kind, mapping, headers=headers, options=options, can_reassign=scope.can_reassign
    )
    if errors:
        raise ValidationError(errors)
    report = engine.Report(headers=headers, mapping=mapping, on_error=on_error)
    return IMPORTERS[kind](
        scope=scope, mapping=mapping, options=engine.Options.from_dict(options), report=report
    )


def import_validate(
    *,
    kind: str,
    stream: IO[bytes],
    headers: list[str],
    mapping: dict[str, int],
    options: dict[str, Any],
    user: Actor,
    progress: Progress | None = None,
    on_error: OnError | None = None,
) -> engine.Report:
    """Check every row of ``stream`` (a binary file) and count what an import would do.
    Writes nothing. ``user`` None runs with every customer in scope (management commands
    without --user)."""
    importer = _importer(
        kind=kind, user=user, headers=headers, mapping=mapping, options=options, on_error=on_error
    )
    return engine.run(importer=importer, stream=stream, write=False, progress=progress)


@transaction.atomic
def import_commit(
    *,
    kind: str,
    stream: IO[bytes],
    headers: list[str],
    mapping: dict[str, int],
    options: dict[str, Any],
    user: Actor,
    progress: Progress | None = None,
    on_error: OnError | None = None,
) -> engine.Report:
    """Import every row of ``stream`` in one transaction; ImportFailed (with the report)
    when any row fails, and then nothing is written."""
    importer = _importer(
        kind=kind, user=user, headers=headers, mapping=mapping, options=options, on_error=on_error
    )
    report = engine.run(importer=importer, stream=stream, write=True, progress=progress)
    if report.has_errors:
        raise ImportFailed(report)
    # Once committed; only the tables whose planner statistics this left stale.
    analyze(*importer.filled_models, added=report.rows)
    return report


# --- Import jobs ----------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    user: User,
    kind: str,
    upload: UploadedFile,
    encoding: str = "utf-8",
    delimiter: str = "",
    has_header: bool | None = None,
) -> ImportJob:
    """Store an uploaded file with its headers, a guessed mapping and the options its first
    rows tell (delimiter, header line, date format; ``delimiter`` "" and ``has_header``
    None are detected). A file whose first line cannot be read is refused with a
    ValidationError naming the problem."""
    _check_permission(user, kind, {})
    try:
        shape = parsing.inspect(
            upload, encoding=encoding, delimiter=delimiter, has_header=has_header
        )
    except parsing.FileError as exc:
        raise ValidationError(exc.message) from exc
    mapping, options = detect(kind, shape, can_reassign=engine.Scope(user).can_reassign)
    upload.seek(0)
    rows_total = parsing.estimate_rows(upload) + (0 if shape.has_header else 1)
    upload.seek(0)
    job = ImportJob(
        user=user,
        kind=kind,
        original_name=os.path.basename(upload.name or "")[:255],
        headers=shape.headers,
        mapping=mapping,
        options={"encoding": encoding, **options},
        rows_total=rows_total,
    )
    job.file.save(job.original_name, upload, save=False)
    job.save()
    return job


def _check_owner(job: ImportJob, user: AnyUser) -> None:
    if job.user_id != user.pk:
        raise PermissionDenied(_("Only the person who uploaded this file can change or run it."))


def _reset_results() -> dict[str, Any]:
    return {
        "rows_processed": 0,
        "created_count": 0,
        "updated_count": 0,
        "unchanged_count": 0,
        "error_count": 0,
        "new_customers_count": 0,
        "errors": [],
        "preview": {},
        "report_file": "",
        "finished_at": None,
    }


@transaction.atomic
def import_job_configure(
    *, job: ImportJob, user: User, mapping: dict[str, int], options: Mapping[str, Any]
) -> ImportJob:
    """Set the mapping and options, then validate the file again in the background."""
    from . import tasks

    _check_owner(job, user)
    merged = {
        **job.options,
        **{name: options[name] for name in MAPPING_OPTIONS if name in options},
    }
    _check_permission(user, job.kind, merged)
    errors = mapping_errors(
        job.kind,
        mapping,
        headers=job.headers,
        options=merged,
        can_reassign=engine.Scope(user).can_reassign,
    )
    if errors:
        raise ValidationError(errors)
    old_report = job.report_file.name
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.REMAPPABLE).update(
        mapping=mapping,
        options=merged,
        status=ImportJob.Status.VALIDATING,
        version=F("version") + 1,
        task_id="",
        **_reset_results(),
    )
    if not claimed:
        raise ValidationError(
            _("This import is being imported or is done; it can no longer change.")
        )
    job.refresh_from_db()
    if old_report:
        transaction.on_commit(lambda: job.report_file.storage.delete(old_report))
    job_id, version = job.pk, job.version
    enqueue_on_commit(tasks.validate_import, job_id, version)
    return job


@contextmanager
def _error_report() -> Iterator[tuple[OnError, Callable[[ImportJob, engine.Report], str]]]:
    """(on_error callback, save(job, report) -> stored file name or "") for the full error
    report, written as the rows are read, never held in memory."""
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        text.write(BOM)  # Excel reads a CSV as UTF-8 only with a BOM.
        writer = csv.writer(text)
        writer.writerow([_("row"), _("column"), _("message")])

        def on_error(error: engine.RowError) -> None:
            writer.writerow([error.row or "", safe_cell(error.column), safe_cell(error.message)])

        def save(job: ImportJob, report: engine.Report) -> str:
            if not report.has_errors:
                return ""
            text.flush()
            raw.seek(0)
            field = job.report_file
            name = field.field.generate_filename(job, f"import-{job.pk}-errors.csv")
            return field.storage.save(name, File(raw))

        try:
            yield on_error, save
        finally:
            text.detach()


def _results(report: engine.Report) -> dict[str, Any]:
    return {
        "rows_processed": report.rows,
        "created_count": report.created,
        "updated_count": report.updated,
        "unchanged_count": report.unchanged,
        "error_count": report.error_rows,
        "new_customers_count": report.new_customers,
        "errors": [error.as_dict() for error in report.errors],
        "preview": {"columns": report.preview_columns, "rows": report.preview},
    }


def _stopped(message: str) -> dict[str, Any]:
    return {
        "status": ImportJob.Status.FAILED,
        "errors": [{"row": None, "column": "", "message": str(message)}],
        "finished_at": timezone.now(),
    }


def job_language(job_id: int) -> str:
    """The language a job's messages (row errors, its report) are written in by the tasks:
    its uploader's, who reads them."""
    user_id = ImportJob.objects.filter(pk=job_id).values_list("user_id", flat=True).first()
    return user_language(user_id) if user_id is not None else settings.LANGUAGE_CODE


def import_job_validate(*, job_id: int, version: int) -> engine.Report | None:
    """Validate a job's file (the validation task). Progress is written every batch; a
    job re-mapped meanwhile stops this run, whose results are then dropped."""
    current = ImportJob.objects.filter(
        pk=job_id, version=version, status=ImportJob.Status.VALIDATING
    )
    job = current.select_related("user").first()
    if job is None:
        return None

    def progress(rows: int) -> None:
        if not current.update(rows_processed=rows):
            raise StaleRun

    with _error_report() as (on_error, save_report):
        try:
            with job.file.open("rb") as stream:
                report = import_validate(
                    kind=job.kind,
                    stream=stream,
                    headers=job.headers,
                    mapping=job.mapping,
                    options=job.options,
                    user=job.user,
                    progress=progress,
                    on_error=on_error,
                )
        except StaleRun:
            return None
        except Exception:
            current.update(**_stopped(_("The validation stopped unexpectedly; try again.")))
            raise
        report_name = save_report(job, report)
    finished = current.update(
        status=ImportJob.Status.VALIDATED,
        report_file=report_name,
        finished_at=timezone.now(),
        **_results(report),
    )
    if not finished and report_name:
        job.report_file.storage.delete(report_name)
    return report


@transaction.atomic
def import_job_commit_request(*, job: ImportJob, user: User) -> ImportJob:
    """Start the import of a validated job with no errors (the commit task)."""
    from . import tasks

    _check_owner(job, user)
    _check_permission(user, job.kind, job.options)
    task_id = str(uuid.uuid4())
    claimed = job.can_commit and ImportJob.objects.filter(
        pk=job.pk, version=job.version, status=ImportJob.Status.VALIDATED, error_count=0
    ).update(status=ImportJob.Status.IMPORTING, task_id=task_id, rows_processed=0)
    if not claimed:
        raise ValidationError(_("This import cannot start: validate it without errors first."))
    job.refresh_from_db()
    job_id = job.pk
    enqueue_on_commit(tasks.commit_import, job_id, task_id=task_id)
    return job


def import_job_commit(*, job_id: int, progress: Progress | None = None) -> engine.Report | None:
    """Import a job's file (the commit task), all or nothing.

    The job row is locked for the whole transaction and marked done inside it, so a
    second delivery of the task waits, then finds the job no longer importing; a worker
    killed halfway leaves nothing written and the job still importing for the retry.
    """
    importing = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.IMPORTING)
    with _error_report() as (on_error, save_report):
        try:
            with transaction.atomic():
                job = importing.select_for_update().first()
                if job is None:
                    return None
                with job.file.open("rb") as stream:
                    report = import_commit(
                        kind=job.kind,
                        stream=stream,
                        headers=job.headers,
                        mapping=job.mapping,
                        options=job.options,
                        user=job.user,
                        progress=progress,
                        on_error=on_error,
                    )
                importing.update(
                    status=ImportJob.Status.DONE, finished_at=timezone.now(), **_results(report)
                )
                return report
        except ImportFailed as failed:
            assert job is not None  # import_commit runs only once the job was found
            report = failed.report
            importing.update(
                status=ImportJob.Status.FAILED,
                report_file=save_report(job, report),
                finished_at=timezone.now(),
                **_results(report),
            )
            return report
        except IntegrityError:
            logger.warning("Import job %s conflicted with a concurrent change", job_id)
            importing.update(
                **_stopped(
                    _(
                        "Someone changed the same customers or orders while this file was "
                        "importing. Nothing was written; validate the file again."
                    )
                )
            )
            return None
        except Exception:
            importing.update(**_stopped(_("The import stopped unexpectedly; nothing was written.")))
            raise
