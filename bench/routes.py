"""Every route once, at scale (issue 14): each URL pattern of the site, the admin and the
API, its arguments filled with real ids (the rep's first customer and order, the first
campaign, survey, product, rate), requested in process as the bench's manager, rep and
admin; prints the requests slower than ``--slow`` milliseconds and any 5xx.

The page benchmark (``bench/pages.py``) measures the pages named in the issue; this finds
the ones nobody named: at a million customers the campaign list took 7 s, the API's
customer costs and activities sorted their whole tables for each page and the health page
counted every score, before this crawl looked. One request each, in one process: a first
look, not a measurement (``bench/pages.py`` and ``bench/ab.py`` measure).

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/routes.py --slow 150

GETs only, and not those that end the session, stream a whole table (the exports) or need
a signed link (the public survey pages).
"""

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# The API's throttles out of the way (read when Django starts): every route is asked once
# per user, many in a row.
os.environ.setdefault("API_THROTTLE_USER_RATE", "100000000/min")
os.environ.setdefault("API_THROTTLE_KEY_RATE", "100000000/min")

# Run as a script or imported (the tests): the benchmarks as a package either way.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import URLPattern, URLResolver, get_resolver

from bench.pages import bench_users  # sets Django up
from campaigns.models import Campaign
from customers.models import Customer
from orders.models import ExchangeRate, Order, Product
from surveys.models import Survey

# Patterns not requested: they log the client out, stream every row, send mail, need a
# signed token, or are the admin's catch-alls and regular-expression routes.
SKIP = re.compile(
    r"logout|export|\.csv$|^s/|setlang|password_reset|reset/|jsi18n|autocomplete|"
    r"view_on_site|\(\?P<url>|\^\(|^bench/"
)
# A pattern's first argument, by what the path is about.
_ARGUMENT = re.compile(r"<[^>]+>|\(\?P<(\w+)>[^)]*\)")


@dataclass(frozen=True)
class Answer:
    user: str
    path: str
    status: int
    ms: float


def patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every URL pattern below ``resolver`` (the site's), as written."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _ids(rep) -> dict[str, int]:
    """Real ids to fill the patterns with: the rep's own, so every role may see them."""
    customer = Customer.objects.filter(owner=rep).order_by("id").first()
    order = Order.objects.filter(customer=customer).order_by("id").first()
    found = {
        "customer": customer,
        "order": order,
        "campaign": Campaign.objects.order_by("id").first(),
        "survey": Survey.objects.order_by("id").first(),
        "product": Product.objects.order_by("id").first(),
        "rate": ExchangeRate.objects.order_by("id").first(),
    }
    return {name: row.pk if row is not None else 1 for name, row in found.items()}


def routes(rep) -> list[str]:
    """The paths to request: each pattern not skipped, its arguments filled."""
    ids = _ids(rep)
    about = [
        ("customer", ids["customer"]),
        ("order", ids["order"]),
        ("campaign", ids["campaign"]),
        ("survey", ids["survey"]),
        ("product", ids["product"]),
        ("rate", ids["rate"]),
    ]

    def fill(pattern: str) -> Callable[[re.Match[str]], str]:
        def value(match: re.Match[str]) -> str:
            if "customer" in match.group(0):
                return str(ids["customer"])
            return next((str(pk) for name, pk in about if name in pattern), "1")

        return value

    paths = []
    for pattern in patterns():
        if SKIP.search(pattern):
            continue
        plain = pattern.replace("^", "").replace("$", "")
        path = "/" + _ARGUMENT.sub(fill(plain), plain)
        if "<" not in path and "(" not in path:
            paths.append(path)
    return paths


def crawl(users: dict, paths: list[str], *, log: Callable[[Answer], None]) -> list[Answer]:
    """Each path once as each user (a client signed in as them); every answer."""
    answers = []
    for label, user in users.items():
        client = Client()
        client.force_login(user)
        for path in paths:
            started = time.perf_counter()
            status = client.get(path).status_code
            answer = Answer(label, path, status, (time.perf_counter() - started) * 1000)
            answers.append(answer)
            log(answer)
    return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=float, default=150, help="ms; print what takes longer")
    args = parser.parse_args()
    setup_test_environment()  # the test client's host allowed
    users = bench_users()
    paths = routes(users["rep"])

    def log(answer: Answer) -> None:
        if answer.ms > args.slow or answer.status >= 500:
            print(f"{answer.user:8} {answer.status} {answer.ms:8.0f} ms  {answer.path}", flush=True)

    answers = crawl(users, paths, log=log)
    failed = [a for a in answers if a.status >= 500]
    print(f"{len(paths)} paths as {len(users)} users: {len(failed)} answered 5xx")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
