"""Bulk writes through the API: many orders (``orders/bulk/``) or many customers
(``customers/batch/``) in one request or one job (api.jobs).

Every item is checked as the single endpoint checks it (the same serializer fields), with
the rows the items name loaded once for all of them; the domain services' bulk functions
then write them all or nothing, in one transaction and a fixed number of queries. Bulk
inserts send no ``post_save``, so what a single create sets off is done here, once per
batch: one event per object in the outbox, in the same transaction, and one
recalculation mark per customer.
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.bulk import ItemsInvalid
from core.db import analyze
from core.queue import enqueue, enqueue_on_commit
from core.types import Actor
from customers import services as customer_services
from customers.models import Customer
from metrics import totals as score_totals
from metrics.services import (
    CUSTOMER_WRITE_MODELS,
    customers_mark_dirty,
    score_copies_follow,
)
from orders import services as order_services
from orders import summary
from orders.models import CustomerDay, Order, OrderLine

from .jobs import BulkJob
from .serializers.batch import (
    BatchCustomerSerializer,
    BulkOrderSerializer,
    customer_batch_context,
    order_batch_context,
)
from .serializers.orders import order_create_fields
from .webhooks import services as webhook_services
from .webhooks.models import Event

# A claimed job is not claimed again for this long: a worker that died mid-job.
LEASE = timedelta(minutes=10)
# Items a job checks between two updates of its ``processed``.
CHUNK = 200
# The customer fields the purchase summary keeps (orders.summary.counts_until).
_SUMMARY_FIELDS = {"status", "churned_on"}


class BulkInvalid(Exception):
    """Items of a bulk request are invalid; nothing was written. ``items``:
    [{"index": 3, "errors": {field: [messages]}}], by index, as the API answers them."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(items)
        self.items = items


def _items_invalid(exc: ItemsInvalid) -> BulkInvalid:
    return BulkInvalid(
        [
            {"index": index, "errors": serializers.as_serializer_error(error)}
            for index, error in exc.errors.items()
        ]
    )


def _checked(serializer: serializers.ListSerializer, offset: int = 0) -> list[Any]:
    if not serializer.is_valid():
        raise BulkInvalid(
            [
                {"index": offset + index, "errors": errors}
                for index, errors in sorted(serializer.errors.items())
            ]
        )
    return list(serializer.validated_data)


def order_items_check(*, user: Actor, items: Sequence[Any], offset: int = 0) -> list[dict]:
    """The keyword arguments of ``order_create`` for each of ``items`` (request data), or
    BulkInvalid with the errors of every invalid one (indices from ``offset``)."""
    serializer = BulkOrderSerializer(
        data=list(items), many=True, context=order_batch_context(user=user, items=items)
    )
    return [order_create_fields(validated) for validated in _checked(serializer, offset)]


@transaction.atomic
def orders_create(*, user: Actor, orders: Sequence[dict]) -> list[int]:
    """Create the checked ``orders`` all or nothing; their ids, in order. BulkInvalid for
    what only writing can tell (a number taken, a missing exchange rate)."""
    try:
        created = order_services.orders_create_bulk(user=user, orders=orders)
    except ItemsInvalid as exc:
        raise _items_invalid(exc) from None
    customers_mark_dirty(customer_ids=[order.customer_id for order in created])
    webhook_services.events_record(
        events=[
            webhook_services.object_event(
                event=Event.ORDER_CREATED, object_type="order", instance=order
            )
            for order in created
        ]
    )
    # Once committed, when these orders (and their customers' summary rows) left the
    # planner's statistics stale.
    analyze(Order, Order.history.model, OrderLine, CustomerDay, added=len(created))
    return [order.pk for order in created]


def customer_items_check(
    *, user: Actor, mode: str, items: Sequence[Any], offset: int = 0
) -> list[tuple[Customer | None, dict]]:
    """(the customer to change or None, its fields) for each of ``items`` (request data),
    as the single create or change checks them; BulkInvalid with the errors of every
    invalid one (indices from ``offset``). To update, an item names its customer by
    ``external_id``; to upsert, a customer it does not name is created."""
    context = customer_batch_context(user=user, mode=mode, items=items)
    new = BatchCustomerSerializer(context=context)
    change = BatchCustomerSerializer(context=context, partial=True)
    checked: list[tuple[Customer | None, dict]] = []
    invalid = []
    for index, item in enumerate(items):
        existing = None
        try:
            if mode != "create":
                external_id = item.get("external_id") if isinstance(item, dict) else None
                if not isinstance(external_id, str) or not external_id:
                    raise serializers.ValidationError(
                        {"external_id": [_("To update customers, give each its external_id.")]}
                    )
                existing = context["existing"].get(external_id)
                if existing is None and mode == "update":
                    raise serializers.ValidationError(
                        {"external_id": [_("No customer of yours has this external id.")]}
                    )
            serializer = new if existing is None else change
            checked.append((existing, dict(serializer.run_validation(item))))
        except serializers.ValidationError as exc:
            invalid.append({"index": offset + index, "errors": exc.detail})
    if invalid:
        raise BulkInvalid(invalid)
    return checked


@transaction.atomic
def customers_write(*, user: Actor, customers: Sequence[tuple[Customer | None, dict]]) -> list[int]:
    """Create or change the checked ``customers`` all or nothing; their ids, in order."""
    creates = [index for index, (existing, _fields) in enumerate(customers) if existing is None]
    updates = [index for index, (existing, _fields) in enumerate(customers) if existing]
    # The service takes the creates, then the updates: its indices map back through this.
    positions = creates + updates
    # A new acquiring campaign takes the customer's CLV along in the score totals.
    moved = [
        existing.pk
        for existing, fields in (customers[index] for index in updates)
        if existing is not None and "acquired_by_campaign" in fields
    ]
    try:
        with score_totals.campaigns_changing(moved):
            saved = customer_services.customers_save_bulk(
                user=user,
                creates=[customers[index][1] for index in creates],
                updates=[customers[index] for index in updates],
            )
    except ItemsInvalid as exc:
        exc.errors = {positions[index]: error for index, error in exc.errors.items()}
        raise _items_invalid(exc) from None
    score_totals.customers_created(saved[: len(creates)])
    customers_mark_dirty(customer_ids=[customer.pk for customer in saved])

    def updated(field):
        return [
            existing.pk
            for existing, fields in (customers[index] for index in updates)
            if existing is not None and field in fields
        ]

    owners_changed = updated("owner")
    score_copies_follow([*updated("status"), *owners_changed])
    order_services.order_owners_follow(owners_changed)
    # A status or churn date reaches the purchase summary, as the post_save receiver does
    # for one customer: once for the batch.
    summary.refresh_customers(
        customer.pk
        for position, customer in enumerate(saved)
        if position >= len(creates) and _SUMMARY_FIELDS & customers[positions[position]][1].keys()
    )
    webhook_services.events_record(
        events=[
            webhook_services.object_event(
                event=Event.CUSTOMER_CREATED if position < len(creates) else Event.CUSTOMER_UPDATED,
                object_type="customer",
                instance=customer,
            )
            for position, customer in enumerate(saved)
        ]
    )
    analyze(*CUSTOMER_WRITE_MODELS, added=len(saved))
    by_position = dict(zip(positions, saved, strict=True))
    return [by_position[position].pk for position in range(len(customers))]


def error_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-item errors flattened to one row per message: {"index", "field", "message"},
    the field as a dotted path (``lines.0.product``; ``non_field_errors`` for the item).
    A message may quote the input: a NUL character in it becomes U+FFFD, which jsonb
    stores."""
    rows: list[dict[str, Any]] = []

    def row(index: int, path: str, message: Any) -> dict[str, Any]:
        return {"index": index, "field": path, "message": str(message).replace("\x00", "\ufffd")}

    def walk(index: int, path: str, detail: Any) -> None:
        if isinstance(detail, dict):
            for key, value in detail.items():
                walk(index, f"{path}.{key}" if path else str(key), value)
        elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
            rows.extend(row(index, path, message) for message in detail)
        elif isinstance(detail, list):
            for position, value in enumerate(detail):
                if value:
                    walk(index, f"{path}.{position}" if path else str(position), value)
        else:
            rows.append(row(index, path, detail))

    for item in items:
        walk(item["index"], "", item["errors"])
    return rows


# --- Jobs (api.jobs.BulkJob) ---------------------------------------------------------


def job_create(*, user: Any, kind: str, payload: dict[str, Any], total: int) -> BulkJob:
    """Store a job in the caller's transaction; its task is sent once that commits."""
    from .tasks import bulk_job_run

    job = BulkJob.objects.create(
        kind=kind,
        created_by=user,
        payload=json.dumps(payload),
        total=total,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    enqueue_on_commit(bulk_job_run, job.pk)
    return job


def job_resend_if_stalled(*, job: BulkJob, now: datetime | None = None) -> bool:
    """Send the task of a job nobody is working on (its message was lost, its worker died)
    again: queued for more than a lease, or running with its lease run out."""
    from .tasks import bulk_job_run

    now = now or timezone.now()
    stalled = (job.status == BulkJob.Status.QUEUED and job.created_at < now - LEASE) or (
        job.status == BulkJob.Status.RUNNING and job.lease_until and job.lease_until < now
    )
    if stalled:
        enqueue(bulk_job_run, job.pk)
    return bool(stalled)


def _claim(job_id: int, now: datetime) -> BulkJob | None:
    claimable = Q(status=BulkJob.Status.QUEUED) | Q(
        status=BulkJob.Status.RUNNING, lease_until__lt=now
    )
    claimed = BulkJob.objects.filter(claimable, pk=job_id).update(
        status=BulkJob.Status.RUNNING,
        attempts=F("attempts") + 1,
        lease_until=now + LEASE,
        started_at=Coalesce("started_at", now),
        processed=0,
    )
    if not claimed:
        return None
    return BulkJob.objects.select_related("created_by").get(pk=job_id)


def _finish(job_id: int, **fields: Any) -> None:
    BulkJob.objects.filter(pk=job_id).update(
        finished_at=timezone.now(), lease_until=None, payload="", **fields
    )


def _checked_in_chunks(
    job: BulkJob, items: Sequence[Any], check: Callable[..., list[Any]]
) -> list[Any]:
    """Every item checked, CHUNK at a time (each chunk's rows loaded at once), with the
    count committed after each, so a poll shows the progress; BulkInvalid lists the
    errors of every chunk."""
    checked: list[Any] = []
    invalid: list[dict[str, Any]] = []
    for start in range(0, len(items), CHUNK):
        try:
            checked += check(items=items[start : start + CHUNK], offset=start)
        except BulkInvalid as exc:
            invalid += exc.items
        BulkJob.objects.filter(pk=job.pk).update(processed=min(start + CHUNK, len(items)))
    if invalid:
        raise BulkInvalid(invalid)
    return checked


def _run_orders(job: BulkJob) -> list[int]:
    user = job.created_by
    orders = _checked_in_chunks(
        job,
        json.loads(job.payload)["orders"],
        lambda items, offset: order_items_check(user=user, items=items, offset=offset),
    )
    return _write(job, lambda: orders_create(user=user, orders=orders))


def _run_customers(job: BulkJob) -> list[int]:
    user = job.created_by
    payload = json.loads(job.payload)
    mode = payload["mode"]
    customers = _checked_in_chunks(
        job,
        payload["customers"],
        lambda items, offset: customer_items_check(
            user=user, mode=mode, items=items, offset=offset
        ),
    )
    return _write(job, lambda: customers_write(user=user, customers=customers))


_RUNNERS: dict[str, Callable[[BulkJob], list[int]]] = {
    BulkJob.Kind.ORDERS: _run_orders,
    BulkJob.Kind.CUSTOMERS: _run_customers,
}


class _AlreadyDone(Exception):
    pass


def _write(job: BulkJob, write: Callable[[], list[int]]) -> list[int]:
    """``write`` and the job's success in one transaction, under the job's row lock: a
    second copy of the task waits here, then finds the job finished."""
    with transaction.atomic():
        status = (
            BulkJob.objects.select_for_update().filter(pk=job.pk).values_list("status", flat=True)
        )
        if list(status) != [BulkJob.Status.RUNNING]:
            raise _AlreadyDone
        ids = write()
        _finish(job.pk, status=BulkJob.Status.SUCCEEDED, processed=job.total, result_ids=ids)
    return ids


def job_run(*, job_id: int, now: datetime | None = None) -> str | None:
    """Do the job if it is there to claim; returns its final status, or None when another
    copy of the task has it or had it."""
    # Not at the top: api.models imports this module while the apps load.
    job = _claim(job_id, now or timezone.now())
    if job is None:
        return None
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _RUNNERS[job.kind](job)
        except _AlreadyDone:
            return None
        except BulkInvalid as exc:
            _finish(job.pk, status=BulkJob.Status.FAILED, errors=error_rows(exc.items))
            return BulkJob.Status.FAILED
        except PermissionDenied as exc:
            _finish(
                job.pk,
                status=BulkJob.Status.FAILED,
                errors=[{"index": None, "field": None, "message": str(exc)}],
            )
            return BulkJob.Status.FAILED
        except Exception:
            # Let the next delivery of the task (a retry) claim it at once.
            BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.RUNNING).update(
                status=BulkJob.Status.QUEUED, lease_until=None
            )
            raise
    return BulkJob.Status.SUCCEEDED


def wants_async(*, asked: bool | None, prefer: str, items: int) -> bool:
    """A job rather than an answer at once: when asked (``?async=true`` or ``Prefer:
    respond-async``), or above API_BULK_ASYNC_ITEMS items unless ``?async=false``."""
    if asked is not None:
        return asked
    if "respond-async" in (part.strip().lower() for part in prefer.split(",")):
        return True
    return items > settings.API_BULK_ASYNC_ITEMS
