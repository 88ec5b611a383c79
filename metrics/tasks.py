"""Thin Celery wrappers around metrics.services: ids and ISO dates in, idempotent."""

from uuid import uuid4

from celery import chord, current_app, group, shared_task, states
from django.db import OperationalError
from django.utils import timezone

from core.heartbeat import heartbeat
from core.queue import enqueue

from . import retention, services
from .models import RecalcRun

TRANSIENT = (OperationalError, ConnectionError)


def _as_of(value):
    """The given ISO date, else the day the "score as of" setting says (today if live)."""
    if value is None:
        return services.scoring_as_of(today=timezone.localdate())
    return services.validate_as_of(value)


def _queue(task):
    """The queue ``task`` came from: the work it sends goes there too, so workers
    dedicated to metrics (or a test's own worker) do it, not whoever listens on the
    default queue."""
    return (task.request.delivery_info or {}).get("routing_key")


def _alive(run_id):
    """Renew the run's lease while this task works on it (core/heartbeat.py)."""
    return heartbeat(
        lambda: RecalcRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    )


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_prepare(self, run_id):
    if services.scale_out():
        return _scatter(self, run_id)
    try:
        with _alive(run_id):
            indices = services.full_run_prepare(run_id=int(run_id))
    except TRANSIENT:
        raise
    except Exception as exc:
        services.full_run_fail(run_id=int(run_id), error=exc)
        raise
    queue = _queue(self)
    for index in indices:
        # One lost here is sent again by the sweep once the run's lease runs out.
        enqueue(full_run_publish_chunk, run_id, index, queue=queue)
    return len(indices)


def _failing(run_id):
    """Fail the run on an error a retry would not cure (then raise it)."""

    class _Failing:
        def __enter__(self):
            return self

        def __exit__(self, kind, error, _traceback):
            if error is not None and not isinstance(error, TRANSIENT):
                services.full_run_fail(run_id=int(run_id), error=error)

    return _Failing()


# A full run spread over the workers (services, "Full runs split over workers"): each step
# sends the next on the queue it came from, a chord over the id ranges for each map. Each
# task of a map stores its statistics in the result backend under a key of its own, and
# the reduce reads them one by one: as the chord's results they would be the reduce's
# arguments, passing whole through the worker's main process (0.9 GB at a million).


def _mapped(task, arguments, callback, callback_arguments, queue):
    """``task`` over each of ``arguments`` (a map), each given a key to store its result
    under, then ``callback`` given the keys."""
    keys = [f"metrics-part-{uuid4()}" for _arguments in arguments]
    header = group(
        task.si(*args, key).set(queue=queue) for args, key in zip(arguments, keys, strict=True)
    )
    chord(header)(callback.si(*callback_arguments, keys).set(queue=queue))


def _store(key, part):
    if part is not None:
        current_app.backend.store_result(key, part, states.SUCCESS)
    return part is not None


def _results(keys):
    """The map's results, read from the result backend one at a time as the reduce asks
    for them (each dropped from it once the next is read)."""
    for key in keys:
        result = current_app.AsyncResult(key)
        yield result.result if result.state == states.SUCCESS else None
        result.forget()


def _kept(key):
    """A result kept for several rounds (a range's score components)."""
    result = current_app.AsyncResult(key)
    return result.result if result.state == states.SUCCESS else None


def _forget(keys):
    for key in keys:
        current_app.AsyncResult(key).forget()


def _scatter(task, run_id):
    with _alive(run_id), _failing(run_id):
        plan = services.full_run_scatter(run_id=int(run_id))
    if plan is None:
        return 0
    if not plan["ranges"]:
        # No customer: nothing to spread; the reduces, given nothing, finish the run.
        with _alive(run_id), _failing(run_id):
            stats, plan = services.full_run_fit(run_id=int(run_id), plan=plan, parts=[])
            services.full_run_gather(run_id=int(run_id), plan=plan, stats=stats)
        return 0
    arguments = [
        (run_id, plan["attempt"], plan["parameters"], first, last)
        for first, last, _size in plan["ranges"]
    ]
    _mapped(full_run_chunk_statistics, arguments, full_run_fit, (run_id, plan), _queue(task))
    return len(plan["ranges"])


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_chunk_statistics(run_id, attempt, parameters, first_id, last_id, key):
    with _alive(run_id), _failing(run_id):
        part = services.full_run_chunk_statistics(
            run_id=int(run_id),
            attempt=int(attempt),
            parameters=parameters,
            first_id=int(first_id),
            last_id=int(last_id),
        )
    return _store(key, part)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_fit(self, run_id, plan, keys):
    with _alive(run_id), _failing(run_id):
        fitted = services.full_run_fit(run_id=int(run_id), plan=plan, parts=_results(keys))
    if fitted is None:
        return None
    stats, plan = fitted
    # Each range's components stay in the result backend under these keys for the
    # selection's rounds (a few MB a range), dropped once the stats are stored.
    kept = [f"metrics-components-{uuid4()}" for _range in plan["ranges"]]
    arguments = [
        (run_id, plan["attempt"], plan["parameters"], stats, first, last, components)
        for (first, last, _size), components in zip(plan["ranges"], kept, strict=True)
    ]
    _mapped(
        full_run_chunk_components,
        arguments,
        full_run_select,
        (run_id, plan, stats, *services.full_run_selection_start(), kept),
        _queue(self),
    )
    return stats["buyers"]


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_chunk_components(
    run_id, attempt, parameters, stats, first_id, last_id, components_key, key
):
    with _alive(run_id), _failing(run_id):
        done = services.full_run_chunk_components(
            run_id=int(run_id),
            attempt=int(attempt),
            parameters=parameters,
            stats=stats,
            first_id=int(first_id),
            last_id=int(last_id),
        )
    if done is None:
        return False
    components, answer = done
    _store(components_key, components)
    return _store(key, answer)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_select(self, run_id, plan, stats, phase, state, kept, keys):
    """A round of the selection of the references and tier cut-offs (services): merge the
    ranges' answers, then ask the next round, or store the stats and publish."""
    with _alive(run_id), _failing(run_id):
        step = services.full_run_select(
            run_id=int(run_id),
            plan=plan,
            stats=stats,
            phase=phase,
            state=state,
            parts=_results(keys),
        )
    if step is None:
        _forget(kept)
        return None
    phase, state, asked = step
    queue = _queue(self)
    if phase is None:
        # Both selections done: ``stats`` now holds the references and tier cut-offs.
        with _alive(run_id), _failing(run_id):
            indices = services.full_run_gather(run_id=int(run_id), plan=plan, stats=stats)
        _forget(kept)
        for index in indices:
            # One lost here is sent again by the sweep once the run's lease runs out.
            enqueue(full_run_publish_chunk, run_id, index, queue=queue)
        return len(indices)
    arguments = [
        (run_id, plan["attempt"], plan["parameters"], stats, phase, asked, components)
        for components in kept
    ]
    _mapped(
        full_run_chunk_select,
        arguments,
        full_run_select,
        (run_id, plan, stats, phase, state, kept),
        queue,
    )
    return phase


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_chunk_select(run_id, attempt, parameters, stats, phase, asked, components_key, key):
    with _alive(run_id), _failing(run_id):
        answer = services.full_run_chunk_select(
            run_id=int(run_id),
            attempt=int(attempt),
            parameters=parameters,
            stats=stats,
            phase=phase,
            asked=asked,
            components=_kept(components_key),
        )
    return _store(key, answer)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_publish_chunk(run_id, index):
    with _alive(run_id):
        return services.full_run_publish_chunk(run_id=int(run_id), index=int(index))


@shared_task
def nightly_full_run(as_of=None):
    try:
        run = services.recalc_request(trigger=RecalcRun.Trigger.SCHEDULE, as_of=_as_of(as_of))
    except services.RecalcAlreadyRunning:
        return None
    return run.pk


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def recalculate_dirty(as_of=None):
    """Work through the dirty marks; also the periodic sweep for marks whose task was lost."""
    total = 0
    try:
        day = _as_of(as_of)
        while done := services.dirty_recalculate(as_of=day):
            total += done
    finally:
        services.dirty_task_done()
    return total


@shared_task(bind=True)
def resume_stalled_runs(self):
    """Periodic (celery beat, every RECOVERY_SWEEP_SECONDS) and when a worker starts."""
    return services.stalled_runs_resume(queue=_queue(self))


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def thin_score_history(today=None):
    """Nightly (celery beat): keep the history daily, then weekly, then monthly
    (metrics.retention). Thinning twice changes nothing, so a retry is safe."""
    day = timezone.localdate() if today is None else services.validate_as_of(today)
    done = retention.thin_history(today=day)
    return {"rows_removed": done.rows_removed, "partitions_dropped": done.partitions_dropped}
