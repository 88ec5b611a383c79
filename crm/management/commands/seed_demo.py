"""``manage.py seed_demo``: demo users and a realistic, deterministic data set.

See docs/demo-data.md for what it makes and how fast."""

import argparse
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.demo.load import (
    DEMO_PASSWORD,
    VOCABULARIES,
    demo_data_load,
    demo_users_ensure,
    required_base_currency,
)
from customers.models import Customer
from orders.models import base_currency


def _date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(_("use a date as YYYY-MM-DD")) from error


def _count(value):
    if not value.isdigit():
        raise argparse.ArgumentTypeError(_("use a whole number, 0 or more"))
    return int(value)


def today():
    return timezone.localdate()


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (Django's own commands do the same).
    help = (
        "Create the demo users (admin, manager, rep, rep2; password demo) and demo customers "
        "with three years of orders, campaigns, contacts and activities."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=_count,
            default=2000,
            help="How many customers to add (default 2000).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help=(
                "The data ends the day before this date, YYYY-MM-DD (default: today, so the "
                "demo is live the day it is loaded). Pass a date for reproducible data: the "
                "same seed and as-of date always give the same rows."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Add no data when the database already has customers.",
        )
        parser.add_argument(
            "--no-users",
            action="store_true",
            help="Do not create the demo users.",
        )
        parser.add_argument(
            "--language",
            choices=sorted(VOCABULARIES),
            default="en",
            help=(
                "The language of the names, places, products, campaigns and notes (default "
                "en). zh-hans: Chinese companies and people, priced in CNY, which must then "
                "be the base currency (BASE_CURRENCY=CNY)."
            ),
        )

    def handle(
        self, *args, customers, seed, as_of, if_empty, no_users, language, verbosity, **options
    ):
        # The base currency is the process's (settings): amounts priced in yuan would be
        # shown, summed and converted as dollars under another one.
        needed = required_base_currency(language)
        if needed and base_currency() != needed:
            raise CommandError(
                _(
                    "The demo data in this language is priced in %(needed)s, but the base "
                    "currency is %(base)s. Run this command, and the app, with "
                    "BASE_CURRENCY=%(needed)s (in the environment or in .env)."
                )
                % {"needed": needed, "base": base_currency()}
            )
        if not no_users:
            created = demo_users_ensure(language=language)
            if created:
                self.stdout.write(
                    _("Demo users created: %(users)s (password: %(password)s).")
                    % {"users": ", ".join(created), "password": DEMO_PASSWORD}
                )
        if if_empty and Customer.objects.exists():
            self.stdout.write(_("The database already has customers: no demo data added."))
            return
        # Today by default: orders up to yesterday, overdue tasks of the last days and tasks
        # due this week, so the dashboard's "last 30 days" has figures on the day of loading.
        as_of = as_of or today()
        started = time.monotonic()
        counts = demo_data_load(
            customers=customers,
            seed=seed,
            as_of=as_of,
            progress=self.stdout.write if verbosity > 0 else None,
            language=language,
        )
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data as of %(as_of)s (seed %(seed)s) written in %(seconds).1f s:")
                % {"as_of": as_of.isoformat(), "seed": seed, "seconds": seconds}
            )
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label:<26} {count:>12,}")
