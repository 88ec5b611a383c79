"""Writes the demo data. Small reference tables (tags, products, rates, campaigns) go through
the ORM and are idempotent; customers and everything hanging off them are written in bulk,
one chunk at a time: COPY on PostgreSQL, executemany elsewhere. Rows get their primary keys
here (after the current maximum), so order lines point at their orders without reading ids
back; the sequences are reset at the end. Bulk writes send no signals and record no
simple-history rows, which demo data does not need."""

import datetime as dt
import time
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from decimal import Decimal

import numpy as np
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from psycopg.copy import QueuedLibpqWriter

from campaigns.models import Campaign, SpendEntry
from campaigns.services import acquired_recount
from core.db import analyze
from core.roles import ADMIN, SALES_MANAGER, SALES_REP, sync_roles
from customers.models import Customer, Tag
from customers.services import filter_choices_changed, regions_changed
from metrics.models import MetricSettings
from orders import summary
from orders.models import (
    CohortDay,
    CustomerDay,
    CustomerSpell,
    DayFlow,
    ExchangeRate,
    Product,
    base_currency,
)

from . import generate as gen
from . import vocabulary, vocabulary_zh

# The demo's words per language (settings.LANGUAGES): names, places, products, campaigns.
VOCABULARIES = {"en": vocabulary, "zh-hans": vocabulary_zh}

DEMO_PASSWORD = "demo"  # noqa: S105 (documented demo logins)
# username, last name, role, superuser
DEMO_USERS = (
    ("admin", "Admin", ADMIN, True),
    ("manager", "Manager", SALES_MANAGER, False),
    ("rep", "Rep", SALES_REP, False),
    ("rep2", "Rep Two", SALES_REP, False),
)
# Who owns the customers: (username, share); the rest stay unassigned.
OWNER_SHARES = (("manager", 0.2), ("rep", 0.38), ("rep2", 0.37))
UNASSIGNED_SHARE = 0.05

# PostgreSQL: building indexes and checking foreign keys once over all rows beats doing it
# row by row, but costs time in proportion to the whole table: worth it for a big load that
# at least doubles the data.
REBUILD_FROM = 20_000  # customers

BULK_MODELS = (
    "customers.Customer",
    "customers.Customer_tags",
    "customers.Contact",
    "customers.Activity",
    "orders.Order",
    "orders.OrderLine",
    "orders.CustomerCost",
)


def required_base_currency(language):
    """The base currency the demo in ``language`` is priced in, or None for any: the
    Chinese demo's prices and budgets are in yuan."""
    return VOCABULARIES[language].BASE_CURRENCY


@transaction.atomic
def demo_users_ensure(*, language="en"):
    """Create the demo users that are missing, named in ``language``; return the usernames
    created. Existing accounts are left alone: their passwords may no longer be the demo one."""
    names = VOCABULARIES[language].USER_NAMES
    User = get_user_model()
    created = []
    if Group.objects.filter(name__in={user[2] for user in DEMO_USERS}).count() < 3:
        sync_roles()  # someone deleted a role group; the demo users need all three
    for username, last_name, role, superuser in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        first_name, last_name = names.get(username, ("Demo", last_name))
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            is_staff=superuser,
            is_superuser=superuser,
        )
        user.groups.add(Group.objects.get(name=role))
        created.append(username)
    return created


@transaction.atomic
def demo_data_load(*, customers, seed, as_of, progress=None, language="en"):
    """Add ``customers`` demo customers with their orders, contacts, activities and costs,
    plus the tags, products, rates and campaigns they need, named in ``language``. All or
    nothing. Returns the number of rows written per model label."""
    counts = {}
    words = VOCABULARIES[language]
    base = base_currency()
    if words.BASE_CURRENCY and base != words.BASE_CURRENCY:
        raise ValueError(f"The {language} demo is priced in {words.BASE_CURRENCY}, not {base}.")
    tags = _tags_ensure(counts, words)
    product_rows = _products_ensure(seed=seed, counts=counts, words=words)
    rates = _rates_ensure(seed=seed, as_of=as_of, base=base, counts=counts)
    schedule = _schedule(as_of, words)
    pop = gen.population(seed=seed, size=customers, as_of=as_of, schedule=schedule)
    campaigns = _campaigns_ensure(
        seed=seed, as_of=as_of, schedule=schedule, population=pop, counts=counts
    )
    ids = {label: _max_id(label) + 1 for label in BULK_MODELS}
    world = gen.make_world(
        seed=seed,
        as_of=as_of,
        first_customer_id=ids["customers.Customer"],
        base=base,
        rates=rates,
        product_rows=product_rows,
        tags=tags,
        campaigns=campaigns,
        owners=_owners(),
        words=words,
    )
    postgres = connection.vendor == "postgresql"
    writer = CopyWriter() if postgres else InsertWriter()
    models = [apps.get_model(label) for label in BULK_MODELS]
    rebuild = postgres and customers >= max(REBUILD_FROM, Customer.objects.count())
    started = time.monotonic()
    with _indexes_rebuilt_after(models, progress) if rebuild else nullcontext():
        for lo in range(0, customers, gen.CHUNK):
            hi = min(lo + gen.CHUNK, customers)
            for table in gen.chunk(world, pop, lo, hi, ids):
                writer.write(table)
                counts[table.model] = counts.get(table.model, 0) + len(table)
            if progress and customers > gen.CHUNK:
                elapsed = time.monotonic() - started
                progress(f"{hi:,} / {customers:,} customers ({elapsed:.0f} s)")
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    # The purchase summary the dashboard reads, set-based from the orders just written.
    summary.rebuild(window=MetricSettings.load().churn_inactivity_days + 1)
    # The customers each campaign acquired, counted once (the loader's writes send no
    # signals).
    acquired_recount()
    # Fresh planner statistics and visibility once committed: a page planned without them
    # at a million customers took seconds instead of milliseconds (core/db.py).
    analyze(*models, CustomerDay, CustomerSpell, DayFlow, CohortDay, vacuum=True)
    regions_changed()
    filter_choices_changed()
    return counts


def _max_id(label):
    return apps.get_model(label).objects.aggregate(top=Max("id"))["top"] or 0


def _tags_ensure(counts, words):
    existing = set(Tag.objects.filter(name__in=words.TAGS).values_list("name", flat=True))
    missing = [Tag(name=name) for name in words.TAGS if name not in existing]
    counts["customers.Tag"] = len(Tag.objects.bulk_create(missing))
    ids = dict(Tag.objects.filter(name__in=words.TAGS).values_list("name", "id"))
    return [(ids[name], name) for name in words.TAGS]


def _products_ensure(*, seed, counts, words):
    catalogue = gen.products(seed, words)
    skus = [row["sku"] for row in catalogue]
    existing = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    missing = [Product(**row) for row in catalogue if row["sku"] not in existing]
    counts["orders.Product"] = len(Product.objects.bulk_create(missing))
    # Existing products keep their prices: orders are priced from what the database holds.
    rows = {
        row[1]: row
        for row in Product.objects.filter(sku__in=skus).values_list(
            "id", "sku", "list_price", "unit_cost"
        )
    }
    return [rows[sku] for sku in skus]


def _rates_ensure(*, seed, as_of, base, counts):
    generated = gen.exchange_rates(seed, as_of, base)
    currencies = gen.foreign_currencies(base)
    existing = set(
        ExchangeRate.objects.filter(currency__in=currencies).values_list("currency", "valid_on")
    )
    missing = [
        ExchangeRate(currency=currency, valid_on=day, rate=rate)
        for currency, day, rate in generated
        if (currency, day) not in existing
    ]
    counts["orders.ExchangeRate"] = len(ExchangeRate.objects.bulk_create(missing))
    # Orders use the rates in the database, so they agree with the app's own lookups even
    # where an admin has entered rates of their own.
    return list(
        ExchangeRate.objects.filter(currency__in=currencies).values_list(
            "currency", "valid_on", "rate"
        )
    )


def _schedule(as_of, words):
    """The planned campaigns; one that already exists keeps its own dates."""
    planned = gen.campaign_schedule(as_of, words)
    existing = {c.name: c for c in Campaign.objects.filter(name__in=[p.name for p in planned])}
    return [
        replace(p, starts_on=existing[p.name].starts_on, ends_on=existing[p.name].ends_on)
        if p.name in existing
        else p
        for p in planned
    ]


def _campaigns_ensure(*, seed, as_of, schedule, population, counts):
    brought = np.bincount(population.campaign[population.campaign >= 0], minlength=len(schedule))
    existing = dict(
        Campaign.objects.filter(name__in=[c.name for c in schedule]).values_list("name", "id")
    )
    created, spend = [], []
    for planned, customers in zip(schedule, brought.tolist(), strict=True):
        if planned.name in existing:
            continue
        budget = gen.campaign_budget(planned, customers)
        campaign = Campaign(
            name=planned.name,
            channel=planned.channel,
            starts_on=planned.starts_on,
            ends_on=planned.ends_on,
            budget=budget,
        )
        created.append(campaign)
        spend.append((campaign, gen.spend_entries(seed, planned, budget, as_of)))
    Campaign.objects.bulk_create(created)
    for campaign in created:
        # auto_now_add stamped the clock; demo data dates its rows itself.
        Campaign.objects.filter(pk=campaign.pk).update(
            created_at=dt.datetime.combine(
                campaign.starts_on - dt.timedelta(days=14), dt.time(9), tzinfo=dt.UTC
            )
        )
    entries = [
        SpendEntry(campaign=campaign, spent_on=day, amount=amount)
        for campaign, rows in spend
        for day, amount in rows
    ]
    SpendEntry.objects.bulk_create(entries, batch_size=1000)
    counts["campaigns.Campaign"] = len(created)
    counts["campaigns.SpendEntry"] = len(entries)
    ids = dict(
        Campaign.objects.filter(name__in=[c.name for c in schedule]).values_list("name", "id")
    )
    return [(ids[c.name], c.channel) for c in schedule]


def _owners():
    users = dict(
        get_user_model()
        .objects.filter(username__in=[name for name, _share in OWNER_SHARES])
        .values_list("username", "id")
    )
    owners = [(users[name], share) for name, share in OWNER_SHARES if name in users]
    return [*owners, (None, UNASSIGNED_SHARE)]


# --- PostgreSQL: indexes and constraints built after the load -------------------------------

# Foreign keys and unique constraints on the tables (a unique constraint that a foreign key
# points at stays); foreign keys sort first, so they are dropped first and added last.
_CONSTRAINTS = """
    SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.conrelid = ANY(%s::regclass[])
      AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (
          SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)))
    ORDER BY c.contype, c.conname
"""
# Indexes that no constraint uses: the primary keys and the constraints above keep theirs.
_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(%s::regclass[])
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1
"""


@contextmanager
def _indexes_rebuilt_after(models, progress):
    """Drop the secondary indexes, unique and foreign-key constraints of ``models``' tables,
    and build them again after the block, as pg_restore does. Inside the transaction, so a
    failure (a foreign key that does not hold) rolls everything back. The tables are locked
    until the commit."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(_CONSTRAINTS, [tables])
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES, [tables])
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    if progress:
        progress(
            f"{len(indexes)} indexes and {len(constraints)} constraints rebuilt "
            f"({time.monotonic() - started:.0f} s)"
        )


# --- Writers ---------------------------------------------------------------------------------


def _columns(table):
    model = apps.get_model(table.model)
    fields = [model._meta.get_field(column.name) for column in table.columns]
    return model, fields


class CopyWriter:
    """PostgreSQL: one COPY per table and chunk, formatted as COPY text a batch of rows at
    a time, so memory stays small."""

    batch = 50_000

    def write(self, table):
        if not len(table):
            return
        model, fields = _columns(table)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            # A psycopg thread sends each batch while the next one is being formatted.
            pg_cursor = cursor.cursor
            with pg_cursor.copy(sql, writer=QueuedLibpqWriter(pg_cursor)) as copy:
                for start in range(0, len(table), self.batch):
                    rows = slice(start, start + self.batch)
                    text = [_copy_text(col.kind, col.values[rows]) for col in table.columns]
                    copy.write("\n".join(map("\t".join, zip(*text, strict=True))) + "\n")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
_NULLABLE = (gen.REF, gen.DATE, gen.TIME)


def _copy_text(kind, values):
    if kind == gen.TEXT:
        joined = "".join(values)
        if any(special in joined for special in "\\\t\n\r"):
            return [value.translate(_COPY_ESCAPES) for value in values]
        return values
    if kind == gen.BOOL:
        return np.where(values, "t", "f").tolist()
    if kind == gen.MONEY:
        return [f"{c // 100}.{c % 100:02d}" for c in values.tolist()]
    if kind == gen.RATE:
        unit = gen.RATE_UNIT
        return [f"{r // unit}.{r % unit:08d}" for r in values.tolist()]
    if kind == gen.DATE:
        text = np.datetime_as_string(values.astype("datetime64[D]"))
    elif kind == gen.TIME:
        text = np.datetime_as_string(values.astype("datetime64[s]"), timezone="UTC")
    else:
        text = values.astype(str)
    if kind in _NULLABLE:
        text = np.where(values == gen.NULL, _COPY_NULL, text)
    return text.tolist()


class InsertWriter:
    """Any other database: executemany of the values each field prepares for it."""

    def write(self, table):
        if not len(table):
            return
        model, fields = _columns(table)
        quote = connection.ops.quote_name
        values = [
            [field.get_db_prep_save(value, connection) for value in _python(column)]
            for field, column in zip(fields, table.columns, strict=True)
        ]
        # Identifiers come from the models, quoted by the backend; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(model._meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, list(zip(*values, strict=True)))


_EPOCH_ORDINAL = gen.EPOCH.toordinal()
_TO_PYTHON = {
    gen.MONEY: lambda cents: Decimal(cents).scaleb(-2),
    gen.RATE: lambda units: Decimal(units).scaleb(-8),
    gen.DATE: lambda day: dt.date.fromordinal(_EPOCH_ORDINAL + day),
    gen.TIME: lambda seconds: dt.datetime.fromtimestamp(seconds, dt.UTC),
}


def _python(column):
    if column.kind == gen.TEXT:
        return column.values
    values = column.values.tolist()
    convert = _TO_PYTHON.get(column.kind)
    nullable = column.kind in _NULLABLE
    if convert is None and not nullable:
        return values
    return [None if nullable and v == gen.NULL else convert(v) if convert else v for v in values]
