"""Leases on a full run's work (metrics/services.py): a worker that dies or freezes loses
the run after WORK_LEASE_SECONDS, the recovery sweep sends its work again, and a copy of a
step that finds the work held or taken does nothing."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from metrics import services, storage
from metrics.models import PopulationStats, RecalcChunk, RecalcRun, StagedScore
from tests.metrics.population import AS_OF, population

pytestmark = pytest.mark.django_db


def held(**fields):
    """A run some worker is working on, its heartbeat that old."""
    age = fields.pop("age", dt.timedelta(0))
    return RecalcRun.objects.create(
        as_of=AS_OF,
        status=RecalcRun.Status.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now() - age,
        **fields,
    )


def test_a_copy_of_the_prepare_step_does_nothing_while_the_lease_holds():
    population(5)
    run = held()
    assert services.full_run_prepare(run_id=run.pk) == []
    run.refresh_from_db()
    assert run.attempts == 1
    assert not RecalcChunk.objects.filter(run=run).exists()


def test_the_prepare_step_takes_over_a_run_whose_lease_ran_out():
    population(5)
    run = held(age=2 * services.lease())
    assert services.full_run_prepare(run_id=run.pk) == [0]
    run.refresh_from_db()
    assert (run.attempts, run.chunks_total) == (2, 1)


def test_a_prepare_step_taken_over_meanwhile_keeps_nothing(monkeypatch):
    population(5)
    run = RecalcRun.objects.create(as_of=AS_OF)
    stage = storage.stage

    def thought_dead_meanwhile(run_id, encoded):
        stage(run_id, encoded)
        # Another worker claimed the run: this one's lease had run out.
        RecalcRun.objects.filter(pk=run_id).update(attempts=5)

    monkeypatch.setattr(storage, "stage", thought_dead_meanwhile)
    assert services.full_run_prepare(run_id=run.pk) == []
    assert not RecalcChunk.objects.filter(run=run).exists()
    assert not StagedScore.objects.filter(run=run).exists()
    assert not PopulationStats.objects.filter(run=run).exists()


def test_the_sweep_leaves_runs_with_a_live_lease_alone():
    held(age=services.lease() / 2)
    with mock.patch.object(services, "enqueue") as enqueue:
        assert services.stalled_runs_resume() == []
    enqueue.assert_not_called()


def test_the_sweep_sends_a_stalled_runs_missing_chunks_to_its_queue():
    run = held(age=2 * services.lease(), chunks_total=3)
    for index, done in enumerate([True, False, False]):
        RecalcChunk.objects.create(
            run=run, index=index, first_id=index, last_id=index, size=1, done=done
        )

    with mock.patch.object(services, "enqueue") as enqueue:
        assert services.stalled_runs_resume(queue="metrics") == [run.pk]

    sent = [(call.args[0].name, call.args[1:], call.kwargs) for call in enqueue.call_args_list]
    options = {"queue": "metrics", "expires": services.RESENT_EXPIRE}
    assert sent == [
        ("metrics.tasks.full_run_publish_chunk", (run.pk, 1), options),
        ("metrics.tasks.full_run_publish_chunk", (run.pk, 2), options),
    ]


def test_the_sweep_sends_the_prepare_step_of_a_run_whose_message_was_lost():
    run = RecalcRun.objects.create(as_of=AS_OF, created_at=timezone.now() - 2 * services.lease())
    with mock.patch.object(services, "enqueue") as enqueue:
        assert services.stalled_runs_resume() == [run.pk]
    (call,) = enqueue.call_args_list
    assert (call.args[0].name, call.args[1:]) == ("metrics.tasks.full_run_prepare", (run.pk,))
