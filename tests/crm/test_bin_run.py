"""bin/run keeps what a person needs after a restart: the worker's log is appended to, and
the message it prints says where the log and the outgoing mail are."""

import re

from django.conf import settings


def test_bin_run_appends_to_the_worker_log_and_says_where_mail_goes():
    script = (settings.BASE_DIR / "bin" / "run").read_text()
    redirects = re.findall(r"(>>?)\s*var/log/celery\.log", script)
    assert redirects
    assert set(redirects) == {">>"}  # never truncated on a restart
    assert "var/mail/" in script
    assert "mkdir -p var/log var/mail" in script
