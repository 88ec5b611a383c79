"""The cache failing softly (core/cache.py): with Redis unreachable, calls behave as an
empty cache, Redis is not tried again for a while, and pages compute without it."""

import os
import threading
import uuid
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.cache import SoftRedisCache, SoftRedisCacheClient, count
from surveys import tokens
from tests.outages import CACHE_UNREACHABLE
from tests.surveys.factories import InvitationFactory


@pytest.fixture
def cache_down(settings):
    settings.CACHES = CACHE_UNREACHABLE
    return cache


def test_an_unreachable_cache_answers_as_an_empty_one_and_is_not_retried_at_once(
    cache_down, caplog
):
    with mock.patch.object(
        SoftRedisCacheClient,
        "get_client",
        autospec=True,
        side_effect=SoftRedisCacheClient.get_client,
    ) as get_client:
        assert cache_down.get("figures", "default") == "default"
        assert get_client.call_count == 1  # refused; the next calls do not try again
        assert cache_down.add("rate", 0) is True
        cache_down.set("figures", 1)
        with pytest.raises(ValueError, match="not found"):
            cache_down.incr("rate")
        assert cache_down.get_many(["a", "b"]) == {}
        assert cache_down.has_key("figures") is False
        assert cache_down.delete("figures") is False
        assert count("rate", 60) is None
        assert get_client.call_count == 1
    assert caplog.text.count("Cache unavailable") == 1


def test_one_redis_client_serves_every_call_to_a_server():
    client = SoftRedisCacheClient(["redis://127.0.0.1:1/0"])  # made without connecting
    first = client.get_client("a")
    assert client.get_client("b") is first
    assert client.get_client("c", write=True) is first
    assert first.connection_pool is client._get_connection_pool(write=False)


def test_a_counter_counts_up_in_the_local_cache():
    assert [count("rate", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("rate") == 3


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_a_counter_on_redis_is_one_round_trip_atomic_and_expires():
    redis_cache = SoftRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": uuid.uuid4().hex})
    client = redis_cache._cache.get_client()
    try:
        with mock.patch.object(
            type(client), "execute_command", autospec=True, side_effect=type(client).execute_command
        ) as commands:
            assert count("rate", 60, using=redis_cache) == 1
        assert commands.call_count == 0  # a pipeline sends both commands at once
        # Concurrent requests each get their own number.
        start, counted = threading.Barrier(20), []

        def one():
            start.wait()
            counted.append(count("rate", 60, using=redis_cache))

        threads = [threading.Thread(target=one) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert sorted(counted) == list(range(2, 22))
        # Django's own cache reads the same counter, which expires after its timeout.
        assert redis_cache.get("rate") == 21
        assert 0 < client.ttl(redis_cache.make_and_validate_key("rate")) <= 60
    finally:
        redis_cache.delete("rate")


def test_pages_api_and_survey_links_work_with_the_cache_down(
    cache_down, settings, client_for, manager, owner
):
    settings.ANALYTICS_CACHE_AFTER = 0  # the dashboard would keep its figures
    client = client_for(manager)
    assert client.get("/").status_code == 200
    # The API's rate limits count in the cache.
    assert client.get("/api/v1/customers/").status_code == 200
    # So does the survey pages' limit per address and link.
    invitation = InvitationFactory(customer__owner=owner, survey__closes_on=None)
    link = reverse("surveys_public:respond", args=[tokens.sign(invitation.token)])
    assert client_for(None).get(link).status_code == 200
