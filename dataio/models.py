from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .parsing import WHITESPACE


class ImportJob(models.Model):
    """One uploaded CSV file on its way into the CRM: mapped, validated, then committed.

    ``version`` grows with every validation or commit request; a task run for an older
    version finds its conditional UPDATEs matching nothing and drops its results.
    """

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        ORDERS = "orders", _("Orders")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.VALIDATING, Status.IMPORTING)
    # States from which the mapping and options may change and validation run again. A
    # validation still running is superseded: its task's version no longer matches.
    REMAPPABLE = (Status.UPLOADED, Status.VALIDATING, Status.VALIDATED, Status.FAILED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # led by it: importjob_user_created_id
        related_name="import_jobs",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    headers = models.JSONField(_("column headers"), default=list)
    mapping = models.JSONField(
        _("column mapping"), default=dict, help_text=_("Field name → column index.")
    )
    options = models.JSONField(_("options"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.UPLOADED, db_index=True
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    rows_total = models.PositiveIntegerField(
        _("rows (estimate)"), default=0, help_text=_("Line count of the file, less the header.")
    )
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    new_customers_count = models.PositiveIntegerField(_("customers created from orders"), default=0)
    errors = models.JSONField(_("first errors"), default=list)
    preview = models.JSONField(_("preview"), default=dict)
    report_file = models.FileField(
        _("error report"), upload_to="imports/reports/%Y/%m/", blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        # The imports page by keyset (dataio.selectors.JOBS_ORDER): everyone's, and a rep's.
        indexes = [
            models.Index(fields=["created_at", "id"], name="importjob_created_id"),
            models.Index(fields=["user", "created_at", "id"], name="importjob_user_created_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"

    def get_absolute_url(self):
        return reverse("dataio:import_detail", args=[self.pk])

    @property
    def is_running(self):
        return self.status in self.RUNNING

    @property
    def has_header(self):
        """Whether the file's first line names the columns (else it is a row)."""
        return self.options.get("header", True)

    @property
    def aligned(self):
        """Whether the columns are aligned with runs of spaces rather than delimited."""
        return self.options.get("delimiter") == WHITESPACE

    @property
    def dry_run(self):
        return bool(self.options.get("dry_run"))

    @property
    def can_remap(self):
        return self.status in self.REMAPPABLE

    @property
    def can_commit(self):
        return self.status == self.Status.VALIDATED and not self.error_count and not self.dry_run
