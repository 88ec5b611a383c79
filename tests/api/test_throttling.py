"""Rate limits: an atomic counter per window (no two concurrent requests share a count), and
the RateLimit-* headers on every answer (issue 13: 135 requests in 4.7 s on a 120/min key
went through)."""

import contextlib
import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework import throttling as drf_throttling

from api import throttling
from tests.factories import CustomerFactory

# Mid-window (windows start at multiples of 60 s), so a test never straddles two.
NOW = 1_800_000_030.0


@pytest.fixture
def rates(settings, monkeypatch):
    """``rates(key=..., user=...)``: set the rates; the clock stands still at NOW."""
    monkeypatch.setattr(throttling.WindowRateThrottle, "timer", staticmethod(lambda: NOW))

    def set_rates(key="1000/min", user="1000/min", anon="1000/min"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"key": key, "user": user, "anon": anon},
        }

    return set_rates


def test_exactly_the_limit_passes_in_a_window(api_for, owner, rates):
    rates(key="5/min")
    api = api_for(owner)
    answers = [api.get("/api/v1/customers/") for _ in range(8)]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert [a["RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0", "0", "0"]
    assert {a["RateLimit-Limit"] for a in answers} == {"5"}
    assert {a["RateLimit-Reset"] for a in answers} == {"30"}
    throttled = answers[-1]
    assert throttled["Retry-After"] == "30"
    assert throttled.json()["error"]["code"] == "throttled"
    assert throttled.json()["error"]["details"]["retry_after"] == 30


def test_the_next_window_starts_afresh(api_for, owner, rates, monkeypatch):
    rates(key="1/min")
    api = api_for(owner)
    assert api.get("/api/v1/customers/").status_code == 200
    assert api.get("/api/v1/customers/").status_code == 429
    monkeypatch.setattr(throttling.WindowRateThrottle, "timer", staticmethod(lambda: NOW + 30))
    assert api.get("/api/v1/customers/").status_code == 200


def test_the_headers_are_on_every_answer(api_for, owner, outsider, rates):
    rates(key="100/min", user="50/min")
    api = api_for(owner)
    customer = CustomerFactory(owner=owner)
    answers = {
        "list": api.get("/api/v1/customers/"),
        "detail": api.get(f"/api/v1/customers/{customer.pk}/"),
        "created": api.post("/api/v1/customers/", {"name": "New"}, format="json"),
        "invalid": api.post("/api/v1/customers/", {"name": ""}, format="json"),
        "not found": api.get("/api/v1/customers/999999/"),
        "unknown parameter": api.get("/api/v1/customers/?expand=score"),
        "forbidden": api_for(outsider).get("/api/v1/customers/"),
    }
    assert answers["forbidden"].status_code == 403
    for name, answer in answers.items():
        assert answer["RateLimit-Limit"] == "50", name  # the user's rate is the tighter
        assert int(answer["RateLimit-Remaining"]) < 50, name
        assert answer["RateLimit-Reset"] == "30", name


def test_an_anonymous_request_is_counted_per_address(db, rates):
    from rest_framework.test import APIClient

    rates(anon="3/min")
    answer = APIClient().get("/api/v1/customers/")
    assert answer.status_code == 401
    assert (answer["RateLimit-Limit"], answer["RateLimit-Remaining"]) == ("3", "2")


class Lockstep:
    """The cache as two threads see it when they interleave call by call: each call waits
    for the other thread's call, so both read before either writes."""

    def __init__(self, backend):
        self.backend = backend
        self.barrier = threading.Barrier(2, timeout=2)

    def __getattr__(self, name):
        method = getattr(self.backend, name)

        def call(*args, **kwargs):
            with contextlib.suppress(threading.BrokenBarrierError):  # the other one is done
                self.barrier.wait()
            return method(*args, **kwargs)

        return call


def _concurrently(throttle_class, limit, settings, user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": limit, "user": limit, "anon": limit},
    }
    shared = Lockstep(cache)
    request = SimpleNamespace(user=user, auth=None)
    allowed = []

    def one():
        throttle = throttle_class()
        throttle.cache = shared
        throttle.timer = lambda: NOW
        allowed.append(throttle.allow_request(request, view=None))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    return sorted(allowed)


class DrfUserRateThrottle(drf_throttling.UserRateThrottle):
    def get_rate(self):
        return "1/min"


def test_two_requests_at_once_cannot_both_take_the_last_place(settings, owner):
    assert _concurrently(throttling.UserRateThrottle, "1/min", settings, owner) == [False, True]


def test_the_interleaving_is_what_let_drf_s_own_throttle_through(settings, owner):
    """The same harness on DRF's read-append-write throttle: both pass a limit of one."""
    assert _concurrently(DrfUserRateThrottle, "1/min", settings, owner) == [True, True]


def test_many_requests_at_once_never_pass_beyond_the_limit(settings, owner):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "7/min", "user": "7/min", "anon": "7/min"},
    }
    request = SimpleNamespace(user=owner, auth=None)
    start, allowed = threading.Barrier(20), []

    def one():
        throttle = throttling.UserRateThrottle()
        throttle.timer = lambda: NOW
        start.wait()
        allowed.append(throttle.allow_request(request, view=None))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert allowed.count(True) == 7


class DownCache:
    """core.cache.SoftRedisCache with Redis unreachable: add pretends, incr finds nothing."""

    def add(self, key, value, timeout=None):
        return True

    def incr(self, key, delta=1):
        raise ValueError(f"Key '{key}' not found.")


def test_with_the_cache_down_requests_pass_without_headers(api_for, owner, rates, monkeypatch):
    rates(key="1/min", user="1/min")
    monkeypatch.setattr(throttling.WindowRateThrottle, "cache", DownCache())
    api = api_for(owner)
    answers = [api.get("/api/v1/customers/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "RateLimit-Limit" not in answers[0]
