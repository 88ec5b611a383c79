"""Outages a test can bring about in its own process."""

from contextlib import contextmanager
from unittest import mock

# settings.CACHES with Redis unreachable (nothing listens on port 1).
CACHE_UNREACHABLE = {
    "default": {
        "BACKEND": "core.cache.SoftRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
    },
    "process": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}


@contextmanager
def broker_unreachable():
    """This process's broker at a closed local port, as when Redis is down or cut off (a
    worker process keeps its own connection), and tasks sent rather than run eagerly."""
    from crm.celery import app

    names = ("broker_url", "broker_transport", "broker_transport_options", "task_always_eager")
    saved = {name: app.conf[name] for name in names}
    # On Redis the transport options (the time-outs) stay; the filesystem's do not apply.
    options = saved["broker_transport_options"] if not saved["broker_transport"] else {}
    app.conf.update(
        broker_url="redis://127.0.0.1:1/0",
        broker_transport=None,
        broker_transport_options=options,
        task_always_eager=False,
    )
    try:
        # Connections to the real broker are pooled: new pools, for the new address.
        connections = mock.patch.object(app, "_pool", None)
        producers = mock.patch.object(app.amqp, "_producer_pool", None)
        with connections, producers:
            yield
    finally:
        app.conf.update(saved)
