"""Benchmark: from an order or a survey answer to its customer's new score, through a real worker.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/score_latency.py --orders 200 [--via api] [--answers 50]

Places ``--orders`` orders, ``--burst`` at a time for as many different customers, ``--gap``
seconds apart, and times each until the customer's score row shows a newer ``computed_at``
(polled every 5 ms). ``--via service`` calls ``orders.services.order_create`` (what the pages
and the API call) and times from the commit; ``--via api`` POSTs each order to
``/api/v1/orders/`` (an API key of a bench manager) on a gunicorn server this script starts
(``bench.settings``, one sync worker per order of a burst) and times from the moment the
request is sent, so the request itself is counted. ``--answers`` then posts that many survey
answers (a promoter's 9) to the public survey page on the same server, each for an invitation
made here in an open survey "Benchmark: score latency", timed from the POST.

The dirty mark's task runs in a Celery worker this script starts (``--concurrency`` prefork
processes, as bin/run starts it) on a queue of its own, which the server sends to as well
(``BENCH_TASK_QUEUE``), so a developer's running worker takes none of it; ``--no-worker``
uses workers already listening on ``--queue``. Prints p50/p95/max, the requests' own time and
how many recalculation tasks ran, as Markdown.

Needs Redis (broker and cache shared with the worker and the server) and a database with
customers: the demo data is seeded when it has fewer than ``--customers``, and a full run is
made first when there is none. Run on demand; nothing here is a test, and timings are never
asserted.
"""

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from api.keys import api_key_create  # noqa: E402
from bench.pages import start_server  # noqa: E402
from core import roles  # noqa: E402
from core.services import SYSTEM  # noqa: E402
from crm.celery import app  # noqa: E402
from customers.models import Customer  # noqa: E402
from metrics import services as metrics_services  # noqa: E402
from metrics.models import CustomerScore  # noqa: E402
from orders import services as order_services  # noqa: E402
from orders.models import Product  # noqa: E402
from surveys import tokens  # noqa: E402
from surveys.models import Invitation, Survey  # noqa: E402

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


def place(customer, product):
    """One order, committed; returns its commit time (monotonic, wall)."""
    stamps = []
    with transaction.atomic():
        # Registered first, so it runs before the order's own callbacks send the task.
        transaction.on_commit(lambda: stamps.append((time.monotonic(), timezone.now())))
        order_services.order_create(
            user=SYSTEM, customer=customer, ordered_on=timezone.localdate(), lines=[(product, 1)]
        )
    return stamps[0]


class Api:
    """Orders POSTed to the API and answers to the public survey page of the server on
    ``port``; each call returns (monotonic time, wall time) from before the request and
    appends the request's own seconds to ``self.requests``. Safe to call from threads."""

    def __init__(self, port, key):
        self.port = port
        self.key = key
        self.requests = []

    def _timed(self, send):
        stamp = (time.monotonic(), timezone.now())
        started = time.perf_counter()
        status = send()
        self.requests.append(time.perf_counter() - started)
        return stamp, status

    def place(self, customer, product):
        body = json.dumps(
            {
                "customer": customer.pk,
                "ordered_on": timezone.localdate().isoformat(),
                "lines": [{"product": product.pk, "quantity": 1}],
            }
        )
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}

        def send():
            connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request("POST", "/api/v1/orders/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            return response.status

        stamp, status = self._timed(send)
        if status != 201:
            sys.exit(f"The API answered {status} to an order for customer {customer.pk}")
        return stamp

    def answer(self, invitation):
        """The respondent's press of the button: the page first (its CSRF cookie and
        token, not timed), then the POST of a 9."""
        url = f"http://127.0.0.1:{self.port}" + reverse(
            "surveys_public:respond", args=[tokens.sign(invitation.token)]
        )
        session = requests.Session()
        page = session.get(url, params={"score": 9}, timeout=60)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or not csrf:
            sys.exit(f"The survey page answered {page.status_code} for {url}")
        data = {"csrfmiddlewaretoken": csrf.group(1), "score": "9"}
        # Sent back by hand: with DEBUG off the cookie is marked Secure, and this is http.
        cookies = {"csrftoken": page.cookies["csrftoken"]}

        def send():
            response = session.post(
                url, data=data, cookies=cookies, allow_redirects=False, timeout=60
            )
            return response.status_code

        stamp, status = self._timed(send)
        if status != 302:
            sys.exit(f"The survey page answered {status} to an answer at {url}")
        return stamp


def bench_api_key():
    """An API key of a sales manager ("bench-manager", as bench/pages.py makes it)."""
    user, _created = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.set([Group.objects.get(name=roles.SALES_MANAGER)])
    _api_key, raw = api_key_create(user=user, name=f"score latency {uuid.uuid4().hex[:6]}")
    return raw


def bench_invitations(customers, count):
    """``count`` invitations, sent now, in the open survey "Benchmark: score latency", to
    customers of ``customers`` not yet asked in it."""
    survey, _created = Survey.objects.get_or_create(
        name="Benchmark: score latency",
        defaults={
            "question": "How likely are you to recommend us?",
            "email_subject": "A quick question",
            "audience": {"mode": "filters"},
            "status": Survey.Status.OPEN,
        },
    )
    asked = set(survey.invitations.values_list("customer_id", flat=True))
    fresh = [c for c in customers if c.pk not in asked][:count]
    now = timezone.now()
    return Invitation.objects.bulk_create(
        Invitation(
            survey=survey,
            customer=customer,
            email=customer.email or f"customer{customer.pk}@example.com",
            token=tokens.new_token(),
            state=Invitation.State.SENT,
            sent_at=now,
        )
        for customer in fresh
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


def run(items, act, *, burst, gap, together=False):
    """Latencies in seconds: ``items`` taken ``burst`` at a time (each for another customer,
    ``customer_of`` an item), ``act(item)`` for each (at once from as many threads when
    ``together``, else one after the other), then every one waited for."""
    latencies = []
    for start in range(0, len(items), burst):
        batch = items[start : start + burst]
        if together and len(batch) > 1:
            with ThreadPoolExecutor(len(batch)) as threads:
                stamps = list(threads.map(act, batch))
        else:
            stamps = [act(item) for item in batch]
        latencies += wait_for_scores(
            {customer_of(item): stamp for item, stamp in zip(batch, stamps, strict=True)}
        )
        time.sleep(gap)
    return latencies


def customer_of(item):
    return item.customer_id if isinstance(item, Invitation) else item.pk


def table_row(label, seconds, requests_s=None):
    ms = [s * 1000 for s in seconds]
    request = "n/a"
    if requests_s:
        request_ms = [s * 1000 for s in requests_s]
        request = f"{percentile(request_ms, 0.5):.0f} / {percentile(request_ms, 0.95):.0f}"
    return (
        f"| {label} | {len(ms)} | {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} "
        f"| {max(ms):.0f} | {request} |"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--answers", type=int, default=0, help="survey answers, after the orders")
    parser.add_argument("--via", choices=["service", "api"], default="service")
    parser.add_argument("--burst", type=int, default=1, help="orders placed back to back")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between bursts")
    parser.add_argument("--customers", type=int, default=2_000, help="seed up to this many")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--queue", default=f"bench-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL: the worker and this script must share Redis.")

    call_command("migrate", verbosity=0)
    reverse("surveys_public:respond", args=["x"])  # the URLs load now, not mid-run
    if Customer.objects.count() < args.customers:
        call_command("seed_demo", customers=args.customers, no_users=True, verbosity=0)
    if metrics_services.latest_stats() is None:
        print("no finished full run: running one first")
        metrics_services.full_run_sync(as_of=timezone.localdate())
    product = Product.objects.filter(active=True).first()
    scored = list(CustomerScore.objects.values_list("customer_id", flat=True)[:50_000])
    # A random sample, so each run (and the answers) mostly meets customers not seen before.
    chooser = random.Random(secrets.randbits(32))
    customers = Customer.objects.in_bulk(chooser.sample(scored, min(4_000, len(scored))))
    pool = list(customers.values())
    chooser.shuffle(pool)

    app.conf.task_default_queue = args.queue
    app.conf.task_always_eager = False
    worker = server = api = None
    log_path = Path(tempfile.mkdtemp()) / "worker.log"
    if not args.no_worker:
        worker = start_worker(args.queue, args.concurrency, log_path)
    if args.via == "api" or args.answers:
        os.environ.update(BENCH_TASK_QUEUE=args.queue, SURVEY_RATE_LIMIT="1000000")
        server = start_server(args.port, max(args.burst, 1))
        api = Api(args.port, bench_api_key())
    load_before = Path("/proc/loadavg").read_text().split()[0]
    rows = []
    try:
        time.sleep(1)  # let every worker process come up
        placer = api.place if args.via == "api" else place
        # One order first, not counted: the server's and the worker's first request and task
        # import and connect.
        run([pool.pop()], lambda customer: placer(customer, product), burst=1, gap=0)
        if api is not None:
            api.requests = []
        # Over HTTP a burst's requests go at once, as from as many clients; through the
        # service they are placed one after the other, a few milliseconds apart.
        order_latencies = run(
            pool[: args.orders],
            lambda customer: placer(customer, product),
            burst=args.burst,
            gap=args.gap,
            together=args.via == "api",
        )
        order_requests = list(api.requests) if api and args.via == "api" else None
        answer_latencies, answer_requests = [], None
        if args.answers:
            invitations = bench_invitations(pool[args.orders :], args.answers)
            api.requests = []
            answer_latencies = run(
                invitations, api.answer, burst=args.burst, gap=args.gap, together=True
            )
            answer_requests = list(api.requests)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if worker is not None:
            proc, log = worker
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    tasks = None
    if worker is not None:
        tasks = len(re.findall(r"recalculate_dirty\[[^\]]+\] succeeded", log_path.read_text()))
    load_after = Path("/proc/loadavg").read_text().split()[0]

    how = "POSTed to the API" if args.via == "api" else "through orders.services.order_create"
    print(
        f"\n{Customer.objects.count():,} customers; orders {how}, {args.burst} at a time, "
        f"{args.gap} s apart; worker concurrency {args.concurrency}; "
        f"load {load_before} → {load_after}\n"
    )
    print("| to new score | n | p50 ms | p95 ms | max ms | the request p50 / p95 ms |")
    print("|---|---|---|---|---|---|")
    rows.append(table_row("order", order_latencies, order_requests))
    if answer_latencies:
        rows.append(table_row("survey answer", answer_latencies, answer_requests))
    print("\n".join(rows))
    marks = len(order_latencies) + len(answer_latencies)
    print(f"\n{tasks if tasks is not None else 'n/a'} recalculation tasks for {marks} changes.")


if __name__ == "__main__":
    main()
