"""``Idempotency-Key`` for every POST of the API: creates, bulk imports, status changes,
refunds, starting a recalculation. Any other request sent with the header is refused with
a 400 (api.views.base): repeating a GET, PATCH or DELETE changes nothing more, and a key
that is silently ignored would promise what it does not keep.

The first request with a key stores its response; a retry with the same key and the same
body gets that response again (header ``Idempotent-Replayed: true``) and creates nothing.
The key's row is inserted in the same transaction as the work, so two concurrent
duplicates meet at the unique constraint: the second waits for the first, then replays it.
Only successful responses are kept; a refused request can be corrected and retried with
the same key. Keys are kept ``API_IDEMPOTENCY_KEY_HOURS`` (a beat task purges them).
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (a UUID) of up to 255 characters. A retry with the same key and "
        "body returns the first response (with `Idempotent-Replayed: true`) instead of doing "
        "the work again; the same key with a different body is refused (422). Keys are "
        "remembered for 24 hours. Only POST takes one: sent with another method, it is a 400."
    ),
)


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=MAX_KEY_LENGTH)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Use a new key for "
        "a new request."
    )
    default_code = "idempotency_key_reused"


def _fingerprint(request):
    """The parsed body, canonically serialised: whitespace and key order do not matter."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _expired_before():
    return timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)


def _replay(record, fingerprint):
    if record.request_hash != fingerprint:
        raise KeyReused
    # Rows are seen only once committed, and only successful answers are committed.
    return Response(
        record.response_body,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


def _stored(user, key):
    return IdempotencyKey.objects.filter(user=user, key=key, created_at__gte=_expired_before())


def _key_from(request):
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {HEADER: [_("Use a non-empty key of at most 255 characters.")]}
        )
    return key


def is_idempotent(handler):
    """Whether a view's action honours the header (is decorated with ``idempotent``)."""
    return getattr(handler, "honours_idempotency_key", False)


def idempotent(action):
    """Decorate a viewset's POST action (below ``@action``, if any)."""

    @functools.wraps(action)
    def wrapper(view, request, *args, **kwargs):
        key = _key_from(request)
        if key is None:
            return action(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        existing = _stored(request.user, key).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        IdempotencyKey.objects.filter(
            user=request.user, key=key, created_at__lt=_expired_before()
        ).delete()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:300],
                        request_hash=fingerprint,
                    )
            except IntegrityError:
                # A concurrent duplicate committed first (we waited for it at the index).
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), fingerprint)
            response = action(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                record.response_status = response.status_code
                record.response_body = json.loads(JSONRenderer().render(response.data))
                record.save(update_fields=["response_status", "response_body"])
            else:
                transaction.set_rollback(True)
        return response

    wrapper.honours_idempotency_key = True
    return wrapper


def idempotency_keys_purge(*, now=None):
    """Delete keys older than the retention; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
