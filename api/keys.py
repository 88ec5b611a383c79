"""Per-user API keys: the model, its two writes (create, revoke) and the DRF authentication
class that reads ``Authorization: Bearer <key>`` (or ``Api-Key <key>``).

Only a SHA-256 hash of each key is stored: the keys are 32 random bytes, so a fast hash is
as safe as a slow one and lets a request find its key with one indexed lookup. The full
key is shown once, when it is created.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core.pagination import Keyset
from core.types import User

from .scopes import ALL_SCOPES

KEY_PREFIX = "crm_"
SHOWN_PREFIX_LENGTH = 8
KEYWORDS = ("bearer", "api-key")
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_hash(raw_key):
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # led by it: apikey_user_created_id
        related_name="api_keys",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=SHOWN_PREFIX_LENGTH, db_index=True)
    hashed_key = models.CharField(_("hashed key"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Empty: everything the key's user may do. Otherwise a list of scopes such as
    # "customers:read" or "orders:write" (see api/scopes.py); a key is never wider than its user.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        # A user's keys by keyset (KEYS_ORDER).
        indexes = [models.Index(fields=["user", "created_at", "id"], name="apikey_user_created_id")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None


def api_keys_of(user):
    return ApiKey.objects.filter(user=user)


# A user's keys on their API keys page, newest first, paged by keyset along the index led
# by the user (apikey_user_created_id, api 0006): revoked keys stay, so the list only grows.
KEYS_ORDER = Keyset(name="api-keys", key="created_at", descending=True)


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """``user``'s own keys, revoked ones too, newest first (``KEYS_ORDER``)."""
    return api_keys_of(user).order_by(*KEYS_ORDER.ordering())


def api_key_get(*, user, key_id):
    """One of the user's own keys, or 404: nobody sees or revokes another user's keys."""
    return get_object_or_404(api_keys_of(user), pk=key_id)


@transaction.atomic
def api_key_create(*, user, name, scopes=()):
    """Create a key; returns (ApiKey, the full key). The full key is not stored. ``scopes``
    narrow it (api.scopes); none gives it everything its user may do."""
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        user=user,
        name=name,
        prefix=raw_key[:SHOWN_PREFIX_LENGTH],
        hashed_key=key_hash(raw_key),
        scopes=sorted(set(scopes)),
    )
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key, now=None):
    """Revoke for good; revoking twice keeps the first date."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


def _touch(api_key, now):
    ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION),
        pk=api_key.pk,
    ).update(last_used_at=now)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer crm_…``; ``request.auth`` is the ApiKey (throttles count per
    key). A request without such a header falls through to the session."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Bearer <key>”, without spaces in the key.")
            )
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = ApiKey.objects.select_related("user").filter(hashed_key=key_hash(raw_key)).first()
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if api_key.is_revoked:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("This API key's user is deactivated."))
        _touch(api_key, timezone.now())
        return api_key.user, api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
