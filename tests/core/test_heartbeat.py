"""Heartbeats that keep a lease on work alive while a block runs (core/heartbeat.py)."""

import threading
import time

from django.db import DatabaseError

from core.heartbeat import heartbeat


def test_the_heartbeat_beats_while_the_block_runs_and_stops_with_it():
    beats = threading.Semaphore(0)
    count = []

    def beat():
        count.append(1)
        beats.release()

    with heartbeat(beat, every=0.01):
        for _ in range(3):
            assert beats.acquire(timeout=10)
    after = len(count)
    time.sleep(0.1)  # ten beats' time
    assert len(count) == after


def test_a_failing_beat_is_logged_and_the_next_one_is_tried(caplog):
    beats = threading.Semaphore(0)
    outcomes = iter([DatabaseError("database is locked"), None])

    def beat():
        outcome = next(outcomes, None)
        beats.release()
        if outcome:
            raise outcome

    with heartbeat(beat, every=0.01):
        assert beats.acquire(timeout=10)
        assert beats.acquire(timeout=10)
    assert "Heartbeat failed: database is locked" in caplog.text
