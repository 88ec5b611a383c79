"""Benchmark of the value engine: a full recalculation and incremental updates.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench \
        .venv/bin/python bench/recalc.py --customers 1000000

Seeds the demo data generator's population when the database has fewer customers than
asked, then times one full run (with the seconds of each step the run records) and
incremental recalculations of 1 and of 1,000 customers. Prints a Markdown table for
docs/benchmarks.md. Run on demand; nothing here is a test.

The full run is what the nightly run does: dated the day after the last finished run (or
the data's date), prepared in this process, then its chunks published by ``--workers``
threads, each on its own database connection and running the very function a Celery worker
runs for a chunk (``full_run_publish_chunk``): two threads stand for the two worker
processes a 2-core machine gets by default. ``--workers 1`` publishes one chunk after
the other.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from customers.models import Customer  # noqa: E402
from metrics import services  # noqa: E402
from metrics.models import CustomerScore, RecalcRun  # noqa: E402
from orders.models import Order  # noqa: E402

AS_OF = date(2026, 11, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="incremental samples")
    parser.add_argument("--workers", type=int, default=2, help="chunk publishers")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if Customer.objects.count() < args.customers:
        started = time.monotonic()
        call_command("seed_demo", customers=args.customers, as_of=AS_OF)
        print(f"seeded in {time.monotonic() - started:.1f} s")
    customers = Customer.objects.count()
    orders = Order.objects.count()
    RecalcRun.objects.filter(status__in=["queued", "running"]).update(status="failed")

    last = RecalcRun.objects.filter(status="done").order_by("-as_of").first()
    as_of = last.as_of + timedelta(days=1) if last else AS_OF
    run = RecalcRun.objects.create(trigger=RecalcRun.Trigger.USER, as_of=as_of)

    def publish(index):
        try:
            services.full_run_publish_chunk(run_id=run.pk, index=index)
        finally:
            connection.close()

    started = time.monotonic()
    chunks = services.full_run_prepare(run_id=run.pk)
    prepared = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(publish, chunks))
    full = time.monotonic() - started
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE, run.error
    steps = dict(run.timings)
    steps["publish"] = round(time.monotonic() - prepared, 3)

    ids = list(Customer.objects.order_by("?").values_list("id", flat=True)[: args.repeat + 1000])
    singles = []
    for customer_id in ids[: args.repeat]:
        t = time.monotonic()
        services.customers_recalculate(customer_ids=[customer_id], as_of=as_of)
        singles.append(time.monotonic() - t)
    t = time.monotonic()
    services.customers_recalculate(customer_ids=ids[args.repeat :], as_of=as_of)
    thousand = time.monotonic() - t

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{connection.vendor}, {customers:,} customers, {orders:,} orders, as of {as_of}, "
        f"{len(chunks)} chunks published by {args.workers} worker(s)\n"
    )
    print("| measure | seconds |")
    print("|---|---|")
    print(f"| full recalculation, end to end | {full:.1f} |")
    for step, seconds in steps.items():
        print(f"| · {step} | {seconds:.1f} |")
    print(
        f"| incremental, 1 customer (median of {len(singles)}) | {statistics.median(singles):.3f} |"
    )
    print(f"| incremental, 1,000 customers | {thousand:.2f} |")
    print(f"\nscores: {CustomerScore.objects.count():,}; peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
