"""Tasks sent after a write: a broker that cannot be reached is logged, never raised, so the
request that made the write answers at once (core/queue.py)."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from core.queue import enqueue, enqueue_on_commit
from metrics.tasks import recalculate_dirty
from tests.outages import broker_unreachable


def test_a_task_sent_with_the_broker_down_is_logged_and_the_caller_goes_on(caplog):
    with broker_unreachable():
        assert enqueue(recalculate_dirty, countdown=2) is False
    assert "Could not queue metrics.tasks.recalculate_dirty()" in caplog.text
    assert "Connection refused" in caplog.text


def test_tasks_are_sent_after_the_commit_without_waiting_for_a_result(
    db, django_capture_on_commit_callbacks
):
    task = mock.Mock()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit(task, 7, countdown=2)
        task.apply_async.assert_not_called()
    assert len(callbacks) == 1
    task.apply_async.assert_called_once_with((7,), ignore_result=True, countdown=2)


def test_only_broker_errors_are_swallowed():
    refused = mock.Mock(**{"apply_async.side_effect": OperationalError("refused")})
    assert enqueue(refused, 1) is False
    broken = mock.Mock(**{"apply_async.side_effect": TypeError("a bug")})
    with pytest.raises(TypeError):
        enqueue(broken, 1)
