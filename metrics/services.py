"""Writes of the value engine: recalculation runs, incremental updates and dirty marks.

A full run has three kinds of steps, each a Celery task and each safe to repeat:
``full_run_prepare`` computes every customer (set-based) into a staging table,
``full_run_publish_chunk`` copies one id range of it into the current scores, and the
chunk that completes the run finishes it. A worker killed anywhere leaves the published
scores as they were; the repeated task (acks_late) or the stalled-run sweep finishes it.

With ``METRICS_SCALE_OUT`` the preparation is spread over the workers too (see "Full runs
split over workers" below): no process holds the whole population.
"""

import base64
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.heartbeat import lease_seconds
from core.queue import enqueue, enqueue_on_commit
from core.services import check_fields, require_permission
from core.types import User
from customers.models import Customer
from orders import summary
from orders.models import CustomerDay, Order

from . import engine, signals, storage
from .models import (
    CustomerScore,
    DirtyCustomer,
    MetricSettings,
    ModelFit,
    PopulationStats,
    RecalcChunk,
    RecalcRun,
    StagedScore,
)
from .selectors import customer_inputs, last_purchase_on

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50_000
DIRTY_BATCH = 500
MARK_BATCH = 1000
# The sweep sends a stalled run's work again each time it runs until a worker takes it;
# copies still queued after this long (workers busy or away) are dropped, not piled up.
RESENT_EXPIRE = 300
# A prepare step that keeps dying (say, out of memory) fails the run instead of looping.
MAX_ATTEMPTS = 3


class RecalcAlreadyRunning(Exception):
    def __init__(self, run: RecalcRun | None) -> None:
        super().__init__(_("A full recalculation is already running."))
        self.run = run


def parameters_from_settings(settings: MetricSettings | None = None) -> engine.Parameters:
    settings = settings or MetricSettings.load()
    return engine.Parameters(
        weights=settings.weights,
        discount_rate=float(settings.discount_rate),
        horizon_months=settings.horizon_months,
        churn_inactivity_days=settings.churn_inactivity_days,
        lifetime_cap_years=float(settings.lifetime_cap_years),
        interest_rate=float(settings.interest_rate),
        goodwill_coefficient=float(settings.goodwill_coefficient),
        info_k=float(settings.info_k),
        info_u=float(settings.info_u),
        info_c=float(settings.info_c),
        tier_a_share=settings.tier_a_share,
        tier_b_share=settings.tier_b_share,
    )


def parameters_to_json(params: engine.Parameters) -> dict[str, Any]:
    """Parameters as stored with a run's stats: incremental updates and the what-if use the
    full run's parameters, not today's settings, so their results match that run."""
    data = asdict(params)
    data["weights"] = {k: str(v) for k, v in params.weights.items()}
    data["tier_a_share"], data["tier_b_share"] = str(params.tier_a_share), str(params.tier_b_share)
    return data


def parameters_from_json(data: Mapping[str, Any]) -> engine.Parameters:
    """The inverse of ``parameters_to_json``."""
    data = dict(data)
    data["weights"] = {k: Decimal(v) for k, v in data["weights"].items()}
    data["tier_a_share"] = Decimal(data["tier_a_share"])
    data["tier_b_share"] = Decimal(data["tier_b_share"])
    return engine.Parameters(**data)


# --- Settings ------------------------------------------------------------------------


# What a caller may set: every parameter of the value models, not who changed them when.
SETTINGS_FIELDS = frozenset(
    field.name
    for field in MetricSettings._meta.concrete_fields
    if field.editable and field.name not in ("id", "updated_by")
)


@transaction.atomic
def metric_settings_update(
    *, user: User | None, today: date | None = None, **fields: Any
) -> MetricSettings:
    """Save new settings (SETTINGS_FIELDS) and queue a full run, since every score depends
    on them (as of the day the settings say, ``today`` being the live one)."""
    check_fields(fields, SETTINGS_FIELDS, service="metric_settings_update")
    require_permission(user, "metrics.change_metricsettings")
    settings = MetricSettings.load()
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.updated_by = user
    settings.full_clean()
    settings.save()
    try:
        recalc_request(trigger=RecalcRun.Trigger.USER, user=user, today=today)
    except RecalcAlreadyRunning:
        logger.info("Settings changed during a run; the next run will use them.")
    return settings


def scoring_as_of(*, today: date, settings: MetricSettings | None = None) -> date:
    """The day to score as of, by the "score as of" setting: ``today`` (live, the default),
    the day of the last purchase, or the fixed date; never after ``today``, and ``today``
    while there is no purchase yet. Every recalculation not given a date asks this: full
    runs (Metrics page, API, nightly schedule, command) and incremental updates."""
    settings = settings or MetricSettings.load()
    if settings.as_of_mode == MetricSettings.AsOf.FIXED and settings.as_of_date:
        return min(settings.as_of_date, today)
    if settings.as_of_mode == MetricSettings.AsOf.LAST_ORDER:
        last = last_purchase_on()
        if last is not None:
            return min(last, today)
    return today


# --- Full runs -----------------------------------------------------------------------


def recalc_request(
    *,
    trigger: str,
    as_of: date | None = None,
    user: User | None = None,
    today: date | None = None,
) -> RecalcRun:
    """Queue a full recalculation as of ``as_of``, by default the day the settings say
    (``scoring_as_of``, ``today`` the live day, by default the server's); raise
    RecalcAlreadyRunning when one is queued or running."""
    from .tasks import full_run_prepare

    active = RecalcRun.objects.filter(
        kind=RecalcRun.Kind.FULL, status__in=[RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING]
    ).first()
    if active:
        raise RecalcAlreadyRunning(active)
    if as_of is None:
        as_of = scoring_as_of(today=today or timezone.localdate())
    try:
        with transaction.atomic():
            run = RecalcRun.objects.create(trigger=trigger, started_by=user, as_of=as_of)
    except IntegrityError as exc:
        # Another request won the race; the unique constraint allows one active run.
        active = RecalcRun.objects.filter(status__in=["queued", "running"]).first()
        raise RecalcAlreadyRunning(active) from exc
    enqueue_on_commit(full_run_prepare, run.pk)
    return run


def lease() -> timedelta:
    """How long a run may go without a sign of life (the heartbeat a task renews while it
    works on the run, core/heartbeat.py) before its work goes to another worker."""
    return timedelta(seconds=lease_seconds())


def _lease_expired(now: datetime) -> Q:
    cutoff = now - lease()
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)


def _claim(run_id: int) -> RecalcRun | None:
    """Mark the run running (again, after a worker died); None when it is over or another
    prepare holds it (its lease has not run out)."""
    now = timezone.now()
    active = RecalcRun.objects.filter(
        Q(status=RecalcRun.Status.QUEUED)
        | (Q(status=RecalcRun.Status.RUNNING) & _lease_expired(now)),
        pk=run_id,
    )
    if active.filter(attempts__gte=MAX_ATTEMPTS).exists():
        full_run_fail(run_id=run_id, error=_("Gave up after %(n)s attempts.") % {"n": MAX_ATTEMPTS})
        return None
    claimed = active.update(
        status=RecalcRun.Status.RUNNING,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        step=_("Reading orders, costs, referrals and surveys"),
        # A redelivered prepare starts again: its laps (the progress card's steps) too.
        timings={},
    )
    if not claimed:
        return None
    RecalcRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
    return RecalcRun.objects.get(pk=run_id)


def _progress(run: RecalcRun, **fields: Any) -> None:
    RecalcRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(), **fields)


def _tune_session() -> None:
    # The population aggregate sorts and hashes millions of rows; with PostgreSQL's
    # default 4 MB work_mem it spills to disk, and JIT compilation costs seconds on a
    # query that runs once (see docs/benchmarks.md).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '1GB'")
            cursor.execute("SET LOCAL jit = off")


def _start_publishing(
    attempt: QuerySet[RecalcRun], chunks: list[RecalcChunk], timings: dict
) -> bool:
    """Move the run to publishing, inside the transaction that staged it: only if no later
    attempt claimed the run meanwhile (this one was thought dead), else that one's staging
    is the one to keep and this one's is rolled back (False)."""
    current = attempt.update(
        chunks_total=len(chunks),
        chunks_done=0,
        processed=0,
        timings=timings,
        heartbeat_at=timezone.now(),
        step=_("Publishing scores"),
    )
    if not current:
        transaction.set_rollback(True)
    return bool(current)


def _chunks_to_publish(run: RecalcRun, chunks: list[RecalcChunk]) -> list[int]:
    if not chunks:
        _finish(run.pk)
    return [chunk.index for chunk in chunks]


def _purchase_summary_follow(params: engine.Parameters) -> None:
    """A full run follows a new churn setting (every settings change queues one) into the
    purchase summary the company figures read: a customer counts for the inactivity days
    after the day of a purchase. Nothing when it already has that window."""
    summary.rewindow(window=params.churn_inactivity_days + 1)


def full_run_prepare(*, run_id: int, chunk_size: int = CHUNK_SIZE) -> list[int]:
    """Compute every customer into staging and split the publication into chunks.
    Returns the chunk indices still to publish (empty when the run is over)."""
    run = _claim(run_id)
    if run is None:
        return []
    params = parameters_from_settings()
    _purchase_summary_follow(params)
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[name] = round(now - clock, 3)
        clock = now

    with transaction.atomic():
        _tune_session()
        inputs = customer_inputs(as_of=run.as_of)
    lap("inputs")
    _progress(
        run,
        total=len(inputs),
        step=_("Fitting the models and scoring every customer"),
        timings=dict(timings),
    )

    stats, out = engine.population_scores(inputs, params)
    stats["parameters"] = parameters_to_json(params)
    lap("population")
    _progress(run, step=_("Staging the new scores"), timings=dict(timings))
    with transaction.atomic():
        # A redelivered prepare starts its run's staging again from scratch.
        _discard_staging(run)
        PopulationStats.objects.create(run=run, as_of=run.as_of, data=stats)
        encoded = storage.encode(inputs, out)
        lap("encode")
        storage.stage(run.pk, encoded)
        storage.begin_publication(run.as_of)
        lap("stage")
        _record_fits(run, stats, duration_ms=int(1000 * timings["population"]))
        chunks = _make_chunks(run, inputs.customer_id.tolist(), chunk_size)
        if not _start_publishing(
            RecalcRun.objects.filter(pk=run.pk, attempts=run.attempts), chunks, timings
        ):
            return []
    return _chunks_to_publish(run, chunks)


def _record_fits(run: RecalcRun, stats: Mapping[str, Any], duration_ms: int) -> None:
    for kind in (ModelFit.Kind.BGNBD, ModelFit.Kind.GAMMA_GAMMA):
        fit = stats[kind]
        ModelFit.objects.create(
            kind=kind,
            run=run,
            as_of=run.as_of,
            params=fit["params"] or {},
            log_likelihood=fit["log_likelihood"],
            customers=fit["customers"],
            converged=fit["converged"],
            message=fit["message"][:300],
            duration_ms=duration_ms,
        )


def _make_chunks(run: RecalcRun, ids: list[int], chunk_size: int) -> list[RecalcChunk]:
    chunks = [
        RecalcChunk(
            run=run,
            index=index,
            first_id=ids[start],
            last_id=ids[min(start + chunk_size, len(ids)) - 1],
            size=min(chunk_size, len(ids) - start),
        )
        for index, start in enumerate(range(0, len(ids), chunk_size))
    ]
    return RecalcChunk.objects.bulk_create(chunks)


def full_run_publish_chunk(*, run_id: int, index: int) -> bool:
    """Publish one chunk; the chunk that completes the run finishes it. Idempotent: a
    retried task whose chunk is already published still finishes the run if that is
    what failed (say, the swap timed out waiting for readers)."""
    try:
        published = _publish_chunk(run_id, index, _chunk_scores(run_id, index))
    except storage.StagingLost as exc:
        full_run_fail(run_id=run_id, error=exc)
        return False
    if not RecalcChunk.objects.filter(run_id=run_id, done=False).exists():
        _finish(run_id)
    return published


def _bound_idle_transaction() -> None:
    """A worker that froze mid-chunk (stopped, cut off from the network) would keep the
    chunk's row lock, and the worker the sweep gives the chunk to would wait for it:
    PostgreSQL ends this transaction once it has been idle for a lease. (Not inside a
    caller's transaction, as in tests: the setting would last until that one ends.)"""
    if connection.vendor == "postgresql" and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            milliseconds = int(1000 * lease_seconds())
            cursor.execute(f"SET LOCAL idle_in_transaction_session_timeout = {milliseconds}")


@transaction.atomic
def _publish_chunk(run_id: int, index: int, encoded: storage.Encoded | None = None) -> bool:
    """Publish one chunk from staging, staging its ``encoded`` rows first when its run
    scores by chunk; all or nothing."""
    _bound_idle_transaction()
    claimed = RecalcChunk.objects.filter(run_id=run_id, index=index, done=False).update(done=True)
    if not claimed:
        return False
    chunk = RecalcChunk.objects.get(run_id=run_id, index=index)
    if encoded is not None:
        storage.stage(run_id, encoded)
    population = PopulationStats.objects.defer("data").get(run_id=run_id)
    values = storage.run_values(
        as_of=population.as_of, population=population, computed_at=population.created_at
    )
    changes = storage.publish_staged(run_id, chunk.first_id, chunk.last_id, values)
    _tier_changes_send(changes)
    RecalcRun.objects.filter(pk=run_id).update(
        processed=F("processed") + chunk.size,
        chunks_done=F("chunks_done") + 1,
        heartbeat_at=timezone.now(),
    )
    return True


def _finish(run_id: int) -> None:
    with transaction.atomic():
        finished = RecalcRun.objects.filter(pk=run_id, status=RecalcRun.Status.RUNNING).update(
            status=RecalcRun.Status.DONE,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            step="",
        )
        if not finished:
            return
        run = RecalcRun.objects.get(pk=run_id)
        carried = storage.end_publication(since=run.started_at)
        storage.clear_staging()
        # The run read every customer's data as of its start: marks made before it began
        # are covered; later ones stay for the sweep.
        DirtyCustomer.objects.filter(marked_at__lt=run.started_at).delete()
        customers_mark_dirty(customer_ids=carried)
    storage.after_publication()
    _customers_flag_scored()


# Customers flagged per statement.
FLAG_BATCH = 20_000


def _customers_flag_scored() -> int:
    """Mark the customers that now have a score row (``Customer.is_scored``): those not yet
    known to have one, read from their small partial index, so a run flags only those new
    since the last. After the publication has committed, a batch per transaction: the flag
    is a hint (false only costs time, and a score row goes only with its customer), and
    the first run after a load of a million customers rewrote a million customer rows,
    2-4 minutes during which its transaction held the swapped scores table locked against
    every reader (issue 14)."""
    unscored = Customer.objects.filter(is_scored=False, score__isnull=False)
    flagged = 0
    while ids := list(unscored.order_by("pk").values_list("pk", flat=True)[:FLAG_BATCH]):
        flagged += unscored.filter(pk__range=(ids[0], ids[-1])).update(is_scored=True)
    return flagged


def full_run_fail(*, run_id: int, error: Exception | str) -> None:
    failed = RecalcRun.objects.filter(
        pk=run_id, status__in=[RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING]
    ).update(status=RecalcRun.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now())
    StagedScore.objects.filter(run_id=run_id).delete()
    if failed:
        # Only the active run may touch the next table (a late task of an old run must not).
        storage.abandon_publication()


# --- Full runs split over workers ---------------------------------------------------------
#
# With METRICS_SCALE_OUT, ``metrics.tasks.full_run_prepare`` hands the run to these steps,
# chained by Celery chords over id ranges of the customers, so that every process holds one
# range (or the population's statistics) and never the whole population:
#
# 1. ``full_run_scatter`` claims the run and splits the customers into id ranges;
# 2. a map, ``full_run_chunk_statistics``: each range's inputs read, and the exact statistics
#    the fits and cut-offs need (engine.chunk_statistics);
# 3. a reduce, ``full_run_fit``: the fits, RFM cut-offs, churn, margin (engine.fit_statistics);
# 4. a map, ``full_run_chunk_components``: each range read again and scored against those,
#    its buyers' four score components kept for the next rounds (engine.chunk_components),
#    and its answer to the first round of the selection of the references;
# 5. rounds of a reduce, ``full_run_select``, and a map, ``full_run_chunk_select``: the exact
#    order statistics the references, then the tier cut-offs, need (counts per bucket, then
#    the values in the buckets holding the wanted ranks; engine.selection_*), so the reduce
#    holds counts of bounded size, never a row per customer;
# 6. ``full_run_gather``: the stats stored as the run's PopulationStats, the publication
#    chunks made;
# 7. the publication map, ``full_run_publish_chunk``: each range read a third time, scored,
#    staged and published in one transaction; the last one swaps (as in a one-process run).
#
# The stats are those of a one-process run (the same engine functions over one chunk), so
# the scores are identical. Each step checks that its run is still running and on the same
# attempt: a step left over from an attempt the sweep restarted does nothing.


def scale_out() -> bool:
    return bool(settings.METRICS_SCALE_OUT)


def _packed(value: Any) -> Any:
    """Statistics as JSON for the result backend: arrays as base64 of their bytes (exact)."""
    if isinstance(value, np.ndarray):
        return {
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "data": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode(),
        }
    if isinstance(value, dict):
        return {key: _packed(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_packed(item) for item in value]
    return value


def _unpacked(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dtype", "shape", "data"}:
        array = np.frombuffer(base64.b64decode(value["data"]), dtype=value["dtype"])
        return array.reshape(value["shape"])
    if isinstance(value, dict):
        return {key: _unpacked(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_unpacked(item) for item in value)
    return value


def _discard_staging(run: RecalcRun) -> None:
    """A run's work from an earlier attempt: its steps start again from scratch."""
    StagedScore.objects.filter(run=run).delete()
    RecalcChunk.objects.filter(run=run).delete()
    ModelFit.objects.filter(run=run).delete()
    PopulationStats.objects.filter(run=run).delete()


def _attempt(run_id: int, attempt: int) -> RecalcRun | None:
    """The run, if it is still running on ``attempt`` (with a fresh heartbeat)."""
    updated = RecalcRun.objects.filter(
        pk=run_id, attempts=attempt, status=RecalcRun.Status.RUNNING
    ).update(heartbeat_at=timezone.now())
    return RecalcRun.objects.get(pk=run_id) if updated else None


def full_run_scatter(*, run_id: int, chunk_size: int | None = None) -> dict[str, Any] | None:
    """Claim the run (as ``full_run_prepare`` does) and plan its map over id ranges: the
    attempt, the parameters (read once: every step uses these), the ranges and the clock.
    None when the run is not this call's to do."""
    run = _claim(run_id)
    if run is None:
        return None
    with transaction.atomic():
        _discard_staging(run)
    params = parameters_from_settings()
    _purchase_summary_follow(params)
    ranges = storage.id_ranges(chunk_size or CHUNK_SIZE)
    _progress(run, total=sum(size for _first, _last, size in ranges))
    return {
        "attempt": run.attempts,
        "parameters": parameters_to_json(params),
        "ranges": ranges,
        "clock": time.time(),
    }


def _range_inputs(run: RecalcRun, first_id: int, last_id: int) -> engine.CustomerInputs:
    with transaction.atomic():
        _tune_session()
        return customer_inputs(as_of=run.as_of, customer_ids=range(first_id, last_id + 1))


def full_run_chunk_statistics(
    *, run_id: int, attempt: int, parameters: Mapping[str, Any], first_id: int, last_id: int
) -> dict[str, Any] | None:
    """The map's first step for one id range: its statistics, packed for the reduce."""
    run = _attempt(run_id, attempt)
    if run is None:
        return None
    inputs = _range_inputs(run, first_id, last_id)
    return _packed(engine.chunk_statistics(inputs, parameters_from_json(parameters)))


def _lap(run: RecalcRun, plan: dict[str, Any], name: str, **fields: Any) -> dict[str, Any]:
    """Record the seconds since the plan's clock as the run's lap ``name``."""
    now = time.time()
    timings = {**plan.get("timings", {}), name: round(now - plan["clock"], 3)}
    _progress(run, timings=timings, **fields)
    return {**plan, "timings": timings, "clock": now}


class _PartMissing(Exception):
    """A map step left no result (its run moved on to another attempt)."""


def _each_unpacked(parts: Iterable[Any]) -> Iterable[Any]:
    for part in parts:
        if part is None:
            raise _PartMissing
        yield _unpacked(part)


def full_run_fit(
    *, run_id: int, plan: dict[str, Any], parts: Iterable[Any]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The reduce after the first map: the fits and cut-offs from every range's
    statistics (read one at a time). Returns ``(stats, plan)``, None when the run is not
    this attempt's."""
    run = _attempt(run_id, plan["attempt"])
    if run is None:
        return None
    try:
        # Unpacked and merged as read, in bounded memory (runs past a share of it in
        # temporary files): never every range's arrays at once (engine.fit_inputs).
        merged = engine.fit_inputs(_each_unpacked(parts))
    except _PartMissing:
        return None
    plan = _lap(run, plan, "inputs", step=_("Fitting the models and scoring every customer"))
    started = time.monotonic()
    stats = engine.fitted_statistics(merged, as_of=run.as_of)
    plan["fit_ms"] = int(1000 * (time.monotonic() - started))
    if not plan["ranges"]:
        # No customer, no rounds: the references and tiers of nobody.
        engine.finish_statistics(stats, [], parameters_from_json(plan["parameters"]))
    return stats, plan


def full_run_chunk_components(
    *,
    run_id: int,
    attempt: int,
    parameters: Mapping[str, Any],
    stats: Mapping[str, Any],
    first_id: int,
    last_id: int,
) -> tuple[Any, Any] | None:
    """The second map's step for one id range: its buyers' score components (packed, kept
    for the selection's rounds) and its answer to the first round."""
    run = _attempt(run_id, attempt)
    if run is None:
        return None
    inputs = _range_inputs(run, first_id, last_id)
    params = parameters_from_json(parameters)
    components = engine.chunk_components(inputs, stats, params)
    asked = engine.selection_query(engine.selection_start(engine.REFERENCES))
    answer = engine.selection_part(components, stats, params, engine.REFERENCES, asked)
    return _packed(components), _packed(answer)


def full_run_chunk_select(
    *,
    run_id: int,
    attempt: int,
    parameters: Mapping[str, Any],
    stats: Mapping[str, Any],
    phase: str,
    asked: Mapping[str, Any],
    components: Any,
) -> Any:
    """A selection round's map step for one range: its answer from its kept components."""
    if _attempt(run_id, attempt) is None or components is None:
        return None
    params = parameters_from_json(parameters)
    return _packed(engine.selection_part(_unpacked(components), stats, params, phase, asked))


def full_run_selection_start() -> tuple[str, dict[str, Any]]:
    """The first selection's phase and state, whose first round the components map answers."""
    return engine.REFERENCES, engine.selection_start(engine.REFERENCES)


def full_run_select(
    *,
    run_id: int,
    plan: dict[str, Any],
    stats: dict[str, Any],
    phase: str,
    state: dict[str, Any],
    parts: Iterable[Any],
) -> tuple[str | None, dict[str, Any] | None, Any] | None:
    """A selection round's reduce: ``parts`` (every range's answer, read one at a time)
    merged into the selection. Returns the phase and state of the next round and its
    question, or ``(None, None, None)`` once both phases are done, the references and
    tier cut-offs then written into ``stats``; None when the run is not this attempt's."""
    if _attempt(run_id, plan["attempt"]) is None:
        return None
    params = parameters_from_json(plan["parameters"])
    try:
        state = engine.selection_advance(phase, state, _each_unpacked(parts), params)
    except _PartMissing:
        return None
    if engine.selection_done(state):
        engine.selection_finish(stats, phase, state, params)
        if phase == engine.TIERS:
            return None, None, None
        phase, state = engine.TIERS, engine.selection_start(engine.TIERS)
    return phase, state, engine.selection_query(state)


def full_run_gather(*, run_id: int, plan: dict[str, Any], stats: dict[str, Any]) -> list[int]:
    """After the selections: the stats (references and tier cut-offs included) stored with
    the run, and the publication chunks (the plan's ranges) made. Returns the chunk indices
    to publish, as ``full_run_prepare`` does."""
    run = _attempt(run_id, plan["attempt"])
    if run is None:
        return []
    stats["parameters"] = plan["parameters"]
    # Read by the publication: each chunk scores its own range rather than reading staging.
    stats["scored_by_chunk"] = True
    plan = _lap(run, plan, "population", step=_("Staging the new scores"))
    with transaction.atomic():
        _discard_staging(run)
        PopulationStats.objects.create(run=run, as_of=run.as_of, data=stats)
        storage.begin_publication(run.as_of)
        _record_fits(run, stats, duration_ms=plan["fit_ms"])
        chunks = RecalcChunk.objects.bulk_create(
            RecalcChunk(run=run, index=index, first_id=first, last_id=last, size=size)
            for index, (first, last, size) in enumerate(plan["ranges"])
        )
        attempt = RecalcRun.objects.filter(
            pk=run.pk, attempts=plan["attempt"], status=RecalcRun.Status.RUNNING
        )
        # Staged chunk by chunk as each is published.
        if not _start_publishing(attempt, chunks, {**plan["timings"], "stage": 0.0}):
            return []
    return _chunks_to_publish(run, chunks)


def _chunk_scores(run_id: int, index: int) -> storage.Encoded | None:
    """A chunk's rows scored from its own inputs, when its run scores by chunk (else its
    rows are staged already); read before the chunk's transaction, which stays short."""
    population = PopulationStats.objects.filter(run_id=run_id).first()
    if population is None or not population.data.get("scored_by_chunk"):
        return None
    chunk = RecalcChunk.objects.filter(run_id=run_id, index=index, done=False).first()
    if chunk is None:
        return None
    run = RecalcRun.objects.get(pk=run_id)
    stats = population.data
    inputs = _range_inputs(run, chunk.first_id, chunk.last_id)
    return storage.encode(
        inputs, engine.score(inputs, stats, parameters_from_json(stats["parameters"]))
    )


def full_run_sync(
    *,
    as_of: date,
    trigger: str = RecalcRun.Trigger.USER,
    user: User | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> RecalcRun:
    """A whole full run in this process (management command, benchmarks)."""
    active = RecalcRun.objects.filter(status__in=["queued", "running"]).first()
    if active:
        raise RecalcAlreadyRunning(active)
    run = RecalcRun.objects.create(trigger=trigger, started_by=user, as_of=as_of)
    try:
        for index in full_run_prepare(run_id=run.pk, chunk_size=chunk_size):
            full_run_publish_chunk(run_id=run.pk, index=index)
    except Exception as exc:
        full_run_fail(run_id=run.pk, error=exc)
        raise
    return RecalcRun.objects.get(pk=run.pk)


def stalled_runs_resume(*, now: datetime | None = None, queue: str | None = None) -> list[int]:
    """Send again (to ``queue``) the work of runs whose lease ran out: their worker died
    or froze, or their messages were lost (a flushed broker, a send that failed). The
    chunks not yet published, else the prepare step; a copy that finds its work taken
    does nothing."""
    from .tasks import full_run_prepare, full_run_publish_chunk

    now = now or timezone.now()
    options = {"queue": queue, "expires": RESENT_EXPIRE}
    resumed: list[int] = []
    stalled = RecalcRun.objects.filter(
        _lease_expired(now), status__in=[RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING]
    )
    for run in stalled:
        pending = list(run.chunks.filter(done=False).values_list("index", flat=True))
        if run.chunks_total and pending:
            for index in pending:
                enqueue(full_run_publish_chunk, run.pk, index, **options)
        elif run.chunks_total:
            # Every chunk is published; finishing is what was lost.
            _finish(run.pk)
        else:
            enqueue(full_run_prepare, run.pk, **options)
        resumed.append(run.pk)
    return resumed


# --- Incremental ---------------------------------------------------------------------


def latest_stats() -> PopulationStats | None:
    return (
        PopulationStats.objects.filter(run__status=RecalcRun.Status.DONE)
        .order_by("-created_at", "-id")
        .first()
    )


def customers_recalculate(*, customer_ids: Iterable[int], as_of: date) -> bool:
    """Recompute some customers against the last full run's population. Without any full
    run yet, queue one (it covers them) and return False."""
    population = latest_stats()
    if population is None:
        with contextlib.suppress(RecalcAlreadyRunning):
            recalc_request(trigger=RecalcRun.Trigger.SCHEDULE, as_of=as_of)
        return False
    stats = population.data
    params = parameters_from_json(stats["parameters"])
    inputs = customer_inputs(as_of=as_of, customer_ids=customer_ids)
    out = engine.score(inputs, stats, params)
    encoded = storage.encode(inputs, out)
    values = storage.run_values(as_of=as_of, population=population)
    try:
        with transaction.atomic():
            _tier_changes_send(storage.upsert(encoded, values))
    except IntegrityError:
        # A customer deleted while its rows were written (the upsert skips those deleted
        # before, and on PostgreSQL locks the others): written again, without it.
        logger.info("A customer was deleted during its recalculation; writing again.")
        with transaction.atomic():
            _tier_changes_send(storage.upsert(encoded, values))
    return True


def _tier_changes_send(changes: list[dict[str, Any]]) -> None:
    """Announce the tier changes of a write in its transaction (signals.tier_changed), so
    the announcement (the API's outbox) commits or rolls back with the write. They were
    read from the stored tiers before the write, so a repeated write finds none."""
    if changes:
        signals.tier_changed.send(sender=None, changes=changes)


# What a bulk write of customers fills or reaches, to analyze after it (core.db.analyze): the
# customers, their history and tags, and the owner copies on their orders, purchase summary
# and scores (orders.services.order_owners_follow, score_copies_follow).
CUSTOMER_WRITE_MODELS = (
    Customer,
    Customer.history.model,
    Customer.tags.through,
    CustomerDay,
    Order,
    CustomerScore,
)


def score_copies_follow(customer_ids: Iterable[int]) -> None:
    """Copy these customers' status and owner onto their score rows
    (``CustomerScore.customer_status`` and ``customer_owner``), in the caller's transaction:
    a bulk write that changed statuses or owners calls it once, as the post_save receiver
    does for one customer."""
    ids = sorted(set(customer_ids))
    customer = Customer.objects.filter(pk=OuterRef("customer_id"))
    status = Subquery(customer.values("status")[:1])
    owner = Subquery(customer.values("owner")[:1])
    for start in range(0, len(ids), MARK_BATCH):
        CustomerScore.objects.filter(customer_id__in=ids[start : start + MARK_BATCH]).update(
            customer_status=status, customer_owner=owner
        )


def customers_mark_dirty(*, customer_ids: Iterable[int | None]) -> None:
    """Record, in the caller's transaction, that these customers (and whoever referred
    them) need recalculating, and ask a worker to do it once the transaction commits."""
    from .tasks import recalculate_dirty

    ids = sorted({int(i) for i in customer_ids if i is not None})
    if not ids:
        return
    now = timezone.now()
    # In slices: an import may mark a hundred thousand customers, more than SQLite takes
    # as query parameters at once.
    for start in range(0, len(ids), MARK_BATCH):
        batch = set(ids[start : start + MARK_BATCH])
        batch.update(
            Customer.objects.filter(pk__in=batch, referred_by__isnull=False).values_list(
                "referred_by_id", flat=True
            )
        )
        DirtyCustomer.objects.filter(customer_id__in=batch).update(
            version=F("version") + 1, marked_at=now
        )
        DirtyCustomer.objects.bulk_create(
            [DirtyCustomer(customer_id=i, marked_at=now) for i in batch], ignore_conflicts=True
        )
    transaction.on_commit(lambda: _dirty_task_send(recalculate_dirty))


# The dirty marks' task is sent at once, and a burst of marks still makes few tasks (issue
# 14: a fixed 2 s countdown made every order wait 2 s for its score). The first mark sends
# it and holds DIRTY_SENT until the task has found no marks left (``dirty_task_done``): the
# marks made meanwhile ride on it, as the task goes on until none is left. A mark made while
# the key is held also sends one follow-up, DIRTY_FOLLOW_UP seconds later, for the marks the
# task may have missed: committed after its last look, or made where the cache is not the
# worker's (no Redis). So a burst makes one task, plus at most one follow-up a second.
DIRTY_SENT = "metrics:dirty-task-sent"
DIRTY_SENT_SECONDS = 10  # a lost or long task stops holding the others back
DIRTY_FOLLOW_UP = "metrics:dirty-task-follow-up"
DIRTY_FOLLOW_UP_SECONDS = 1  # Redis keeps whole seconds


def _dirty_task_send(task: Any) -> None:
    if cache.add(DIRTY_SENT, True, DIRTY_SENT_SECONDS):
        if not enqueue(task):
            cache.delete(DIRTY_SENT)  # the broker is down: the next mark tries again
    elif cache.add(DIRTY_FOLLOW_UP, True, DIRTY_FOLLOW_UP_SECONDS):
        # Runs after every mark made while the key lives: they committed before it expired.
        enqueue(task, countdown=DIRTY_FOLLOW_UP_SECONDS)


def dirty_task_done() -> None:
    """The dirty marks' task found none left (or failed): the next mark sends its own."""
    cache.delete_many([DIRTY_SENT, DIRTY_FOLLOW_UP])


def dirty_recalculate(
    *, as_of: date | None = None, today: date | None = None, batch: int = DIRTY_BATCH
) -> int:
    """Recalculate up to ``batch`` marked customers as of ``as_of``, by default the day
    the settings say (``scoring_as_of``); returns how many were done."""
    marks = list(
        DirtyCustomer.objects.order_by("marked_at").values_list("customer_id", "version")[:batch]
    )
    if not marks:
        return 0
    if as_of is None:
        as_of = scoring_as_of(today=today or timezone.localdate())
    done = customers_recalculate(customer_ids=[m[0] for m in marks], as_of=as_of)
    if not done:
        return 0
    by_version: dict[int, list[int]] = {}
    for customer_id, version in marks:
        by_version.setdefault(version, []).append(customer_id)
    # A mark whose version moved was re-marked meanwhile and stays for the next pass.
    for version, ids in by_version.items():
        DirtyCustomer.objects.filter(customer_id__in=ids, version=version).delete()
    return len(marks)


def validate_as_of(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The as-of date must be YYYY-MM-DD.")) from exc
