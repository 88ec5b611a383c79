"""Django's Redis cache, failing softly: with Redis unreachable, pages compute without it.

Everything the app keeps in the cache can be recomputed or is a courtesy: the analytics
figures (recomputed), the survey pages' rate limit and the API throttles (which let the
request through). So a connection error or time-out does not fail the request: the call
behaves as Django's dummy cache does (nothing is stored, nothing is found), a warning is
logged, and Redis is not tried again for ``RETRY_AFTER`` seconds, so a request that uses
the cache several times waits for at most one connection time-out (settings: CACHES).
"""

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0


def _missing(key: Any, delta: int) -> int:
    raise ValueError(f"Key '{key}' not found.")


def _softly(
    name: str, fallback: Callable[..., Any], method: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """``method`` (``RedisCacheClient.<name>`` by default), answering ``fallback(*args)``
    when Redis is down."""
    method = method or getattr(RedisCacheClient, name)

    def call(self: "SoftRedisCacheClient", *args: Any) -> Any:
        if time.monotonic() < self.down_until:
            return fallback(*args)
        try:
            return method(self, *args)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self.down_until = time.monotonic() + RETRY_AFTER
            logger.warning("Cache unavailable (%s); going on without it.", exc)
            return fallback(*args)

    call.__name__ = name
    return call


class SoftRedisCacheClient(RedisCacheClient):
    """Answers as Django's dummy cache while Redis is unreachable."""

    down_until = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django makes a new redis-py client for every call, which costs as much CPU as
        # the call's round trip (about 0.1-0.2 ms: each builds its table of response
        # callbacks). A client is only the pool's front and safe to share between
        # threads, so one per pool serves every call.
        # Django's own helpers, absent from its type stubs.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[id(pool)] = client
        return client

    add = _softly("add", lambda key, value, timeout: True)
    get = _softly("get", lambda key, default: default)
    set = _softly("set", lambda key, value, timeout: None)
    touch = _softly("touch", lambda key, timeout: False)
    delete = _softly("delete", lambda key: False)
    get_many = _softly("get_many", lambda keys: {})
    has_key = _softly("has_key", lambda key: False)
    incr = _softly("incr", _missing)
    set_many = _softly("set_many", lambda data, timeout: None)
    delete_many = _softly("delete_many", lambda keys: None)
    clear = _softly("clear", lambda: False)

    def _count(self, key: Any, timeout: int) -> int:
        # Django's add and incr are three round trips (its incr asks first whether the key
        # exists); a pipeline sends both commands at once. Concurrent callers still each
        # get their own number: INCR is atomic and SET NX never resets a running count.
        pipeline = self.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return int(pipeline.execute()[1])

    count = _softly("count", lambda key, timeout: None, _count)


class SoftRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` through ``SoftRedisCacheClient``;
    OPTIONS as for it (``socket_connect_timeout`` and ``socket_timeout`` bound the wait)."""

    def __init__(self, server: Any, params: Any) -> None:
        super().__init__(server, params)
        self._class = SoftRedisCacheClient

    def count(self, key: str, timeout: int) -> int | None:
        client = cast("SoftRedisCacheClient", self._cache)  # made from self._class
        counted: int | None = client.count(self.make_and_validate_key(key), timeout)
        return counted


def count(key: str, timeout: int, using: BaseCache | None = None) -> int | None:
    """Add one to the counter ``key`` of the cache ``using`` (the default cache unless
    given), made at zero to last ``timeout`` seconds, and return its new value; None when
    it was not counted (the cache is unreachable, or the counter expired in between).

    Each API request and survey page counts itself this way (api/throttling.py,
    surveys/ratelimit.py): one round trip to Redis instead of three."""
    target = cache if using is None else using
    # A SoftRedisCache, through django.core.cache.cache (a proxy) or not.
    in_one_trip = getattr(target, "count", None)
    if in_one_trip is not None:
        counted_once: int | None = in_one_trip(key, timeout)
        return counted_once
    target.add(key, 0, timeout=timeout)
    try:
        counted: int = target.incr(key)
    except ValueError:
        return None
    return counted
