"""Benchmark of the value engine: a full recalculation and incremental updates.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench \
        .venv/bin/python bench/recalc.py --customers 1000000

Seeds the demo data generator's population when the database has fewer customers than
asked, then times one full run (with the seconds of each step the run records) and
incremental recalculations of 1 and of 1,000 customers. Prints a Markdown table for
docs/benchmarks.md. Run on demand; nothing here is a test.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date
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
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if Customer.objects.count() < args.customers:
        started = time.monotonic()
        call_command("seed_demo", customers=args.customers, as_of=AS_OF)
        print(f"seeded in {time.monotonic() - started:.1f} s")
    customers = Customer.objects.count()
    orders = Order.objects.count()
    RecalcRun.objects.filter(status__in=["queued", "running"]).update(status="failed")

    started = time.monotonic()
    run = services.full_run_sync(as_of=AS_OF)
    full = time.monotonic() - started
    steps = dict(run.timings)
    steps["publish"] = round(full - sum(steps.values()), 3)

    ids = list(Customer.objects.order_by("?").values_list("id", flat=True)[: args.repeat + 1000])
    singles = []
    for customer_id in ids[: args.repeat]:
        t = time.monotonic()
        services.customers_recalculate(customer_ids=[customer_id], as_of=AS_OF)
        singles.append(time.monotonic() - t)
    t = time.monotonic()
    services.customers_recalculate(customer_ids=ids[args.repeat :], as_of=AS_OF)
    thousand = time.monotonic() - t

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{connection.vendor}, {customers:,} customers, {orders:,} orders, as of {AS_OF}\n")
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
