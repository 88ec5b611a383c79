"""Loaded into a test's worker process (``celery worker --include``) to make it freeze at
a chosen point, so that the test can kill it with ``kill -9`` exactly there.

FAULT_AT (environment): ``chunk:N``, during the N-th chunk the worker publishes, after
its rows are written and before its transaction commits; ``email:N``, once the N-th email
is written (the email has left), before its invitation is marked sent (with
``EMAIL_BACKEND=tests.crm.faults_worker.FreezingEmailBackend``). The worker writes
FAULT_MARKER (a path) when it freezes. FAULT_CHUNK_SIZE sets the size of a full run's
chunks, so a small population makes several.
"""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend

from metrics import services, storage

AT, _, COUNT = os.environ.get("FAULT_AT", "").partition(":")


def _freeze():
    Path(os.environ["FAULT_MARKER"]).write_text(str(os.getpid()))
    while True:
        time.sleep(60)


if AT == "chunk":
    _publish_staged = storage.publish_staged
    _published = []

    def publish_staged(*args, **kwargs):
        _publish_staged(*args, **kwargs)
        _published.append(args)
        if len(_published) == int(COUNT):
            _freeze()

    storage.publish_staged = publish_staged

if "FAULT_CHUNK_SIZE" in os.environ:
    _prepare = services.full_run_prepare

    def full_run_prepare(**kwargs):
        return _prepare(**kwargs, chunk_size=int(os.environ["FAULT_CHUNK_SIZE"]))

    services.full_run_prepare = full_run_prepare


class FreezingEmailBackend(EmailBackend):
    sent = 0

    def send_messages(self, email_messages):
        count = super().send_messages(email_messages)
        FreezingEmailBackend.sent += count
        if AT == "email" and FreezingEmailBackend.sent == int(COUNT):
            _freeze()
        return count
