"""The page benchmark (bench/pages.py) at a small size, in-process, so that it cannot rot:
every page and endpoint it measures answers 200 and its report is written; then the crawl
of every route (bench/routes.py) finds no 5xx. Timings are never asserted."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from bench import pages, routes
from core.roles import sync_roles
from metrics.services import full_run_sync

AS_OF = date(2026, 11, 1)


@pytest.mark.django_db
def test_every_page_of_the_benchmark_answers_and_the_report_is_written(settings, tmp_path):
    settings.ROOT_URLCONF = "bench.plain_urls"
    call_command(
        "seed_demo",
        "--customers",
        "300",
        "--as-of",
        AS_OF.isoformat(),
        "--no-users",
        stdout=io.StringIO(),
    )
    full_run_sync(as_of=AS_OF)
    # The roles' groups come from a migration, which a transactional test run before this
    # one on the same worker may have flushed away.
    sync_roles()
    users = pages.bench_users(share=10)
    plan = pages.targets(users, hops=2)
    runner = pages.InProcess(users)

    # Every target once; rounds and throughput for a few only, to keep the test short.
    results = pages.measure(runner, plan, rounds=0, clients=1, seconds=0, log=lambda _: None)
    timed = pages.measure(runner, plan[:3], rounds=2, clients=1, seconds=0.01, log=lambda _: None)
    assert all(r.p95_ms is not None and r.rps for r in timed[1:])
    meta = pages.run_meta(rounds=1, clients=1, seconds=0, server="test", load_after="-")
    pages.write(timed + results[3:], meta, tmp_path / "pages")

    assert [(r.group, r.name, r.user, r.status) for r in results if r.status != 200] == []
    assert {r.group for r in results} == {
        "reference",
        "customer list",
        "global search",
        "lists",
        "customer",
        "company figures",
        "API",
    }
    assert {(r.name, r.user) for r in results} >= {
        ("call next", "manager"),
        ("call next", "rep"),
        ("my tasks", "rep"),
        ("detractors", "manager"),
        ("orders list", "rep"),
        ("name", "manager"),
        ("email", "rep"),
        ("phone", "rep"),
        ("order number", "rep"),
        ("order number, digits", "manager"),
        ("audience preview (Benchmark: every customer)", "admin"),
        ("Value tab", "rep"),
        ("dashboard", "manager"),
        ("customers, deep cursor page", "rep"),
        ("scores, first page", "manager"),
        ("campaigns", "manager"),
        ("campaign", "rep"),
        ("customer-costs, first page", "manager"),
    }
    report = json.loads((tmp_path / "pages.json").read_text())
    assert len(report["results"]) == len(plan)
    assert report["results"][1]["rps"] == timed[1].rps
    assert "| global search | name | manager | 200 |" in (tmp_path / "pages.md").read_text()

    # The crawl of every route (bench/routes.py) on the same data: none answers 5xx, as
    # any of the three users.
    paths = routes.routes(users["rep"])
    assert {"/campaigns/", "/metrics/health/", "/api/v1/customer-costs/"} <= set(paths)
    answers = routes.crawl(users, paths, log=lambda _: None)
    assert len(answers) == 3 * len(paths)
    assert [(a.user, a.path, a.status) for a in answers if a.status >= 500] == []
