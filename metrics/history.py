"""Weekly partitions of the score history (PostgreSQL; see migration 0006).

Every write of history rows first makes sure its week has a partition, so a full run's
million inserts touch only that week's indexes. A week's rows that arrived before its
partition existed (written straight through the ORM, say) sit in the default partition
and are moved into the new partition when it is created.
"""

from datetime import timedelta

from django.db import connection, transaction

from .models import ScoreSnapshot

TABLE = ScoreSnapshot._meta.db_table
DEFAULT = f"{TABLE}_default"


def week_of(day):
    """The Monday that starts ``day``'s week, and the Monday after."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=7)


def partition_name(day):
    return f"{TABLE}_w{week_of(day)[0]:%Y%m%d}"


def ensure_partition(day):
    """Create the partition of ``day``'s week unless it exists (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    name = partition_name(day)
    with connection.cursor() as cursor:
        if _exists(cursor, name):
            return
        with transaction.atomic():
            # Two workers may get here at once: one creates, the other finds it made.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
            if _exists(cursor, name):
                return
            start, end = week_of(day)
            cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)")
            cursor.execute(
                f"WITH moved AS (DELETE FROM {DEFAULT} WHERE as_of >= %s AND as_of < %s "
                f"RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                [start, end],
            )
            # Foreign-key checks still pending from earlier writes in this transaction
            # would forbid altering the table: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Dates from date objects, not user input; DDL takes no parameters.
            cursor.execute(
                f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )


def _exists(cursor, name):
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]
