"""Benchmark: 1,000 orders in one bulk request against the single-order path, same run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bulk REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/bulk_orders.py --orders 1000 --singles 100

Through the real API in this process (DRF's test client, an API key, every middleware):
``--singles`` orders posted one by one to ``POST /api/v1/orders/`` (the per-order time
scaled to ``--orders``), then ``--orders`` orders in one ``POST /api/v1/orders/bulk/
?async=false``, then the same as a job (``?async=true``), its task run here as a worker
runs it (``api.bulk.job_run``), timed from the request to the job's success. The orders are
random: customers of the database, 1-3 active products each, in the base currency.
Prints a Markdown table with seconds and SQL queries. Needs a database with customers and
products (``manage.py seed_demo``); adds the orders it times. Nothing here is a test.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from api import bulk  # noqa: E402
from api.keys import api_key_create  # noqa: E402
from customers.models import Customer  # noqa: E402
from orders.models import Order, Product  # noqa: E402


def client_for(user):
    _key, raw = api_key_create(user=user, name="bench/bulk_orders.py")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def random_orders(count, rng):
    customer_ids = list(Customer.objects.order_by("?").values_list("pk", flat=True)[:5000])
    product_ids = list(Product.objects.filter(active=True).values_list("pk", flat=True))
    return [
        {
            "customer": rng.choice(customer_ids),
            "ordered_on": f"2026-10-{rng.randint(1, 28):02d}",
            "status": rng.choice(["placed", "paid"]),
            "lines": [
                {"product": product, "quantity": rng.randint(1, 5)}
                for product in rng.sample(product_ids, rng.randint(1, 3))
            ],
        }
        for _ in range(count)
    ]


def timed(call):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - started
    return response, elapsed, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # The API's own rate limits would throttle the single creates.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "100000/min", "user": "100000/min", "anon": "100000/min"},
    }
    rng = random.Random(args.seed)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    client = client_for(admin)
    customers, orders_before = Customer.objects.count(), Order.objects.count()

    # Warm-up: first-time reads (permissions, content types) are not what is measured.
    client.post("/api/v1/orders/", random_orders(1, rng)[0], format="json")

    singles = random_orders(args.singles, rng)
    single_queries, started = 0, time.perf_counter()
    for order in singles:
        response, _elapsed, queries = timed(
            lambda order=order: client.post("/api/v1/orders/", order, format="json")
        )
        assert response.status_code == 201, response.content[:300]
        single_queries += queries
    single_seconds = time.perf_counter() - started

    body = {"orders": random_orders(args.orders, rng)}
    response, bulk_seconds, bulk_queries = timed(
        lambda: client.post("/api/v1/orders/bulk/?async=false", body, format="json")
    )
    assert response.status_code == 201, response.content[:300]

    body = {"orders": random_orders(args.orders, rng)}
    with mock.patch("api.bulk.enqueue_on_commit"):  # the task is run here, not by a worker
        started = time.perf_counter()
        accepted = client.post("/api/v1/orders/bulk/?async=true", body, format="json")
        accepted_seconds = time.perf_counter() - started
    assert accepted.status_code == 202, accepted.content[:300]
    _status, job_seconds, job_queries = timed(lambda: bulk.job_run(job_id=accepted.json()["id"]))
    job = client.get(accepted.json()["url"]).json()
    assert job["status"] == "succeeded", job["errors"][:3]

    per_order = single_seconds / args.singles
    n = f"{args.orders:,}"
    print(
        f"{connection.vendor}, {customers:,} customers, {orders_before:,} orders before the run\n"
    )
    print("| path | seconds | SQL queries |")
    print("|---|---|---|")
    print(
        f"| {args.singles} orders one by one (`POST /orders/`) | {single_seconds:.2f} | "
        f"{single_queries:,} |"
    )
    print(
        f"| the same path for {n} orders (scaled) | {per_order * args.orders:.1f} | "
        f"{single_queries * args.orders // args.singles:,} |"
    )
    print(f"| **{n} orders in one bulk request** | **{bulk_seconds:.2f}** | {bulk_queries} |")
    print(
        f"| {n} orders as a job: the 202 / the job in a worker | {accepted_seconds:.2f} / "
        f"{job_seconds:.2f} | {job_queries} (the job) |"
    )
    print(f"\nBulk is {per_order * args.orders / bulk_seconds:.0f}× the single path.")


if __name__ == "__main__":
    main()
