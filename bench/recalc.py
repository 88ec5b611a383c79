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

``--scale-out`` runs the whole run on a real Celery worker instead (``--workers`` pool
processes, started here on a queue of its own, over Redis: REDIS_URL), with the
preparation spread over them too (METRICS_SCALE_OUT): this process only sends the run and
waits. It reports the peak memory (VmHWM) of every worker process.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402

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
    parser.add_argument(
        "--scale-out", action="store_true", help="the whole run on a worker of --workers processes"
    )
    parser.add_argument("--skip-incremental", action="store_true")
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

    memory = {}
    if args.scale_out:
        full, steps, memory = _scaled_out(run, args.workers)
        chunks = list(range(run.chunks_total))
    else:
        full, steps, chunks = _one_process(run, args.workers)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = "scaled out over a worker of" if args.scale_out else "published by"
    print(
        f"\n{connection.vendor}, {customers:,} customers, {orders:,} orders, as of {as_of}, "
        f"{len(chunks)} chunks {mode} {args.workers} process(es)\n"
    )
    print("| measure | seconds |")
    print("|---|---|")
    print(f"| full recalculation, end to end | {full:.1f} |")
    print(f"| per 1,000 customers | {1000 * full / customers:.3f} |")
    for step, seconds in steps.items():
        print(f"| · {step} | {seconds:.1f} |")
    if not args.skip_incremental:
        singles, thousand = _incremental(as_of, args.repeat)
        print(
            f"| incremental, 1 customer (median of {len(singles)}) | "
            f"{statistics.median(singles):.3f} |"
        )
        print(f"| incremental, 1,000 customers | {thousand:.2f} |")
    print(f"\nscores: {CustomerScore.objects.count():,}; peak memory here {peak_mb:,.0f} MB")
    for name, mb in memory.items():
        print(f"peak memory of the worker's {name}: {mb:,.0f} MB")


def _incremental(as_of, repeat):
    ids = list(Customer.objects.order_by("?").values_list("id", flat=True)[: repeat + 1000])
    singles = []
    for customer_id in ids[:repeat]:
        t = time.monotonic()
        services.customers_recalculate(customer_ids=[customer_id], as_of=as_of)
        singles.append(time.monotonic() - t)
    t = time.monotonic()
    services.customers_recalculate(customer_ids=ids[repeat:], as_of=as_of)
    return singles, time.monotonic() - t


def _one_process(run, workers):
    def publish(index):
        try:
            services.full_run_publish_chunk(run_id=run.pk, index=index)
        finally:
            connection.close()

    started = time.monotonic()
    chunks = services.full_run_prepare(run_id=run.pk)
    prepared = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(publish, chunks))
    full = time.monotonic() - started
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE, run.error
    steps = dict(run.timings)
    steps["publish"] = round(time.monotonic() - prepared, 3)
    return full, steps, chunks


def _scaled_out(run, workers):
    """The run on a real worker of ``workers`` pool processes, the preparation spread over
    them: sent, waited for, and each worker process's peak memory read before it stops."""
    from metrics import tasks

    if not os.environ.get("REDIS_URL"):
        sys.exit("--scale-out needs REDIS_URL (the chords' result backend).")
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    log = Path(tempfile.gettempdir()) / f"bench-worker-{queue}.log"
    command = [sys.executable, "-m", "celery", "-A", "crm", "worker", "-Q", queue]
    command += ["-c", str(workers), "--pool", "prefork", "--without-gossip"]
    command += ["--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    env = {**os.environ, "METRICS_SCALE_OUT": "true", "CELERY_TASK_ALWAYS_EAGER": "false"}
    with open(log, "w") as out:
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        time.sleep(8)  # the worker's start (Django, numpy, scipy), not timed
        started = time.monotonic()
        tasks.full_run_prepare.apply_async((run.pk,), queue=queue)
        swept = started
        while True:
            run.refresh_from_db()
            if run.status not in (RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING):
                break
            if time.monotonic() - swept > 15:
                # What beat does in production: work whose lease ran out is sent again (say,
                # a swap that gave up waiting for locks held by other jobs on this database).
                try:
                    services.stalled_runs_resume(queue=queue)
                except OperationalError as exc:  # a lock timeout or deadlock: next sweep
                    print(f"sweep: {exc}".splitlines()[0])
                swept = time.monotonic()
            time.sleep(0.2)
        full = time.monotonic() - started
        assert run.status == RecalcRun.Status.DONE, run.error
        memory = _peak_memory(worker.pid)
    finally:
        worker.terminate()
        # A warm shutdown lets the last chunk's task end: after a big load it goes on for
        # minutes once the run is done, flagging the customers it scored.
        worker.wait(timeout=900)
    steps = {name: run.timings[name] for name in ("inputs", "population")}
    steps["publish (read, score, stage, publish each chunk; swap)"] = round(
        full - sum(steps.values()), 3
    )
    return full, steps, memory


def _peak_memory(pid):
    """VmHWM (peak resident memory) of the worker's main process and each pool process."""

    def peak(process):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    memory = {"main process": peak(pid)}
    for number, child in enumerate(children, 1):
        memory[f"pool process {number}"] = peak(child)
    return memory


if __name__ == "__main__":
    main()
