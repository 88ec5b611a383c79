"""Work in a second database connection, for tests of row locks between transactions."""

import threading

from django.db import connections


def in_thread(work, errors):
    """Start ``work`` in a thread with its own connection; an exception it raises goes to
    ``errors`` (the test asserts there was none)."""

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 (the test asserts there was none)
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
