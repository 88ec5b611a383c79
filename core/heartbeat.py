"""Leases on work held in the database, kept alive by a heartbeat while the work runs.

A task that works on something for a while (a full run's prepare step, a chunk of its
publication) records a heartbeat time on it; the periodic sweep gives the work to another
worker once the heartbeat is older than the lease (``WORK_LEASE_SECONDS``). ``heartbeat``
renews it from a thread every third of the lease, on the thread's own database connection,
so a long step needs no progress calls, while a worker that is killed or stops (a frozen
machine, a lost network) stops renewing and loses the lease within one lease.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)


def lease_seconds() -> float:
    return float(settings.WORK_LEASE_SECONDS)


@contextmanager
def heartbeat(beat: Callable[[], object], *, every: float | None = None) -> Iterator[None]:
    """Call ``beat`` every ``every`` seconds (a third of the lease) while the block runs."""
    interval = lease_seconds() / 3 if every is None else every
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(interval):
                try:
                    beat()
                except DatabaseError as exc:  # the next beat may do better
                    logger.warning("Heartbeat failed: %s", exc)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=run, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # A beat waiting for a lock the work held ends soon after; do not wait for it.
        thread.join(timeout=1)
