"""Benchmark of every page and endpoint of issue 14, beside a plain reference page.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/pages.py [--rounds 20] [--seconds 3] [--clients 8] \\
        [--workers 3] [--only REGEX] [--out var/bench/pages]

Serves the product with gunicorn (``--workers`` sync workers, DEBUG off) under
``bench.settings``: the product's settings and URLs plus a plain Django page rendering 50
rows of the customers table (``bench/plain_urls.py``), served the same way. Then, in one run:

1. every target once (the first and second loads of the dashboard and the cohort page are
   recorded apart: the first may fill the page cache);
2. ``--rounds`` rounds of every target in turn, the plain page first, one client: p50, p95;
3. for each target, the plain page then the target, ``--clients`` clients for ``--seconds``
   each: requests per second, and the ratio to the plain page measured just before.

Users: a sales manager (every customer) and a sales rep who owns every 200th customer
(5,000 of a million), made on the first run, with 50 open tasks each (subject "Benchmark
task"); two draft surveys whose audience pages are previewed (tier A; every customer).
These are the only rows the benchmark adds or changes. Needs the demo data and a finished
full recalculation (bench/recalc.py). Writes ``<out>.md`` and ``<out>.json``.

The same functions run in-process against a small database in ``tests/bench/`` (Django's
test client, one client, a few rounds), so this file cannot rot; no timing is asserted there.
"""

import argparse
import base64
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote_plus, urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.models import AcquiredCount  # noqa: E402
from core import roles  # noqa: E402
from core.db import analyze  # noqa: E402
from customers.models import Activity, Contact, Customer, Tag  # noqa: E402
from metrics.models import CustomerScore  # noqa: E402
from metrics.services import score_copies_follow  # noqa: E402
from orders.models import CustomerDay, Order  # noqa: E402
from orders.services import order_owners_follow  # noqa: E402
from surveys.models import Survey  # noqa: E402

PLAIN = "/bench/plain/"
REP_SHARE = 200
TASKS_EACH = 50
TASK_SUBJECT = "Benchmark task"
SURVEYS = {
    "Benchmark: tier A": {"mode": "filters", "tiers": ["A"]},
    "Benchmark: every customer": {"mode": "filters"},
}
# Customer list pages reached by following "next" links from the first page.
LIST_HOPS = 50
SORTS = ("name", "-created", "-score", "-churn", "-revenue")
SCORE_SORTS = ("-score", "-churn", "-revenue")
# A "jump to" value below every value of a descending score sort: the page it opens is the
# list's blanks (customers without the figure), or its end.
BELOW_EVERY = {"-score": "-1", "-churn": "-1", "-revenue": "-1"}
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    # The API's rate limits would answer 429 to a benchmark, not measure it.
    "API_THROTTLE_USER_RATE": "100000000/min",
    "API_THROTTLE_KEY_RATE": "100000000/min",
}


@dataclass(frozen=True)
class Target:
    group: str
    name: str
    user: str  # "manager", "rep" or "" (no one signed in: the plain page)
    path: str
    first_and_second: bool = False


@dataclass
class Result:
    group: str
    name: str
    user: str
    path: str
    status: int = 0
    first_ms: float | None = None
    second_ms: float | None = None
    samples_ms: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p95_ms: float | None = None
    rps: float | None = None
    plain_rps: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.rps is None or not self.plain_rps:
            return None
        return self.rps / self.plain_rps


# --- The data the benchmark needs --------------------------------------------------------


def bench_users(share: int = REP_SHARE) -> dict:
    """{"manager", "rep", "admin"}: the rep owns every ``share``-th customer; the manager
    and the rep have open tasks; the admin designs surveys (the audience preview)."""
    model = get_user_model()
    users = {}
    for label, role in (
        ("manager", roles.SALES_MANAGER),
        ("rep", roles.SALES_REP),
        ("admin", roles.ADMIN),
    ):
        users[label], _created = model.objects.get_or_create(username=f"bench-{label}")
        users[label].groups.set([Group.objects.get(name=role)])
    if not Customer.objects.filter(owner=users["rep"]).exists():
        Customer.objects.annotate(slot=F("id") % share).filter(slot=0).update(owner=users["rep"])
        # An update sends no signal: the owner copied onto the scores and the orders
        # follows it here.
        owned = list(Customer.objects.filter(owner=users["rep"]).values_list("pk", flat=True))
        score_copies_follow(owned)
        order_owners_follow(owned)
        # The owners' statistics, as every bulk path does, and those of the copies: with
        # the orders' still saying no order has an owner, a rep's search ran for minutes.
        analyze(Customer, Order, CustomerScore, CustomerDay)
    for label in ("manager", "rep"):
        _tasks_for(users[label])
    return users


def _tasks_for(user):
    if Activity.objects.filter(assignee=user, subject=TASK_SUBJECT).exists():
        return
    customers = Customer.objects.order_by("id")
    if not user.has_perm("customers.view_all_customers"):
        customers = customers.filter(owner=user)
    today = timezone.localdate()
    Activity.objects.bulk_create(
        Activity(
            customer=customer,
            kind=Activity.Kind.TASK,
            subject=TASK_SUBJECT,
            assignee=user,
            author=user,
            due_on=today + timedelta(days=n % 30),
        )
        for n, customer in enumerate(customers[:TASKS_EACH])
    )


def bench_surveys(manager) -> dict[str, int]:
    ids = {}
    for name, audience in SURVEYS.items():
        survey, _created = Survey.objects.get_or_create(
            name=name,
            defaults={
                "question": "How likely are you to recommend us?",
                "email_subject": "A quick question",
                "audience": audience,
                "created_by": manager,
            },
        )
        ids[name] = survey.pk
    return ids


def _cursor(ordering: str, values: list) -> str:
    """A keyset cursor of the API (api/pagination.py) after the row with these values."""
    token = json.dumps({"o": ordering, "v": values, "b": 0})
    return base64.urlsafe_b64encode(token.encode()).decode("ascii")


def _deep_pk(queryset, *, descending: bool) -> int:
    """A primary key 99 % of the way down a listing by it: 1 % of the rows come after."""
    pks = queryset.order_by("pk").values_list("pk", flat=True)
    count = queryset.count()
    if count < 2:
        return 0
    return pks[count // 100 if descending else count - count // 100 - 1]


def _deep_churn(user) -> list:
    """The API cursor values (churn risk, customer id) of a score 90 % of the way down
    ``user``'s scores by churn risk, highest first: past the ties at the top."""
    scores = CustomerScore.objects.filter(churn_risk__isnull=False)
    if not user.has_perm("customers.view_all_customers"):
        scores = scores.filter(customer__owner=user)
    ordered = scores.order_by("-churn_risk", "pk").values_list("churn_risk", "pk")
    count = scores.count()
    return list(ordered[count * 9 // 10]) if count else [0.0, 0]


def _following(client: Client, path: str, hops: int) -> str | None:
    """The list page reached by following "next" links ``hops`` times from ``path``,
    whatever the list's pagination is; None if the list has no next page."""
    start = path
    for _hop in range(hops):
        html = client.get(path).content.decode()
        match = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', html) or re.search(
            r'<a[^>]*href="([^"]+)"[^>]*rel="next"', html
        )
        if not match:
            break
        path = urljoin(path, match.group(1).replace("&amp;", "&"))
    return None if path == start else path


class _Plan:
    """The targets a run measures: those ``wanted`` accepts ("group name user")."""

    def __init__(self, wanted: Callable[[str], bool]):
        self.wanted = wanted
        self.targets = [Target("reference", "plain 50-row page", "", PLAIN)]

    def add(
        self,
        group: str,
        name: str,
        user: str,
        path: str | Callable[[], str | None],
        first_and_second: bool = False,
    ) -> None:
        """``path`` may be a function, called only for a wanted target (it may cost)."""
        if not self.wanted(f"{group} {name} {user}"):
            return
        found = path() if callable(path) else path
        if found:
            self.targets.append(Target(group, name, user, found, first_and_second))


def targets(
    users: dict, *, hops: int = LIST_HOPS, wanted: Callable[[str], bool] = lambda _: True
) -> list[Target]:
    """Every figure of issue 14 that ``wanted`` accepts, the plain page first."""
    rep = users["rep"]
    clients = {}
    for label, user in users.items():
        clients[label] = Client()
        clients[label].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    plan = _Plan(wanted)

    def pages_on(group: str, label: str, user: str, first: str) -> None:
        """The list page ``hops`` Next links on from ``first``, found when measured."""
        plan.add(
            group, f"{label}, {hops} pages on", user, lambda: _following(clients[user], first, hops)
        )

    customers = reverse("customers:list")
    segment = CustomerScore.objects.exclude(segment="").values_list("segment", flat=True).first()
    region = Customer.objects.exclude(region="").values_list("region", flat=True).first()
    tag = Tag.objects.values_list("name", flat=True).first()
    for user in ("manager", "rep"):
        lists = {f"sort {sort}": f"sort={sort}" for sort in SORTS}
        lists.update({"filter tier A": "tier=A", "filter status active": "status=active"})
        if segment:
            lists["filter segment"] = f"segment={quote_plus(segment)}"
        if region:
            lists["filter region"] = f"region={quote_plus(region)}"
        if tag:
            lists["filter tag"] = f"tag={quote_plus(tag)}"
        if user == "manager":
            lists["filter owner (the rep)"] = f"owner={rep.pk}"
        for label, query in lists.items():
            first = f"{customers}?{query}"
            plan.add("customer list", f"{label}, first page", user, first)
            pages_on("customer list", label, user, first)
        # Every filter against every score sort (the filter on one table, the sort key on
        # the other), first page; and a "jump to" past the valued rows into the blanks.
        filters = {label: query for label, query in lists.items() if label.startswith("filter")}
        filters["filter churn risk high"] = "churn_risk=high"
        filters["filter status churned"] = "status=churned"
        filters["filter status lead"] = "status=lead"
        for label, query in filters.items():
            for sort in SCORE_SORTS:
                path = f"{customers}?{query}&sort={sort}"
                plan.add("customer list", f"{label} by {sort}, first page", user, path)
                plan.add(
                    "customer list",
                    f"{label} by {sort}, jump into the blanks",
                    user,
                    f"{path}&from={BELOW_EVERY[sort]}",
                )
    sample = Customer.objects.filter(owner=rep).exclude(email="").exclude(phone="").order_by("id")
    own = sample.first()
    order = Order.objects.filter(customer__owner=rep).order_by("id").first()
    queries = {"name": "Linda Lewis", "name, 3 letters": "son"}
    if own:
        queries.update(email=own.email, phone=own.phone, **{"phone, last digits": own.phone[-6:]})
    if order:
        queries["order number"] = order.number
        queries["order number, start"] = order.number[:-2]
        queries["order number, digits"] = order.number[-6:]
    for user in ("manager", "rep"):
        for label, query in queries.items():
            plan.add("global search", label, user, f"{reverse('search')}?q={quote_plus(query)}")
    orders = reverse("orders:list")
    for user in ("manager", "rep"):
        call_next = reverse("metrics:call_next")
        plan.add("lists", "call next", user, call_next)
        pages_on("lists", "call next", user, call_next)
        plan.add("lists", "detractors", user, reverse("metrics:detractors"))
        plan.add("lists", "my tasks", user, reverse("customers:my_tasks"))
        plan.add("lists", "orders list", user, orders)
        pages_on("lists", "orders list", user, orders)
    # The campaign that acquired the most customers: its page, its customers' pages.
    top = AcquiredCount.objects.order_by("-customers", "campaign_id").first()
    for user in ("manager", "rep"):
        plan.add("lists", "campaigns", user, reverse("campaigns:list"))
        if top is not None:
            campaign = reverse("campaigns:detail", args=[top.campaign_id])
            plan.add("lists", "campaign", user, campaign)
            pages_on("lists", "campaign's customers", user, campaign)
    for name, pk in bench_surveys(users["admin"]).items():
        plan.add("lists", f"audience preview ({name})", "admin", _audience(pk))
    for user in ("manager", "rep"):
        scored = CustomerScore.objects.filter(value_score__isnull=False)
        if user == "rep":
            scored = scored.filter(customer__owner=rep)
        customer_id = scored.order_by("customer_id").values_list("customer_id", flat=True).first()
        if customer_id:
            value_tab = reverse("metrics:customer_value", args=[customer_id])
            plan.add("customer", "Value tab", user, value_tab)
        for name, url in (("dashboard", "analytics:dashboard"), ("cohorts", "analytics:cohorts")):
            plan.add("company figures", name, user, reverse(url), first_and_second=True)
    api = {
        "customers": ("-id", lambda: _deep_pk(Customer.objects, descending=True)),
        "contacts": ("-id", lambda: _deep_pk(Contact.objects, descending=True)),
        "orders": ("-id", lambda: _deep_pk(Order.objects, descending=True)),
        "scores": ("customer", lambda: _deep_pk(CustomerScore.objects, descending=False)),
    }
    for user in ("manager", "rep"):
        plan.add(
            "API", "scores by churn risk, first page", user, "/api/v1/scores/?ordering=-churn_risk"
        )
        plan.add(
            "API",
            "scores by churn risk, deep cursor page",
            user,
            lambda user=user: (
                "/api/v1/scores/?ordering=-churn_risk"
                f"&cursor={_cursor('-churn_risk', _deep_churn(users[user]))}"
            ),
        )
        for name in ("customer-costs", "activities"):
            plan.add("API", f"{name}, first page", user, f"/api/v1/{name}/")
        for name, (ordering, deep) in api.items():
            url = f"/api/v1/{name}/"
            plan.add("API", f"{name}, first page", user, url)
            plan.add(
                "API",
                f"{name}, deep cursor page",
                user,
                lambda url=url, ordering=ordering, deep=deep: (
                    f"{url}?ordering={ordering}&cursor={_cursor(ordering, [deep()])}"
                ),
            )
    return plan.targets


def _audience(pk: int) -> str:
    return reverse("surveys:audience", args=[pk])


# --- Running requests --------------------------------------------------------------------


class InProcess:
    """Requests through Django's test client, in this process (the small test)."""

    def __init__(self, users):
        self.clients = {"": Client()}
        for label, user in users.items():
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            self.clients[label] = client

    def get(self, target: Target) -> tuple[int, float]:
        started = time.perf_counter()
        response = self.clients[target.user].get(target.path)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response.status_code, time.perf_counter() - started


class OverHttp:
    """Requests over HTTP to the server, each on a new connection (gunicorn's sync workers
    close every connection), signed in by a session made here."""

    def __init__(self, port: int, users):
        self.port = port
        self.cookies = {"": ""}
        for label, user in users.items():
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            self.cookies[label] = f"sessionid={client.cookies['sessionid'].value}"

    def get(self, target: Target) -> tuple[int, float]:
        started = time.perf_counter()
        connection = HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookies[target.user]} if target.user else {}
        if target.path.startswith("/api/"):
            headers["Accept"] = "application/json"
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, time.perf_counter() - started


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def throughput(runner, target: Target, *, clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` clients get, each sending its next request as
    soon as the last one is answered, for ``seconds``."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(slot):
        while time.perf_counter() < deadline:
            runner.get(target)
            done[slot] += 1

    started = time.perf_counter()
    if clients == 1:
        client(0)
    else:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return sum(done) / (time.perf_counter() - started)


def measure(runner, plan: list[Target], *, rounds: int, clients: int, seconds: float, log=print):
    results = {target: Result(**_fields(target)) for target in plan}
    for target in plan:
        status, elapsed = runner.get(target)
        results[target].status = status
        if target.first_and_second:
            results[target].first_ms = elapsed * 1000
            results[target].second_ms = runner.get(target)[1] * 1000
        if status != 200:
            log(f"  {status}: {target.user} {target.path}")
    for _round in range(rounds):
        for target in plan:
            status, elapsed = runner.get(target)
            results[target].samples_ms.append(elapsed * 1000)
            if status != 200:
                results[target].status = status
    for result in results.values():
        if result.samples_ms:
            result.p50_ms = statistics.median(result.samples_ms)
            result.p95_ms = _percentile(result.samples_ms, 0.95)
    if seconds > 0:
        plain = next(target for target in plan if target.path == PLAIN)
        for target in plan:
            if target.path == PLAIN:
                continue
            plain_rps = throughput(runner, plain, clients=clients, seconds=seconds)
            results[target].plain_rps = plain_rps
            results[target].rps = throughput(runner, target, clients=clients, seconds=seconds)
            log(
                f"  {target.group} · {target.name} ({target.user}): "
                f"{results[target].rps:.1f} req/s, plain {plain_rps:.0f}"
            )
    return list(results.values())


def _fields(target: Target) -> dict:
    return {"group": target.group, "name": target.name, "user": target.user, "path": target.path}


# --- Reporting ---------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def markdown(results: list[Result], meta: dict) -> str:
    lines = [
        f"Run {meta['started']}, {meta['customers']:,} customers, {meta['orders']:,} orders, "
        f"{meta['rounds']} rounds, {meta['clients']} clients × {meta['seconds']} s, "
        f"{meta['server']}, load {meta['load_before']} → {meta['load_after']}.",
        "",
        "| group | page | user | status | p50 ms | p95 ms | first / second ms | req/s "
        f"at {meta['clients']} | plain req/s | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        first = f"{_ms(r.first_ms)} / {_ms(r.second_ms)}" if r.first_ms is not None else ""
        rps = "" if r.rps is None else f"{r.rps:.1f}"
        plain = "" if r.plain_rps is None else f"{r.plain_rps:.0f}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(
            f"| {r.group} | {r.name} | {r.user or '-'} | {r.status} | {_ms(r.p50_ms)} | "
            f"{_ms(r.p95_ms)} | {first} | {rps} | {plain} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def write(results: list[Result], meta: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(r), "ratio": r.ratio} for r in results]
    for row in rows:
        row.pop("samples_ms")
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": rows}, indent=1))
    out.with_suffix(".md").write_text(markdown(results, meta))


def run_meta(**extra) -> dict:
    return {
        "started": timezone.now().isoformat(timespec="seconds"),
        "customers": Customer.objects.count(),
        "orders": Order.objects.count(),
        "load_before": _load(),
        **extra,
    }


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


# --- The server --------------------------------------------------------------------------


def start_server(port: int, workers: int, root: Path = ROOT) -> subprocess.Popen:
    """gunicorn serving the product of the checkout at ``root`` (bench/ab.py serves two)."""
    # Another server on the port (another benchmark's) would answer the health check and
    # every request after it: a run once measured someone else's server without noticing.
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        pass
    else:
        raise SystemExit(f"port {port} is taken: another server runs there (--port)")
    # The sessions made here must be the server's: the same secret key.
    env = {**os.environ, **SERVER_ENV, "SECRET_KEY": settings.SECRET_KEY}
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "crm.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit code {server.returncode})")
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.send_signal(signal.SIGTERM)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", default="", help="a regex over 'group name user'")
    parser.add_argument("--hops", type=int, default=LIST_HOPS)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "pages"))
    args = parser.parse_args()

    setup_test_environment()  # the test client finds the pages to measure (_following)
    users = bench_users()
    pattern = re.compile(args.only)
    plan = targets(users, hops=args.hops, wanted=lambda label: bool(pattern.search(label)))
    print(f"{len(plan)} targets")
    server = start_server(args.port, args.workers)
    try:
        runner = OverHttp(args.port, users)
        meta = run_meta(
            rounds=args.rounds,
            clients=args.clients,
            seconds=args.seconds,
            server=f"gunicorn, {args.workers} sync workers, DEBUG off",
        )
        results = measure(
            runner, plan, rounds=args.rounds, clients=args.clients, seconds=args.seconds
        )
        meta["load_after"] = _load()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    write(results, meta, Path(args.out))
    print(markdown(results, meta))


if __name__ == "__main__":
    main()
