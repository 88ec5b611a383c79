"""Recovery times after crashes and outages, on a production-like stack.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/faults.py

Needs the demo data (``manage.py seed_demo``) and PostgreSQL + Redis; uses Redis for
nothing else meanwhile (it empties the database number of REDIS_URL first). Starts its own
Celery worker(s) (prefork, two processes, as on a 2-core machine) and celery beat, with the
default lease and sweep (WORK_LEASE_SECONDS, RECOVERY_SWEEP_SECONDS), and measures:

1. an order saved through the order page (Django's test client, in this process) with the
   broker reachable, refused (nothing listens), cut off (connections time out) and frozen
   (it accepts connections and never answers);
2. a worker killed (``kill -9`` of the whole worker) in the middle of a full run's chunk and
   started again at once, as a supervisor does; and started again only after a minute;
3. the same during a survey's sending;
4. a worker stopped (SIGSTOP: frozen, not dead) in the middle of a chunk while a second
   worker runs.

Seconds from the fault (or from the restarted worker being ready) until the run is done
or the survey's sending resumed. ``bench/faults.py writes`` or ``workers`` runs one part.
Prints a Markdown table for docs/architecture.md. Nothing here is a test.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
# Each scenario surveys the same customers again (this process's and its workers' setting).
os.environ["SURVEY_RESURVEY_DAYS"] = "0"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.celery import app  # noqa: E402
from customers.models import Customer, Tag  # noqa: E402
from metrics import services  # noqa: E402
from metrics.models import RecalcRun  # noqa: E402
from orders.models import Product  # noqa: E402
from surveys.models import Invitation, Survey  # noqa: E402

ROOT = Path(settings.BASE_DIR)
WORK = Path(tempfile.mkdtemp(prefix="bench-faults-"))
ROWS = []


def row(scenario, seconds, note=""):
    ROWS.append((scenario, seconds, note))
    print(f"{scenario}: {seconds} {note}", flush=True)


class Worker:
    count = 0

    def __init__(self, *, freeze=None, concurrency=2):
        Worker.count += 1
        self.log = WORK / f"worker-{Worker.count}.log"
        self.marker = WORK / f"frozen-{Worker.count}"
        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
        command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "--loglevel", "INFO"]
        command += ["--pool", "prefork", "--concurrency", str(concurrency)]
        command += ["-n", f"bench{Worker.count}@%h", "--without-gossip", "--without-mingle"]
        if freeze:
            # tests/crm/faults_worker.py freezes the worker there and writes the marker.
            command += ["--include", "tests.crm.faults_worker"]
            env.update(FAULT_AT=freeze, FAULT_MARKER=str(self.marker), FAULT_CHUNK_SIZE="5000")
            if freeze.startswith("email"):
                env["EMAIL_BACKEND"] = "tests.crm.faults_worker.FreezingEmailBackend"
                env["EMAIL_FILE_PATH"] = str(WORK / "mail")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(  # noqa: S603 (our own command line)
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait(lambda: "ready." in self.log.read_text(), "the worker starts", 60)
        self.ready_at = time.monotonic()

    def signal(self, signum):
        os.killpg(self.proc.pid, signum)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGKILL)
            self.proc.wait()


def wait(condition, what, timeout=600, every=0.1):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout} s")
        time.sleep(every)


@contextmanager
def beat():
    schedule = WORK / "beat-schedule"
    with open(WORK / "beat.log", "w") as log:
        proc = subprocess.Popen(  # noqa: S603 (our own command line)
            [sys.executable, "-m", "celery", "-A", "crm", "beat", "-s", str(schedule)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait()


def run_done(run):
    return lambda: RecalcRun.objects.get(pk=run.pk).status == RecalcRun.Status.DONE


def full_run():
    RecalcRun.objects.filter(status__in=["queued", "running"]).update(status="failed")
    return services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=timezone.localdate())


# --- 1. Writes with the broker down ----------------------------------------------------


@contextmanager
def broker_at(url):
    saved = app.conf.broker_url
    app.conf.broker_url = url
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        app.conf.broker_url = saved
        app._pool, app.amqp._producer_pool = None, None


def order_writes(label, count=5):
    user = get_user_model().objects.get(username="manager")
    customer = Customer.objects.order_by("pk").first()
    product = Product.objects.order_by("pk").first()
    client = Client()
    client.force_login(user)
    data = {
        "customer": str(customer.pk),
        "number": "",
        "ordered_on": timezone.localdate().isoformat(),
        "currency": settings.CRM_BASE_CURRENCY,
        "status": "paid",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": str(product.pk),
        "lines-0-quantity": "1",
        "lines-0-unit_price": "",
        "lines-0-discount": "0",
    }
    times = []
    for _ in range(count):
        started = time.monotonic()
        response = client.post("/orders/new/", data)
        times.append(time.monotonic() - started)
        assert response.status_code == 302, response.status_code
    row(
        f"order saved through the page, broker {label}",
        f"{statistics.median(times):.2f} (max {max(times):.2f})",
        f"median of {count}",
    )


def writes():
    setup_test_environment()
    order_writes("reachable")
    with broker_at("redis://127.0.0.1:1/0"):
        order_writes("refused (nothing listens)")
    # A listener whose backlog is full: new connections time out, as to a host cut off.
    with socket.socket() as full, socket.socket() as filler:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        filler.connect(full.getsockname())
        with broker_at(f"redis://127.0.0.1:{full.getsockname()[1]}/0"):
            order_writes("cut off (connections time out)")
    # A listener that accepts and never answers: a frozen Redis.
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(100)
        with broker_at(f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"):
            order_writes("frozen (accepts, never answers)", count=2)


# --- 2-4. Workers killed or frozen -------------------------------------------------------


def killed_mid_chunk(*, restart_after):
    worker = Worker(freeze="chunk:2")
    run = full_run()
    wait(worker.marker.exists, "the worker freezes in a chunk")
    killed = time.monotonic()
    worker.kill()
    time.sleep(restart_after)
    again = Worker()
    wait(run_done(run), "the run finishes")
    done = time.monotonic()
    note = f"run of {RecalcRun.objects.get(pk=run.pk).chunks_total} chunks"
    label = "at once" if not restart_after else f"after {restart_after} s"
    row(
        f"full run, worker killed mid-chunk, restarted {label}: from the kill",
        f"{done - killed:.1f}",
        note,
    )
    row(
        f"full run, worker killed mid-chunk, restarted {label}: from the restart",
        f"{done - again.ready_at:.1f}",
        note,
    )
    again.stop()


def killed_mid_send(*, restart_after):
    tag = Tag.objects.annotate(n=Count("customers")).order_by("-n").first()
    survey = Survey.objects.create(
        name=f"Bench {time.time()}",
        kind=Survey.Kind.NPS,
        question="How likely are you to recommend us?",
        email_subject="A question",
        status=Survey.Status.SCHEDULED,
        scheduled_for=timezone.now(),
        sent_by=get_user_model().objects.get(username="admin"),
        audience={"mode": "filters", "status": "active", "tag": tag.pk},
    )
    worker = Worker(freeze="email:150")
    from surveys.tasks import start_survey

    start_survey.delay(survey.pk)
    wait(worker.marker.exists, "the worker freezes in a batch")
    killed = time.monotonic()
    worker.kill()
    time.sleep(restart_after)
    again = Worker()
    restarted = timezone.now()
    invitations = Invitation.objects.filter(survey=survey)
    # Resumed: an invitation claimed by the new worker.
    wait(lambda: invitations.filter(claimed_at__gt=restarted).exists(), "the sending resumes")
    resumed = time.monotonic()
    sent = invitations.filter(state="sent").count()
    note = f"{invitations.count()} invitations, {sent} sent by then"
    label = "at once" if not restart_after else f"after {restart_after} s"
    row(
        f"survey send, worker killed mid-send, restarted {label}: from the kill",
        f"{resumed - killed:.1f}",
        note,
    )
    row(
        f"survey send, worker killed mid-send, restarted {label}: from the restart",
        f"{resumed - again.ready_at:.1f}",
        note,
    )
    again.stop()
    # Not to be resumed by the next scenario's workers.
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    invitations.filter(state="pending").update(state="skipped")


def frozen_mid_chunk():
    other = Worker(concurrency=1)
    frozen = Worker(freeze="chunk:1", concurrency=1)
    run = full_run()
    wait(frozen.marker.exists, "a worker freezes in a chunk")
    stopped = time.monotonic()
    frozen.signal(signal.SIGSTOP)
    wait(run_done(run), "the run finishes")
    row(
        "full run, a worker frozen (SIGSTOP) mid-chunk, another running: from the freeze",
        f"{time.monotonic() - stopped:.1f}",
    )
    frozen.stop()
    other.stop()


def main():
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    print(
        f"logs in {WORK}; lease {settings.WORK_LEASE_SECONDS} s, "
        f"sweep {settings.RECOVERY_SWEEP_SECONDS} s",
        flush=True,
    )
    parts = sys.argv[1:] or ["writes", "workers"]
    if "writes" in parts:
        writes()
    if "workers" in parts:
        with beat():
            killed_mid_chunk(restart_after=0)
            killed_mid_chunk(restart_after=60)
            killed_mid_send(restart_after=0)
            killed_mid_send(restart_after=60)
            frozen_mid_chunk()
    print("\n| scenario | seconds | |\n|---|---|---|")
    for scenario, seconds, note in ROWS:
        print(f"| {scenario} | {seconds} | {note} |")


if __name__ == "__main__":
    main()
