from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_task_reminders(today=None):
    """Daily digest of due tasks. ``today`` (ISO date) makes runs reproducible in tests."""
    if today is None:
        day = timezone.localdate()
    else:
        try:
            day = date.fromisoformat(today)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"today must be an ISO date (YYYY-MM-DD), got {today!r}") from exc
    return services.task_reminders_send(today=day)
