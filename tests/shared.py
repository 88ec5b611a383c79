"""Rows built once and read by many tests, as Django's ``TestCase.setUpTestData`` does.

A module- or class-scoped fixture builds its rows with ``shared_rows`` inside a transaction
that stays open while the tests of that module or class run. Each test's ``db`` fixture runs
in a savepoint inside it, so what a test changes is undone before the next test; the rows
themselves are rolled back after the last one. Only for tests on the ``db`` fixture: a
``transactional_db`` test would flush them. Return ids or plain values rather than model
instances a test could change in memory."""

from django.db import transaction


def shared_rows(django_db_blocker, build):
    """Fixture body: ``yield from shared_rows(django_db_blocker, build)`` yields what
    ``build()`` returns."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # Inside it, a durable block behaves as it does inside a test's own transaction.
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
