"""Personas shared by every test: a rep who owns customers (``owner``), a second rep
(``teammate``) and someone with no role (``outsider``), a ``manager`` and an ``admin``."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from api.keys import api_key_create
from tests.factories import persona

# Property tests run the same examples on every run, and never fail for time: a busy CI
# machine made hypothesis's 200 ms deadline per example a failure at random.
hypothesis_settings.register_profile("crm", deadline=None, derandomize=True)
hypothesis_settings.load_profile("crm")


@pytest.fixture(autouse=True, scope="session")
def celery_eager():
    """Unit tests run tasks in-process; the tests marked "worker" start a real worker.
    (Settings are loaded before this file, so the Celery app is told directly.)"""
    from crm.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True, scope="session")
def local_cache():
    """A per-process cache: with REDIS_URL set the app caches in Redis, and tests that
    clear the cache must not clear the broker or another test process's counters. The
    dashboard keeps no figures unless a test asks (``ANALYTICS_CACHE_AFTER = 0``): by the
    default, figures that took a quarter of a second are kept, which on a busy machine
    would hide a later change from a test at random."""
    from django.conf import settings
    from django.test.utils import override_settings

    override = override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "process": settings.PROCESS_CACHE,
        },
        ANALYTICS_CACHE_AFTER=3600,
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True)
def empty_cache(local_cache):
    """Each test starts with an empty cache: cached page figures or rate-limit counters of
    an earlier test (whose rows may have had the same ids) must not leak into it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts and ends in the default language: a request with Accept-Language,
    a language cookie or a user's saved language activates another for the whole thread,
    and Django never switches back, so it would leak into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Every persona's password is hashed; the real hasher is slow on purpose."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return persona("owner")


@pytest.fixture
def teammate(db):
    return persona("teammate")


@pytest.fixture
def outsider(db):
    return persona("outsider")


@pytest.fixture
def manager(db):
    return persona("manager")


@pytest.fixture
def admin_user(db):
    return persona("admin_user")


@pytest.fixture
def client_for(client):
    """``client_for(user)`` logs the test client in as ``user`` (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for(db):
    """``api_for(user)``: an APIClient sending that user's new API key (None: anonymous)."""

    def make(user):
        client = APIClient()
        if user is not None:
            _key, raw = api_key_create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's Playwright, closing the database connections opened while it ran.

    While Playwright's sync API is started, this thread's code runs in the context of its
    event loop, and Django keeps connections per context (asgiref's Local): from the first
    browser test on, the process's tests use a second connection. pytest-django closes only
    the one the test database was created with, so a ``db`` test run after a browser test
    (xdist hands tests out in any order) left the second open, idle after its ROLLBACK, and
    PostgreSQL refused to drop the test database: "… is being accessed by other users".
    Closed here, in Playwright's context, before Playwright stops."""
    from django.db import connections

    yield playwright
    connections.close_all()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, stopped before the test database is destroyed, with
    every database connection of its request threads closed.

    Each request thread closes its connection when its client's connection ends (Django's
    ``ThreadedWSGIServer.close_request``), a moment after a browser test closes its page.
    Started before the database (by a process's first browser test), the server outlived
    it, and a request thread slow to close its connection (a loaded machine) would make
    PostgreSQL refuse the DROP: "database test_… is being accessed by other users".
    Depending on ``django_db_setup`` makes it end first; the server does not wait for its
    (daemon) request threads, so this does, for as long as one may take to finish."""
    import threading

    yield live_server
    live_server.stop()  # pytest-django stops it again afterwards: a no-op by then
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=30)


def _database_url_for_test_db():
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """A real Celery worker process on the configured broker (Redis in CI, the filesystem
    transport otherwise), reading the test database, on queues of its own so parallel
    test processes and a developer's running worker never mix: ``queue`` for the tasks
    sent to the default queue, and ``queue``-webhooks, -imports, -surveys for those routed
    to the others (CELERY_TASK_ROUTES), all consumed. ``start`` it (again after
    ``kill``, which is ``kill -9``: no shutdown, no acknowledgement); emails go to
    ``mail_dir``; ``env`` adds environment variables (the worker reads its settings there)."""

    def __init__(self, folder):
        import uuid

        from django.conf import settings

        self.queue = f"test-{uuid.uuid4().hex[:10]}"
        self.prefix = f"{self.queue}-"
        bare = {
            name: route["queue"].removeprefix(settings.CELERY_QUEUE_PREFIX)
            for name, route in settings.CELERY_TASK_ROUTES.items()
        }
        self.routes = {name: {"queue": self.prefix + queue} for name, queue in bare.items()}
        self.queues = [self.queue, *sorted({route["queue"] for route in self.routes.values()})]
        self.folder = folder
        self.mail_dir = folder / "mail"
        self.proc = None
        self.starts = 0

    def start(self, *, env=None, include=None):
        import subprocess
        import sys
        import time

        from django.conf import settings

        self.starts += 1
        self.log_path = self.folder / f"worker-{self.starts}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url_for_test_db(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "CELERY_QUEUE_PREFIX": self.prefix,
            **(env or {}),
        }
        queues = ",".join(self.queues)
        command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queues]
        command += ["--pool", "solo", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "--loglevel", "INFO"]
        if include:
            command += ["--include", include]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while "ready." not in self.log_path.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Celery worker did not start:\n" + self.log_path.read_text())
            time.sleep(0.1)

    def kill(self):
        import signal

        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self):
        import subprocess

        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        return "".join(path.read_text() for path in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def worker_process(transactional_db, tmp_path):
    """A ``WorkerProcess`` not yet started; tasks sent meanwhile go to its queue."""
    from crm.celery import app

    worker = WorkerProcess(tmp_path)
    previous = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.task_routes)
    app.conf.task_always_eager, app.conf.task_default_queue = False, worker.queue
    _use_routes(app, worker.routes)
    try:
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous[:2]
        _use_routes(app, previous[2])
        worker.stop()


def _use_routes(app, routes):
    """Route tasks by ``routes`` from now on (Celery keeps its router once built)."""
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


@pytest.fixture
def live_worker(worker_process):
    """A real Celery worker process (``WorkerProcess``), started. Yields the folder where
    the worker's emails are written."""
    worker_process.start()
    return worker_process.mail_dir
