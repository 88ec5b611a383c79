"""Personas shared by every test: a rep who owns customers (``owner``), a second rep
(``teammate``) and someone with no role (``outsider``), a ``manager`` and an ``admin``."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from tests.factories import persona


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
    clear the cache must not clear the broker or another test process's counters."""
    from django.test.utils import override_settings

    override = override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
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


def _database_url_for_test_db():
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def live_worker(transactional_db, tmp_path):
    """A real Celery worker process on the configured broker (Redis in CI, the filesystem
    transport otherwise), reading the test database. Tasks sent while it runs go to a queue
    of its own, so parallel test processes and a developer's running worker never mix.
    Yields the folder where the worker's emails are written."""
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings

    from crm.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        deadline = time.monotonic() + 30
        while "ready." not in (tmp_path / "worker.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "Celery worker did not start:\n" + (tmp_path / "worker.log").read_text()
                )
            time.sleep(0.1)
        yield mail_dir
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
