"""Benchmark of the customer and order lists at scale: keyset pages at any depth.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench \\
        .venv/bin/python bench/lists.py [--repeat 15]

Times, through Django's test client, as the sales manager and the sales rep of
bench/pages.py: the customer list's first page for every sort both ways, a deep page (a
"jump to" into the middle of the sort, then two pages on and one back by cursor, and the
page where the unscored customers begin), every filter, and the order list by each sort.
Each URL is loaded once to warm up, then ``--repeat`` times; prints p50 and p95 in
milliseconds as a Markdown table. Needs the demo data and a finished full recalculation
(bench/recalc.py). Run on demand; nothing here is a test.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.pages import bench_users  # noqa: E402
from customers.models import Customer  # noqa: E402

SORTS = ("name", "-name", "-created", "created", "-score", "score", "-churn", "churn")
SORTS += ("-revenue", "revenue")
CURSOR = re.compile(r'href="([^"]*cursor=[^"]*)"[^>]*rel="(next|prev)"')


def _links(html):
    """{"next": url, "prev": url} of a list page's pager."""
    return {rel: url.replace("&amp;", "&") for url, rel in CURSOR.findall(html)}


def _time(client, url, repeat):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    seconds = []
    for _attempt in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return statistics.median(ms), p95, response.content.decode()


def _deep(client, base, repeat):
    """The jump's page, then two pages on and one back by the pager's cursors."""
    rows = []
    p50, p95, html = _time(client, base, repeat)
    rows.append(("jump", p50, p95))
    for step in ("next", "next", "prev"):
        url = _links(html).get(step)
        if not url:
            break
        p50, p95, html = _time(client, f"/customers/{url}" if url.startswith("?") else url, repeat)
        rows.append((step, p50, p95))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    users = bench_users()
    rep = users["rep"]
    owned = Customer.objects.filter(owner=rep).count()
    region = Customer.objects.exclude(region="").values_list("region", flat=True).first()
    cases = [
        *((f"customers, sort {sort}", f"/customers/?sort={sort}") for sort in SORTS),
        *(
            (f"customers, filter {f}", f"/customers/?{f}")
            for f in (
                "tier=A",
                "tier=A&sort=-score",
                "segment=lost&sort=-revenue",
                "status=churned&sort=-created",
                f"region={region}",
                "tag=VIP",
                "tag=VIP&sort=-churn",
                "churn_risk=high&sort=-score",
                "q=Lewis",
            )
        ),
    ]
    deep = [
        ("name from M", "/customers/?sort=name&from=M"),
        ("name descending from M", "/customers/?sort=-name&from=M"),
        ("created from 2024-06-01", "/customers/?sort=-created&from=2024-06-01"),
        ("score from 50", "/customers/?sort=-score&from=50"),
        ("score ascending from 50", "/customers/?sort=score&from=50"),
        ("churn from 50 %", "/customers/?sort=-churn&from=50"),
        ("revenue from 1000", "/customers/?sort=-revenue&from=1000"),
        ("score from 0.5: the unscored begin", "/customers/?sort=-score&from=0.5"),
        ("tier A, score from 60", "/customers/?tier=A&sort=-score&from=60"),
        ("tag VIP, name from T", "/customers/?tag=VIP&sort=name&from=T"),
    ]
    orders = [
        (f"orders, sort {sort}", f"/orders/?sort={sort}")
        for sort in ("-date", "date", "-number", "number", "-total", "total")
    ]
    print("| user | page | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for label, user in (("manager", users["manager"]), (f"rep ({owned:,})", rep)):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        for name, url in cases:
            p50, p95, html = _time(client, url, args.repeat)
            print(f"| {label} | {name}, first page | {p50:.0f} | {p95:.0f} |", flush=True)
            nxt = _links(html).get("next")
            if nxt:
                p50, p95, _html = _time(client, f"/customers/{nxt}", args.repeat)
                print(f"| {label} | {name}, next page | {p50:.0f} | {p95:.0f} |", flush=True)
        for name, url in deep:
            for step, p50, p95 in _deep(client, url, args.repeat):
                print(f"| {label} | {name}: {step} | {p50:.0f} | {p95:.0f} |", flush=True)
        for name, url in orders:
            p50, p95, html = _time(client, url, args.repeat)
            print(f"| {label} | {name}, first page | {p50:.0f} | {p95:.0f} |", flush=True)
            nxt = _links(html).get("next")
            if nxt:
                p50, p95, _html = _time(client, f"/orders/{nxt}", args.repeat)
                print(f"| {label} | {name}, next page | {p50:.0f} | {p95:.0f} |", flush=True)


if __name__ == "__main__":
    main()
