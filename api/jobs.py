"""The jobs of asynchronous bulk requests (run by api.bulk): a large ``orders/bulk/`` or
``customers/batch/`` answers 202 with a job to poll (``/api/v1/jobs/{id}/``).

The request stores the job with its items in its own transaction (with the
Idempotency-Key's row, so a retry with the key finds the same job) and sends
``api.tasks.bulk_job_run`` once it commits. The task claims the job with a conditional
UPDATE and a lease, checks the items chunk by chunk (``processed`` counts them, committed
as it goes, for the poller), then writes everything in one transaction that also marks
the job succeeded, with the ids: all or nothing, and a task delivered twice, or run again
after its worker died, finds the job finished, or locked by the copy that is writing, and
creates nothing twice. A job whose lease ran out (its worker died before committing) is
claimed again by the next delivery of its task, or by a poll of its page.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BulkJob(models.Model):
    class Kind(models.TextChoices):
        ORDERS = "orders.bulk", _("Orders in bulk")
        CUSTOMERS = "customers.batch", _("Customers in a batch")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The request's items ({"orders": [...]} or {"mode": ..., "customers": [...]}) as JSON
    # text, emptied once the job has finished. Text, not jsonb: a request may hold a NUL
    # character, which jsonb refuses and the items' checks report.
    payload = models.TextField(_("payload"), blank=True)
    # The request's language: the errors are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    total = models.PositiveIntegerField(_("items"), default=0)
    processed = models.PositiveIntegerField(_("items processed"), default=0)
    errors = models.JSONField(_("errors"), default=list)
    result_ids = models.JSONField(_("ids"), default=list)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="bulk_job_user_time")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


def jobs_visible_to(user: Any) -> models.QuerySet[BulkJob]:
    """A job is its creator's; staff see every job."""
    if user.is_staff:
        return BulkJob.objects.all()
    return BulkJob.objects.filter(created_by=user)
