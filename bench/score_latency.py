"""Benchmark: from an order's commit to its customer's new score, through a real worker.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/score_latency.py --orders 200

Places ``--orders`` orders through ``orders.services.order_create`` (what the pages and the
API call), ``--burst`` at a time for as many different customers, ``--gap`` seconds apart,
and times each from its commit until the customer's score row shows a newer ``computed_at``
(polled every 5 ms). The dirty mark's task runs in a Celery worker this script starts
(``--concurrency`` prefork processes, as bin/run starts it) on a queue of its own, so a
developer's running worker takes none of it; ``--no-worker`` uses workers already listening
on ``--queue``. Prints p50/p95/max and how many recalculation tasks ran, as Markdown.

Needs Redis (broker and cache shared with the worker) and a database with customers: the
demo data is seeded when it has fewer than ``--customers``, and a full run is made first
when there is none. Run on demand; nothing here is a test, and timings are never asserted.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.services import SYSTEM  # noqa: E402
from crm.celery import app  # noqa: E402
from customers.models import Customer  # noqa: E402
from metrics import services as metrics_services  # noqa: E402
from metrics.models import CustomerScore  # noqa: E402
from orders import services as order_services  # noqa: E402
from orders.models import Product  # noqa: E402

BASE = Path(__file__).resolve().parent.parent
POLL = 0.005
TIMEOUT = 30.0


def start_worker(queue, concurrency, log_path):
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue]
    command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
    command += ["--loglevel", "INFO"]
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "false"}
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=BASE, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while "ready." not in Path(log_path).read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("The Celery worker did not start:\n" + Path(log_path).read_text())
        time.sleep(0.1)
    return proc, log


def place(customer, product, stamps):
    """One order, committed; its commit time goes into ``stamps``."""
    with transaction.atomic():
        # Registered first, so it runs before the order's own callbacks send the task.
        transaction.on_commit(lambda: stamps.append((time.monotonic(), timezone.now())))
        order_services.order_create(
            user=SYSTEM, customer=customer, ordered_on=timezone.localdate(), lines=[(product, 1)]
        )


def wait_for_scores(pending):
    """Seconds from each commit to the new score; ``pending`` maps a customer id to its
    order's commit (monotonic time, wall time). All are polled together, every POLL s."""
    latencies = []
    deadline = time.monotonic() + TIMEOUT
    while pending:
        if time.monotonic() > deadline:
            sys.exit(f"No new score for customers {sorted(pending)} within {TIMEOUT:.0f} s")
        time.sleep(POLL)
        rows = CustomerScore.objects.filter(customer_id__in=pending)
        computed = dict(rows.values_list("customer_id", "computed_at"))
        seen = time.monotonic()
        for customer_id, at in computed.items():
            started, wall = pending[customer_id]
            if at > wall:
                latencies.append(seen - started)
                del pending[customer_id]
    return latencies


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1, help="orders placed back to back")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between bursts")
    parser.add_argument("--customers", type=int, default=2_000, help="seed up to this many")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--queue", default=f"bench-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL: the worker and this script must share Redis.")

    call_command("migrate", verbosity=0)
    if Customer.objects.count() < args.customers:
        call_command("seed_demo", customers=args.customers, no_users=True, verbosity=0)
    if metrics_services.latest_stats() is None:
        print("no finished full run: running one first")
        metrics_services.full_run_sync(as_of=timezone.localdate())
    product = Product.objects.filter(active=True).first()
    scored = list(CustomerScore.objects.values_list("customer_id", flat=True)[:50_000])
    customers = Customer.objects.in_bulk(random.Random(14).sample(scored, min(2_000, len(scored))))
    pool = list(customers.values())

    app.conf.task_default_queue = args.queue
    app.conf.task_always_eager = False
    worker = None
    log_path = Path(tempfile.mkdtemp()) / "worker.log"
    if not args.no_worker:
        worker = start_worker(args.queue, args.concurrency, log_path)
    latencies = []
    try:
        time.sleep(1)  # let every worker process come up
        placed = 0
        while placed < args.orders:
            batch = random.sample(pool, min(args.burst, args.orders - placed))
            stamps = []
            for customer in batch:
                place(customer, product, stamps)
            latencies += wait_for_scores(
                {customer.pk: stamp for customer, stamp in zip(batch, stamps, strict=True)}
            )
            placed += len(batch)
            time.sleep(args.gap)
    finally:
        if worker is not None:
            proc, log = worker
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    tasks = None
    if worker is not None:
        tasks = len(re.findall(r"recalculate_dirty\[[^\]]+\] succeeded", log_path.read_text()))

    ms = [s * 1000 for s in latencies]
    print(
        f"\n{Customer.objects.count():,} customers; {len(ms)} orders, {args.burst} at a time, "
        f"{args.gap} s apart; worker concurrency {args.concurrency}\n"
    )
    print("| order to new score | p50 | p95 | max | recalculation tasks |")
    print("|---|---|---|---|---|")
    print(
        f"| ms | {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} | {max(ms):.0f} "
        f"| {tasks if tasks is not None else 'n/a'} |"
    )


if __name__ == "__main__":
    main()
