"""Keeping the figures of the heavy analytics pages (dashboard, cohorts) for a while.

At ten million orders a manager's dashboard takes seconds of aggregates; recomputing them
on every visit of everyone's landing page would keep the database busy for nothing. Figures
that took at least ``ANALYTICS_CACHE_AFTER`` seconds are kept ``ANALYTICS_CACHE_SECONDS``
in Django's cache (Redis in production, shared by every web process), and the page says
when they were calculated and offers to recalculate. A small database is never cached.

Cached figures are shared only between users who would compute the very same figures:
everyone who sees every customer with the same permissions on the inputs, else one user.
A finished full recalculation starts new entries (its id is in the key).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from customers.selectors import can_see_all_customers
from metrics.models import RecalcRun

# The permissions the analytics figures depend on beyond which customers the user sees.
INPUT_PERMISSIONS = (
    "surveys.view_response",
    "surveys.view_invitation",
    "campaigns.view_campaign",
)


def _scope(user):
    if not can_see_all_customers(user):
        return f"user{user.pk}"
    return "all" + "".join("1" if user.has_perm(p) else "0" for p in INPUT_PERMISSIONS)


def _last_run_id():
    run = (
        RecalcRun.objects.filter(status=RecalcRun.Status.DONE)
        .order_by("-finished_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return run or 0


def cached_figures(*, page, user, params, compute, refresh=False):
    """``(figures, calculated_at, from_cache)`` for ``compute()`` on ``page`` with ``params``
    (strings or dates naming what the figures cover); ``refresh`` recalculates."""
    key = ":".join(
        str(part)
        for part in ("analytics", page, _scope(user), _last_run_id(), get_language(), *params)
    )
    if not refresh:
        hit = cache.get(key)
        if hit is not None:
            figures, calculated_at = hit
            return figures, calculated_at, True
    started = time.monotonic()
    figures = compute()
    calculated_at = timezone.now()
    if time.monotonic() - started >= settings.ANALYTICS_CACHE_AFTER:
        cache.set(key, (figures, calculated_at), settings.ANALYTICS_CACHE_SECONDS)
    return figures, calculated_at, False
