"""Publishing a full run on PostgreSQL: fill a new scores table, then swap it in.

Upserting a million wide rows rewrites every row and every index entry, and leaves a
million dead rows for vacuum. A full run instead inserts its rows into a fresh table with
no index (each chunk task an id range of it), builds the indexes once, and swaps the two
tables in one short transaction. Readers see the old scores until the swap and the new
ones after it; nothing in between. The indexes and constraints of the new table are
copied from the live table's catalog, so a migration that adds one needs no change here.

SQLite (development and tests without PostgreSQL) upserts chunk by chunk instead.
"""

import re

from django.db import connection

from customers.models import Customer

from . import totals
from .models import CustomerScore

NEXT_TABLE = "metrics_customerscore_next"
# How long the swap waits for readers of the live table before giving up (the task then
# retries): queued behind the swap's lock, new page loads wait at most this long.
LOCK_TIMEOUT = "10s"


def _live():
    return CustomerScore._meta.db_table


def create_next():
    """An empty copy of the live table: its columns, defaults and checks, no index."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")
        cursor.execute(
            f"CREATE TABLE {NEXT_TABLE} (LIKE {_live()} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )


def drop_next():
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {NEXT_TABLE}")


def next_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [NEXT_TABLE])
        return cursor.fetchone()[0]


def swap_in(*, since):
    """Index the next table like the live one, rebuild the score totals from it, and put
    it in its place. Run inside the transaction that marks the run done, so all happen or
    none. Readers wait only for the last step, the drop and rename.

    Rows the live table received from incremental updates since ``since`` (the run's
    start) are newer than the run's and are carried over; their customer ids are returned
    so they can be recalculated against the new population."""
    live = _live()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        renames = _build_indexes(cursor, live)
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # From here writers of the live table wait (readers do not): what it holds is
        # final, so the next table can be completed and counted while pages still read.
        cursor.execute(f"LOCK TABLE {live} IN SHARE MODE")
        carried = _carry_over(cursor, live, since)
        # Customers deleted while the run was publishing took only their live rows along.
        cursor.execute(
            f"DELETE FROM {NEXT_TABLE} n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {Customer._meta.db_table} c WHERE c.id = n.customer_id)"
        )
        # Statuses and owners changed since a chunk copied them were written to the live
        # rows only.
        cursor.execute(
            f"UPDATE {NEXT_TABLE} n SET customer_status = c.status, "
            "customer_owner_id = c.owner_id "
            f"FROM {Customer._meta.db_table} c "
            "WHERE c.id = n.customer_id AND (n.customer_status <> c.status "
            "OR n.customer_owner_id IS DISTINCT FROM c.owner_id)"
        )
        # The dashboard's totals of the new scores (seconds at a million rows).
        totals.rebuild(table=NEXT_TABLE)
        cursor.execute(f"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE")
        foreign_keys = _foreign_keys(cursor, live)
        for name, definition in foreign_keys:
            # NOT VALID: every row was just checked by the DELETE above; the full check
            # runs after the swap without blocking anyone (validate_foreign_keys).
            cursor.execute(
                f'ALTER TABLE {NEXT_TABLE} ADD CONSTRAINT "{name}" {definition} NOT VALID'
            )
        # Deferred foreign-key checks still pending on the live table (rows written earlier
        # in an enclosing transaction) would forbid dropping it: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP TABLE {live}")
        cursor.execute(f"ALTER TABLE {NEXT_TABLE} RENAME TO {live}")
        for statement in renames:
            cursor.execute(statement)
    return carried


def after_swap():
    """Check the foreign keys added NOT VALID and give the planner statistics of the new
    table; neither blocks readers or writers. VACUUM, not only ANALYZE: until the new
    table is vacuumed no page is known all-visible, and a rep's score figures, read from
    their owner's index (``score_owner_figures``), would visit the table for every row."""
    live = _live()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND NOT convalidated",
            [live],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {live} VALIDATE CONSTRAINT "{name}"')
        # VACUUM cannot run in a transaction: a run finished inside one gets statistics only.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        cursor.execute(f"{command} {live}")


_INDEX_PREFIX = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) ")


def _build_indexes(cursor, live):
    """Create the live table's indexes (and primary key) on the next table under temporary
    names; return the statements that give them the live names once the live table is gone."""
    cursor.execute(
        """
        SELECT index_class.relname, pg_get_indexdef(index_class.oid), con.conname, con.contype
        FROM pg_index ix
        JOIN pg_class index_class ON index_class.oid = ix.indexrelid
        LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
        WHERE ix.indrelid = %s::regclass
        ORDER BY index_class.relname
        """,
        [live],
    )
    renames = []
    for number, (name, definition, constraint, kind) in enumerate(cursor.fetchall()):
        temporary = f"{NEXT_TABLE}_{number}"
        match = _INDEX_PREFIX.match(definition)
        create = f"CREATE {match.group(1) or ''}INDEX {temporary} ON {NEXT_TABLE} "
        cursor.execute(create + definition[match.end() :])
        if kind in ("p", "u"):
            constraint_kind = "PRIMARY KEY" if kind == "p" else "UNIQUE"
            cursor.execute(
                f'ALTER TABLE {NEXT_TABLE} ADD CONSTRAINT "{temporary}" '
                f"{constraint_kind} USING INDEX {temporary}"
            )
            # Renaming the constraint renames its index too.
            renames.append(f'ALTER TABLE {live} RENAME CONSTRAINT "{temporary}" TO "{constraint}"')
        else:
            renames.append(f'ALTER INDEX {temporary} RENAME TO "{name}"')
    return renames


def _foreign_keys(cursor, live):
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [live],
    )
    return cursor.fetchall()


def _carry_over(cursor, live, since):
    columns = [field.column for field in CustomerScore._meta.concrete_fields]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "customer_id")
    cursor.execute(
        f"INSERT INTO {NEXT_TABLE} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns)} FROM {live} WHERE computed_at >= %s "
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates} RETURNING customer_id",
        [since],
    )
    return [row[0] for row in cursor.fetchall()]
