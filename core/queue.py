"""Sending Celery tasks so that the broker being down never fails a user's request.

Every task sent after a write goes through ``enqueue_on_commit``. The work itself is
recorded in the database in the write's transaction (a dirty mark, a queued run, pending
invitations, a webhook delivery due), and a periodic sweep finds it again, so a message
that cannot be sent is logged and dropped rather than raised: the request answers at once
and the sweep does the work once the broker is back. The connection and retry timeouts
that make a failed send fast are in the settings (``CELERY_BROKER_TRANSPORT_OPTIONS``,
``CELERY_TASK_PUBLISH_RETRY_POLICY``).
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, **options: Any) -> bool:
    """Send ``task`` with ``args`` (``options`` as for ``apply_async``); False, and a
    warning in the log, when the broker cannot be reached."""
    try:
        # Nobody waits for these results: without ignore_result the Redis result backend
        # subscribes to each task's result first, retrying for 20 s when Redis is down.
        task.apply_async(args, ignore_result=True, **options)
    except OperationalError as exc:
        logger.warning(
            "Could not queue %s%r (%s); the periodic sweep will pick the work up.",
            task.name,
            args,
            exc,
        )
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, **options: Any) -> None:
    """``enqueue`` once the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **options))
