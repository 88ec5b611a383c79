"""The score history does not grow for ever (issue 14): one row per customer per nightly run
is about 1 GB a week at a million customers. Rows stay daily for
``SCORE_HISTORY_DAILY_DAYS`` (90), then one a week (each customer's last row of the week)
until ``SCORE_HISTORY_WEEKLY_DAYS`` (365), then one a month (the month's last).

Only whole weeks and months are thinned, so a bucket is thinned once and thinning again
changes nothing. On PostgreSQL the history is partitioned by week (metrics.history): a week
is thinned by rewriting its partition with one row per customer and swapping it in, and a
month by deleting the earlier rows, which empties its partitions but the last: they are
dropped. Each partition's comment records what was done to it, so a daily run only touches the
buckets that have just aged. SQLite deletes row by bucket; its histories are small.
"""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction

from customers.models import Customer

from . import history

TABLE = history.TABLE
# How long a swap waits for a lock before giving up (the task retries later).
LOCK_TIMEOUT = "5s"


@dataclass
class Thinned:
    """What one thinning did: buckets thinned, rows removed, partitions dropped."""

    weeks: list[date] = field(default_factory=list)
    months: list[date] = field(default_factory=list)
    rows_removed: int = 0
    partitions_dropped: int = 0


def cutoffs(today: date) -> tuple[date, date]:
    """(weekly_before, monthly_before): whole weeks ending on or before the first are kept
    one row per week, whole months ending on or before the second one row per month."""
    daily = today - timedelta(days=settings.SCORE_HISTORY_DAILY_DAYS)
    weekly = today - timedelta(days=settings.SCORE_HISTORY_WEEKLY_DAYS)
    return daily, weekly


def _month_after(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def thin_history(*, today: date) -> Thinned:
    """Thin the history as of ``today``; idempotent."""
    weekly_before, monthly_before = cutoffs(today)
    if connection.vendor == "postgresql":
        return _thin_partitions(weekly_before, monthly_before)
    return _thin_rows(weekly_before, monthly_before)


# --- Any database: delete by bucket ----------------------------------------------------

_DELETE_EARLIER = (
    f"DELETE FROM {TABLE} WHERE as_of >= %s AND as_of < %s AND EXISTS ("
    f"SELECT 1 FROM {TABLE} later WHERE later.customer_id = {TABLE}.customer_id "
    "AND later.as_of > {TABLE}.as_of AND later.as_of < %s)"
).replace("{TABLE}", TABLE)


def _delete_earlier(cursor, start: date, end: date) -> int:
    """Keep each customer's last row in [start, end)."""
    cursor.execute(_DELETE_EARLIER, [start, end, end])
    return max(cursor.rowcount, 0)


def _oldest(cursor) -> date | None:
    cursor.execute(f"SELECT MIN(as_of) FROM {TABLE}")
    value = cursor.fetchone()[0]
    return date.fromisoformat(value) if isinstance(value, str) else value


def _thin_rows(weekly_before: date, monthly_before: date) -> Thinned:
    done = Thinned()
    with transaction.atomic(), connection.cursor() as cursor:
        oldest = _oldest(cursor)
        if oldest is None:
            return done
        week = history.week_of(oldest)[0]
        while week + timedelta(days=7) <= weekly_before:
            done.rows_removed += _delete_earlier(cursor, week, week + timedelta(days=7))
            done.weeks.append(week)
            week += timedelta(days=7)
        month = oldest.replace(day=1)
        while _month_after(month) <= monthly_before:
            done.rows_removed += _delete_earlier(cursor, month, _month_after(month))
            done.months.append(month)
            month = _month_after(month)
    return done


# --- PostgreSQL: partition by partition --------------------------------------------------


@dataclass
class _Partition:
    name: str
    start: date
    end: date
    marks: dict

    @property
    def week_thinned(self) -> bool:
        return bool(self.marks.get("week"))

    def month_thinned(self, month: date) -> bool:
        return month.isoformat() in self.marks.get("months", [])


def _partitions(cursor) -> list[_Partition]:
    """The weekly partitions (not the default one), oldest first, with their marks."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), obj_description(c.oid, 'pg_class') "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass AND c.relname <> %s ORDER BY c.relname",
        [TABLE, history.DEFAULT],
    )
    partitions = []
    for name, bound, comment in cursor.fetchall():
        # FOR VALUES FROM ('2026-01-05') TO ('2026-01-12')
        start, end = (date.fromisoformat(part) for part in bound.split("'")[1::2])
        partitions.append(_Partition(name, start, end, json.loads(comment or "{}")))
    return partitions


def _mark(cursor, partition: _Partition) -> None:
    # The name comes from pg_class and the comment from json.dumps: no user input.
    cursor.execute(
        f"COMMENT ON TABLE {partition.name} IS %s", [json.dumps(partition.marks, sort_keys=True)]
    )


def _move_out_of_default(cursor, weekly_before: date) -> None:
    """Rows written before their week had a partition get one, so every aged row is in a
    weekly partition (metrics.history moves them)."""
    cursor.execute(
        f"SELECT DISTINCT date_trunc('week', as_of)::date FROM {history.DEFAULT} WHERE as_of < %s",
        [weekly_before],
    )
    for (day,) in cursor.fetchall():
        history.ensure_partition(day)


def _rewrite_week(cursor, partition: _Partition) -> int:
    """Replace the partition by a copy holding each customer's last row of the week.

    The copy gets its keys, its foreign key and a CHECK matching the bounds before the swap,
    so ATTACH adopts them and scans nothing: the parent is locked only for the detach and
    attach. Every lock is waited for at most LOCK_TIMEOUT (a busy table makes the task fail
    and retry, never queue readers behind it); the old table is dropped afterwards."""
    new, old = f"{partition.name}_thin", f"{partition.name}_old"
    start, end = partition.start.isoformat(), partition.end.isoformat()
    with transaction.atomic():
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # Writes into the week wait until the swap: none is lost from the copy.
        cursor.execute(f"LOCK TABLE {partition.name} IN SHARE MODE")
        cursor.execute(f"SELECT COUNT(*) FROM {partition.name}")
        before = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE IF EXISTS {new}")
        cursor.execute(f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING DEFAULTS)")
        cursor.execute(
            f"INSERT INTO {new} SELECT DISTINCT ON (customer_id) * FROM {partition.name} "
            "ORDER BY customer_id, as_of DESC"
        )
        after = cursor.rowcount
        cursor.execute(f"ALTER TABLE {new} ADD PRIMARY KEY (id, as_of)")
        cursor.execute(f"ALTER TABLE {new} ADD UNIQUE (customer_id, as_of)")
        cursor.execute(
            f"ALTER TABLE {new} ADD FOREIGN KEY (customer_id) REFERENCES "
            f"{Customer._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED"
        )
        cursor.execute(
            f"ALTER TABLE {new} ADD CONSTRAINT {new}_bounds "
            f"CHECK (as_of >= '{start}' AND as_of < '{end}')"
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"ALTER TABLE {partition.name} RENAME TO {old}")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {partition.name}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {partition.name} "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
        cursor.execute(f"ALTER TABLE {partition.name} DROP CONSTRAINT {new}_bounds")
        partition.marks["week"] = True
        _mark(cursor, partition)
    _drop_leftovers(cursor)
    return before - after


def _drop_leftovers(cursor) -> None:
    """Tables an earlier rewrite swapped out (or stopped building) are dropped: dropping
    one locks the customers table against writes for a moment, so not inside the swap."""
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE %s "
        "AND (relname LIKE %s OR relname LIKE %s)",
        [f"{TABLE}_w%", "%\\_old", "%\\_thin"],
    )
    for (name,) in cursor.fetchall():
        with transaction.atomic():
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _thin_month(cursor, month: date, partitions: list[_Partition], done: Thinned) -> None:
    end = _month_after(month)
    with transaction.atomic():
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        done.rows_removed += _delete_earlier(cursor, month, end)
        for partition in partitions:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {partition.name})")
            # Emptied: dropped. A later write into its week would make it again
            # (metrics.history.ensure_partition).
            if not cursor.fetchone()[0]:
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
                cursor.execute(f"DROP TABLE {partition.name}")
                done.partitions_dropped += 1
            else:
                partition.marks.setdefault("months", []).append(month.isoformat())
                _mark(cursor, partition)
    done.months.append(month)


def _thin_partitions(weekly_before: date, monthly_before: date) -> Thinned:
    done = Thinned()
    with connection.cursor() as cursor:
        _drop_leftovers(cursor)
        _move_out_of_default(cursor, weekly_before)
        # Weeks before months, as on SQLite: a month keeps the last of its weekly rows.
        for partition in _partitions(cursor):
            if partition.end <= weekly_before and not partition.week_thinned:
                done.rows_removed += _rewrite_week(cursor, partition)
                done.weeks.append(partition.start)
        partitions = _partitions(cursor)
        months = sorted(
            {day.replace(day=1) for p in partitions for day in (p.start, p.end - timedelta(days=1))}
        )
        for month in months:
            if _month_after(month) > monthly_before:
                break
            overlapping = [p for p in partitions if p.start < _month_after(month) and month < p.end]
            if not all(p.month_thinned(month) for p in overlapping):
                _thin_month(cursor, month, overlapping, done)
    return done
