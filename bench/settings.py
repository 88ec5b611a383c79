"""The product's settings, serving the benchmark's plain reference page beside the product
(bench/plain_urls.py). Static files are named as collected, so a server with DEBUG off
needs no ``collectstatic`` (the benchmark requests no static file)."""

from crm.settings import *  # noqa: F403 (the product's settings, unchanged but these)
from crm.settings import STORAGES

ROOT_URLCONF = "bench.plain_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
