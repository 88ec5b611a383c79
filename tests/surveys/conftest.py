import pytest
from django.core.cache import cache

from tests.surveys.backends import DyingBackend, RefusingBackend


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_backends():
    cache.clear()
    DyingBackend.die_after = None
    RefusingBackend.refused = set()
    yield
    DyingBackend.die_after = None
    RefusingBackend.refused = set()
