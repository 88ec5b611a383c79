"""Benchmark of the heaviest pages at scale: the dashboard and the cohort page.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench \\
        .venv/bin/python bench/pages.py

Logs in a sales manager (sees every customer) and a sales rep who owns one customer in
200 (made so on the first run), then times each page through Django's test client: a
first load and a second one. Needs the demo data and a finished full recalculation
(bench/recalc.py). Run on demand; nothing here is a test.
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
from django.contrib.auth.models import Group  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from core import roles  # noqa: E402
from customers.models import Customer  # noqa: E402

PAGES = [("dashboard", "/"), ("cohorts", "/metrics/cohorts/")]


def _manager():
    user, _created = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.set([Group.objects.get(name=roles.SALES_MANAGER)])
    return user


def _rep(share=200):
    """A sales rep who owns every ``share``-th customer (5,000 of a million)."""
    user, created = get_user_model().objects.get_or_create(username="bench-rep")
    user.groups.set([Group.objects.get(name=roles.SALES_REP)])
    if created or not Customer.objects.filter(owner=user).exists():
        Customer.objects.annotate(slot=F("id") % share).filter(slot=0).update(owner=user)
    return user, Customer.objects.filter(owner=user).count()


def main():
    setup_test_environment()
    rep, owned = _rep()
    print("| page | user | first load (s) | second load (s) |")
    print("|---|---|---|---|")
    for label, user in (("manager", _manager()), (f"rep ({owned:,} customers)", rep)):
        client = Client()
        client.force_login(user)
        for name, url in PAGES:
            seconds = []
            for _attempt in range(2):
                started = time.monotonic()
                response = client.get(url)
                seconds.append(time.monotonic() - started)
                assert response.status_code == 200, (url, response.status_code)
            print(f"| {name} | {label} | {seconds[0]:.2f} | {seconds[1]:.2f} |")


if __name__ == "__main__":
    main()
