import pytest
from django.core.cache import cache

from crm.celery import app
from tests.surveys.backends import DyingBackend, RefusingBackend


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks queued by the code under test run in-process. tests/conftest.py asks for this
    through the environment, but Django's settings are already loaded by then; and a task
    that reached the broker here would run later against the developer's database."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_backends():
    cache.clear()
    DyingBackend.die_after = None
    RefusingBackend.refused = set()
    yield
    DyingBackend.die_after = None
    RefusingBackend.refused = set()
