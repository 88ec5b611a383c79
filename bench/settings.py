"""The product's settings, serving the benchmark's plain reference page beside the product
(bench/plain_urls.py). Static files are named as collected, so a server with DEBUG off
needs no ``collectstatic`` (the benchmark requests no static file)."""

import os

from crm.settings import *  # noqa: F403 (the product's settings, unchanged but these)
from crm.settings import STORAGES

ROOT_URLCONF = "bench.plain_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# bench/score_latency.py serves the API and the survey pages with this: their tasks go to
# the queue of the worker it starts, so a developer's running worker takes none of them.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_TASK_QUEUE", "celery")
