"""Outgoing webhooks: registration (admins only), events, and delivery attempts.

An event is an OutboxEvent row written in the transaction of the change (the outbox). Once
it commits, a worker dispatches it (``events_dispatch``: one WebhookDelivery per subscribed
webhook, in one transaction that marks the event dispatched), and a Celery task per
delivery sends it; the sweep (``webhooks_dispatch_due``) does both for whatever a dead
process or a lost task left behind. A delivery is claimed with a conditional
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
from .models import DELETION_EVENTS, PING, Event, OutboxEvent, Webhook, WebhookDelivery

USER_AGENT = "ValueCRM-Webhooks/1"
# A claimed delivery is not claimed again for this long (a worker that died mid-send).
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
BACKOFF_FACTOR = 4
# The sweep re-sends only deliveries overdue by this much: fresher ones have their task.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500
SWEEP_ROUNDS = 20
# Events are kept this long (the events API and the deletions feed read them), then purged.
EVENT_RETENTION = timedelta(days=30)
DISPATCH_BATCH = 500
PURGE_BATCH = 5000
# Events whose data is the object as the API shows it, read when they are dispatched.
SNAPSHOT_EVENTS = frozenset(
    {
        Event.CUSTOMER_CREATED,
        Event.CUSTOMER_UPDATED,
        Event.ORDER_CREATED,
        Event.ORDER_UPDATED,
        Event.SURVEY_RESPONSE,
        Event.DETRACTOR_RESPONSE,
    }
)
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


# --- Events: the outbox ------------------------------------------------------------------


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


def _enqueue_dispatch(event_ids: list[int]) -> None:
    from .tasks import dispatch_events

    # The fast path; an event whose task is lost (the process died after the commit, the
    # broker is down) is dispatched by webhooks_dispatch_due once SWEEP_GRACE old.
    for start in range(0, len(event_ids), DISPATCH_BATCH):
        enqueue(dispatch_events, event_ids[start : start + DISPATCH_BATCH])


def events_record(*, events: list[OutboxEvent]) -> list[OutboxEvent]:
    """Write ``events`` (unsaved) in the caller's transaction, in one INSERT; a worker
    dispatches them once it commits, and the sweep if that worker never hears of them."""
    if not events:
        return []
    events = OutboxEvent.objects.bulk_create(events)
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: _enqueue_dispatch(ids))
    return events


def object_event(
    *, event: str, object_type: str, instance: Any, now: datetime | None = None
) -> OutboxEvent:
    """An event about ``instance`` (not yet saved): its data is the object's id until the
    dispatch reads the object as the API shows it."""
    return OutboxEvent(
        type=event,
        object_type=object_type,
        object_id=instance.pk,
        external_id=getattr(instance, "external_id", None) or "",
        data={"id": instance.pk},
        created_at=now or timezone.now(),
    )


def deletion_event(*, object_type: str, instance: Any, owner_id: int | None) -> OutboxEvent:
    """The tombstone of a deleted customer or order (not yet saved): its id, external id
    and the owner whose sync may see it (the customer's owner)."""
    external_id = getattr(instance, "external_id", None) or None
    data = {"id": instance.pk, "external_id": external_id, "owner": owner_id}
    if object_type == "order":
        data.update(number=instance.number, customer=instance.customer_id)
    return OutboxEvent(
        type=DELETION_EVENTS[object_type],
        object_type=object_type,
        object_id=instance.pk,
        external_id=external_id or "",
        data=data,
    )


def tier_changes_emit(
    *, changes: Iterable[Mapping[str, Any]], now: datetime | None = None
) -> list[OutboxEvent]:
    """Record a ``score.tier_changed`` event per change (metrics.signals.tier_changed, sent
    inside the transaction of the write that moved customers to another tier), in one
    INSERT. Returns the events."""
    now = now or timezone.now()
    events = [
        OutboxEvent(
            type=Event.TIER_CHANGED,
            object_type="customer",
            object_id=change["customer"],
            created_at=now,
            data={
                "customer": change["customer"],
                "tier": change["tier"],
                "previous_tier": change["previous_tier"],
                "value_score": change["value_score"],
                "as_of": change["as_of"].isoformat(),
                "run": change["run"],
            },
        )
        for change in changes
    ]
    return events_record(events=events)


def _fill_data(events: list[OutboxEvent]) -> None:
    """Replace each object event's data by the object as the API shows it now (read in
    one query per kind of object); an object deleted meanwhile keeps its id."""
    from .events import snapshots

    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.type in SNAPSHOT_EVENTS and event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    found = {kind: snapshots(kind, ids) for kind, ids in wanted.items()}
    changed = []
    for event in events:
        if event.type not in SNAPSHOT_EVENTS or event.object_id is None:
            continue
        data = found[event.object_type].get(event.object_id)
        if data is not None:
            event.data = data
            changed.append(event)
    OutboxEvent.objects.bulk_update(changed, ["data"])


def _payload(event: OutboxEvent) -> dict[str, Any]:
    return {
        "event": event.type,
        "event_id": event.pk,
        "occurred_at": event.created_at.isoformat(),
        "data": event.data,
    }


def _deliveries_create(pairs: Iterable[tuple[OutboxEvent, Webhook]], now: datetime) -> None:
    """A pending delivery per (event, webhook), none where one exists already."""
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=hook,
                outbox_event=event,
                event=event.type,
                payload=_payload(event),
                next_attempt_at=now,
                created_at=now,
            )
            for event, hook in pairs
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def events_dispatch(*, event_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Turn events not yet dispatched into one delivery per subscribed active webhook (a
    ping: to its webhook), in one transaction that also marks them dispatched, so a crash
    leaves each event either untouched or wholly dispatched, and a second dispatch (the
    sweep, a duplicated task) finds nothing to do. Returns the new deliveries' ids."""
    now = now or timezone.now()
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(pk__in=list(event_ids), dispatched_at__isnull=True)
        .order_by("pk")
    )
    if not events:
        return []
    OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
    _fill_data(events)
    hooks = list(Webhook.objects.filter(active=True))
    pairs = [
        (event, hook)
        for event in events
        for hook in hooks
        if (hook.pk == event.webhook_id if event.type == PING else event.type in hook.events)
    ]
    _deliveries_create(pairs, now)
    ids = list(WebhookDelivery.objects.filter(outbox_event__in=events).values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(ids))
    return ids


def events_undispatched(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Committed events whose dispatch task was lost (older than the grace period)."""
    now = now or timezone.now()
    return list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def events_sweep(*, now: datetime | None = None) -> int:
    """Dispatch the events whose task was lost, a batch at a time, up to SWEEP_ROUNDS
    batches (a broker outage during a full run can leave many). Returns how many batches."""
    for rounds in range(SWEEP_ROUNDS):
        event_ids = events_undispatched(now=now)
        if not event_ids:
            return rounds
        events_dispatch(event_ids=event_ids, now=now)
    return SWEEP_ROUNDS


def events_purge(*, now: datetime | None = None) -> int:
    """Delete events older than EVENT_RETENTION, in batches (idempotent); their
    deliveries stay in the webhooks' logs. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - EVENT_RETENTION
    deleted = 0
    while True:
        ids = list(
            OutboxEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                :PURGE_BATCH
            ]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            WebhookDelivery.objects.filter(outbox_event__in=ids).update(outbox_event=None)
            deleted += OutboxEvent.objects.filter(pk__in=ids).delete()[0]


@transaction.atomic
def event_resend(
    *,
    user: Actor,
    event: OutboxEvent,
    webhook: Webhook | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Deliver ``event`` again, from a fresh set of attempts: to ``webhook``, or to every
    active webhook subscribed to it. Each webhook's delivery of the event is reused (same
    id, same body: a receiver that kept it sees a repeat). Returns the deliveries' ids."""
    _require(user, "api.change_webhook")
    now = now or timezone.now()
    events_dispatch(event_ids=[event.pk], now=now)
    event.refresh_from_db()
    if webhook is not None:
        if not webhook.active:
            raise ValidationError({"webhook": _("This webhook is paused; activate it first.")})
        hooks = [webhook]
    elif event.type == PING:
        hooks = [event.webhook] if event.webhook and event.webhook.active else []
    else:
        hooks = _subscribed(event.type)
    _deliveries_create([(event, hook) for hook in hooks], now)
    deliveries = WebhookDelivery.objects.filter(outbox_event=event, webhook__in=hooks)
    deliveries.update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    ids = list(deliveries.values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(ids))
    return ids


@transaction.atomic
def webhook_ping(*, user: Actor, webhook: Webhook, now: datetime | None = None) -> OutboxEvent:
    """Send ``webhook`` a signed ``webhook.ping`` event, to test the receiver."""
    _require(user, "api.change_webhook")
    if not webhook.active:
        raise ValidationError({"webhook": _("This webhook is paused; activate it first.")})
    now = now or timezone.now()
    event = OutboxEvent(
        type=PING,
        object_type="webhook",
        object_id=webhook.pk,
        webhook=webhook,
        created_at=now,
        data={"webhook": webhook.pk, "url": webhook.url},
    )
    return events_record(events=[event])[0]


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
