"""Outgoing webhooks: registration (admins only), events, and delivery attempts.

An event becomes one WebhookDelivery per subscribed webhook, written after the change
commits, and a Celery task per delivery sends it. A delivery is claimed with a conditional
UPDATE that moves ``next_attempt_at`` forward, so a duplicated task or the sweep never sends
it twice at once. Failures are retried with exponential backoff up to
WEBHOOKS_MAX_ATTEMPTS, then the delivery is marked failed; the log keeps the last error.
"""

import http.client
import ipaddress
import json
import secrets
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer

from core.queue import enqueue
from core.services import check_fields, require_permission
from core.types import Actor, User

from . import signing
from .models import Event, Webhook, WebhookDelivery

USER_AGENT = "ValueCRM-Webhooks/1"
# A claimed delivery is not claimed again for this long (a worker that died mid-send).
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
BACKOFF_FACTOR = 4
# The sweep re-sends only deliveries overdue by this much: fresher ones have their task.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500
_RESPONSE_READ_LIMIT = 64 * 1024


class DeliveryError(Exception):
    """The delivery did not reach the receiver, or was refused by our address rules."""


# --- Registration ----------------------------------------------------------------------


def _require(user: Actor, permission: str) -> None:
    require_permission(user, permission, message=_("Only administrators manage webhooks."))


def _address_allowed(address: str) -> bool:
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or _port(parts) is None:
        raise ValidationError({"url": _("Use an http:// or https:// address.")})
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # A host name is checked when it is resolved, at each delivery.
    if not _address_allowed(str(literal)):
        raise ValidationError({"url": _("Private, loopback and local addresses are not allowed.")})


def _clean_events(events: Iterable[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(events or []))
    unknown = [event for event in chosen if event not in Event.values]
    if unknown:
        raise ValidationError({"events": _("Unknown events: %(e)s") % {"e": ", ".join(unknown)}})
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    return chosen


def _save(webhook: Webhook) -> Webhook:
    webhook.events = _clean_events(webhook.events)
    webhook.full_clean()
    _check_url(webhook.url)
    webhook.save()
    return webhook


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def webhook_create(
    *,
    user: User | None,
    url: str,
    events: Iterable[str],
    secret: str = "",
    active: bool = True,
    description: str = "",
) -> Webhook:
    """Register a webhook; an empty ``secret`` gets a random one."""
    _require(user, "api.add_webhook")
    webhook = Webhook(
        url=url,
        events=events,
        secret=secret or new_secret(),
        active=active,
        description=description,
        created_by=user,
    )
    return _save(webhook)


# What a caller may change on a webhook (the fields of ``webhook_create``).
WEBHOOK_FIELDS = frozenset({"url", "events", "secret", "active", "description"})


@transaction.atomic
def webhook_update(*, user: Actor, webhook: Webhook, **fields: Any) -> Webhook:
    """Change the WEBHOOK_FIELDS given."""
    check_fields(fields, WEBHOOK_FIELDS, service="webhook_update")
    _require(user, "api.change_webhook")
    for name, value in fields.items():
        setattr(webhook, name, value)
    return _save(webhook)


@transaction.atomic
def webhook_delete(*, user: Actor, webhook: Webhook) -> None:
    _require(user, "api.delete_webhook")
    webhook.delete()


# --- Events ----------------------------------------------------------------------------


def _subscribed(event: str) -> list[Webhook]:
    return [hook for hook in Webhook.objects.filter(active=True) if event in hook.events]


def _jsonable(data: object) -> Any:
    return json.loads(JSONRenderer().render(data))


def _enqueue(delivery_ids: Iterable[int]) -> None:
    from .tasks import deliver_webhook

    # A delivery whose task cannot be sent stays due: webhooks_dispatch_due (every 30 s)
    # sends it once it is SWEEP_GRACE overdue and the broker is back.
    for delivery_id in delivery_ids:
        enqueue(deliver_webhook, delivery_id)


@transaction.atomic
def event_emit(*, event: str, data: object, now: datetime | None = None) -> list[WebhookDelivery]:
    """Queue ``event`` for every active webhook subscribed to it; returns the deliveries."""
    hooks = _subscribed(event)
    if not hooks:
        return []
    now = now or timezone.now()
    payload = {"event": event, "occurred_at": now.isoformat(), "data": _jsonable(data)}
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(webhook=hook, event=event, payload=payload, next_attempt_at=now)
            for hook in hooks
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def tier_changes_emit(
    *, changes: Iterable[Mapping[str, Any]], now: datetime | None = None
) -> list[WebhookDelivery]:
    """Queue a ``score.tier_changed`` event per change (metrics.signals.tier_changed, sent
    once per committed write that moved customers to another tier), for every subscribed
    webhook, in one INSERT. Returns the deliveries."""
    hooks = _subscribed(Event.TIER_CHANGED)
    if not hooks:
        return []
    now = now or timezone.now()
    deliveries = []
    for change in changes:
        data = {
            "customer": change["customer"],
            "tier": change["tier"],
            "previous_tier": change["previous_tier"],
            "value_score": change["value_score"],
            "as_of": change["as_of"].isoformat(),
            "run": change["run"],
        }
        payload = {"event": Event.TIER_CHANGED, "occurred_at": now.isoformat(), "data": data}
        deliveries += [
            WebhookDelivery(
                webhook=hook, event=Event.TIER_CHANGED, payload=payload, next_attempt_at=now
            )
            for hook in hooks
        ]
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(deliveries)
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


# --- Delivery --------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address we resolved and checked, not to a second DNS answer."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI are checked against the host name, as usual.
        # http.client's own TLS context (set in __init__, with ALPN), not in typeshed.
        context = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        message = _("Cannot resolve %(host)s: %(error)s") % {"host": host, "error": exc}
        raise DeliveryError(message) from exc
    addresses = [str(info[4][0]) for info in infos]
    refused = [address for address in addresses if not _address_allowed(address)]
    if refused:
        raise DeliveryError(
            _("Refused: %(host)s resolves to a private or local address.") % {"host": host}
        )
    return addresses[0]


def http_post(url: str, *, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST ``body``; returns the HTTP status. Redirects are not followed."""
    parts = urlsplit(url)
    port = _port(parts)
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise DeliveryError(_("Not an http(s) URL."))
    https = parts.scheme == "https"
    address = _resolve(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address=address, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(_RESPONSE_READ_LIMIT)
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(str(exc) or exc.__class__.__name__) from exc
    finally:
        connection.close()


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent, the same on every attempt."""
    return json.dumps({"id": delivery.pk, **delivery.payload}, separators=(",", ":")).encode()


def delivery_headers(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CRM-Event": delivery.event,
        "X-CRM-Delivery": str(delivery.pk),
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(
            secret=delivery.webhook.secret, timestamp=timestamp, body=body
        ),
    }


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 2 min, 8 min, 32 min, about 2 h."""
    return FIRST_RETRY * BACKOFF_FACTOR ** (attempts - 1)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        webhook__active=True,
    ).update(next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def delivery_attempt(
    *, delivery_id: int, now: datetime | None = None, post: Callable[..., int] = http_post
) -> timedelta | None:
    """Send one delivery if it is due and nobody else is sending it. Returns the delay
    until its next attempt, or None (delivered, failed for good, or not ours to send)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    body = delivery_body(delivery)
    timestamp = int(now.timestamp())
    status_code: int | None = None
    try:
        sent = post(
            delivery.webhook.url,
            body=body,
            headers=delivery_headers(delivery, body, timestamp),
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
        )
    except DeliveryError as exc:
        error = str(exc)
    else:
        status_code = sent
        error = "" if 200 <= sent < 300 else _("HTTP %(code)s") % {"code": sent}
    fields: dict[str, Any] = {"last_status_code": status_code, "last_error": error[:500]}
    if not error:
        fields.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now)
        fields["next_attempt_at"] = None
        delay = None
    elif delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        delay = None
    else:
        delay = retry_delay(delivery.attempts)
        fields["next_attempt_at"] = now + delay
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return delay


def deliveries_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Pending deliveries whose task was lost (overdue by more than the grace period)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now - SWEEP_GRACE,
            webhook__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def delivery_retry(*, user: Actor, delivery: WebhookDelivery, now: datetime | None = None) -> None:
    """Send a failed delivery again, from a fresh set of attempts."""
    _require(user, "api.change_webhook")
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.FAILED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now or timezone.now()
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
