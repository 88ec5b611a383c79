"""Time the dashboard's and the cohort page's figures as a first load computes them (no
page cache), query by query, for the benchmark's manager and rep (bench/pages.py makes
them).

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench .venv/bin/python bench/company_figures.py

Prints, per page and user, the total and the slowest queries, the purchase summary's
(``orders.summary``) apart from the rest. Run on demand; nothing here is a test.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics import cohorts, views  # noqa: E402
from analytics.periods import LAST_30_DAYS, preset_period  # noqa: E402

SUMMARY_TABLES = (
    "orders_customerday",
    "orders_customerspell",
    "orders_dayflow",
    "orders_cohortday",
)


def timed(compute):
    queries = []

    def wrapper(execute, sql, params, many, context):
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.monotonic() - started, sql))

    started = time.monotonic()
    with connection.execute_wrapper(wrapper):
        compute()
    return time.monotonic() - started, queries


def main():
    today = timezone.localdate()
    period = preset_period(LAST_30_DAYS, today)
    print("| page | user | first load, figures (ms) | summary queries (ms) | other queries (ms) |")
    print("|---|---|---|---|---|")
    for name in ("manager", "rep"):
        user = get_user_model().objects.get(username=f"bench-{name}")
        pages = {
            "dashboard": lambda u=user: views._figures(u, period),
            "cohorts": lambda u=user: views._cohort_figures(u, today, cohorts.DEFAULT_MONTHS),
        }
        for page, compute in pages.items():
            total, queries = timed(compute)
            summary = sum(s for s, sql in queries if any(t in sql for t in SUMMARY_TABLES))
            other = sum(s for s, _sql in queries) - summary
            cells = (
                page,
                name,
                f"{total * 1000:.0f}",
                f"{summary * 1000:.0f}",
                f"{other * 1000:.0f}",
            )
            print("| " + " | ".join(cells) + " |")
            for seconds, sql in sorted(queries, reverse=True)[:3]:
                print(f"|   | {seconds * 1000:.0f} ms | {sql[:90]} | | |", file=sys.stderr)


if __name__ == "__main__":
    main()
