"""Planner statistics after bulk loads.

PostgreSQL plans with the statistics ANALYZE gathers. A bulk load (the demo data, a CSV
import, the API's bulk orders) can multiply a table's rows, and autovacuum may be off or
far behind: without fresh statistics the API's orders list took 1.0 s a page at a million
customers instead of 25 ms, and the dashboard 22-31 s (issue 14). So every bulk path calls
``analyze`` on the tables it filled. SQLite plans without them: a no-op there.
"""

import logging
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import BooleanField, Exists, F, Func, Model, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

logger = logging.getLogger(__name__)

# What autovacuum would call stale (autovacuum_analyze_threshold and _scale_factor at
# their defaults): more rows changed since the last ANALYZE than 50 + 10 % of the table.
STALE_ROWS = 50
STALE_FRACTION = 0.1

# The tables among %s never analyzed, or whose changes since (plus the %s rows just
# written, which the activity counters may not show yet) make their statistics stale.
_STALE = """
SELECT c.relname
FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.oid = ANY(%s::text[]::regclass[])
  AND (COALESCE(s.last_analyze, s.last_autoanalyze) IS NULL
       OR s.n_mod_since_analyze + %s > %s + %s * GREATEST(c.reltuples, 0))
"""


def analyze(
    *models: type[Model],
    added: int | None = None,
    vacuum: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """ANALYZE the tables of ``models`` on PostgreSQL once the current transaction
    commits (at once outside of one); nothing on other databases, nor when it rolls back.

    ``vacuum``: VACUUM (ANALYZE) them instead, for a load that wrote most of their rows.
    Until a table is vacuumed its pages are not known to be all-visible, so an index-only
    scan reads the table too (a campaign's customers counted in 220-250 ms instead of 31 ms
    at a million customers, with autovacuum off or behind).

    ``added`` None analyzes every table (a load that rewrote most of them). A number of
    rows just written analyzes only the tables whose statistics that leaves stale, as
    autovacuum would judge: a bulk request of a thousand orders into ten million does
    not pay for an ANALYZE, the first thousand into an empty table does.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not models:
        return
    tables = list(dict.fromkeys(model._meta.db_table for model in models))

    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"

    def run() -> None:
        quote = connection.ops.quote_name
        try:
            with connection.cursor() as cursor:
                if added is not None:
                    cursor.execute(
                        _STALE, [[quote(t) for t in tables], added, STALE_ROWS, STALE_FRACTION]
                    )
                    stale = {row[0] for row in cursor.fetchall()}
                    todo = [t for t in tables if t in stale]
                else:
                    todo = tables
                for table in todo:
                    cursor.execute(f"{command} {quote(table)}")
        except DatabaseError as exc:
            # The load itself has committed; autovacuum or the next load catches up.
            logger.warning("%s of %s failed: %s", command, ", ".join(tables), exc)

    transaction.on_commit(run, using=using)


def checked_apart(rows: QuerySet[Any], ref: str) -> Coalesce:
    """A condition: the outer row's ``ref`` is the key of one of ``rows``, written as an
    EXISTS the planner does not turn into a join (COALESCE: an EXISTS is never NULL). For a
    walk along an index led by an owner copied onto the outer rows (issue 14): joined, the
    copy and the owner of ``rows`` are two conditions PostgreSQL takes as independent, so it
    expects a few dozen of a rep's thousands of rows and sorts them all for each page instead
    of walking the index in order. Checked apart, each row walked is probed by key."""
    return Coalesce(Exists(rows.filter(pk=OuterRef(ref))), Value(False))


def among(ref: str, rows: QuerySet[Any]) -> Q | Func:
    """A condition: ``ref`` is the key of one of ``rows`` (at most a few thousand: one
    owner's book), read once into an array on PostgreSQL, ``ref = ANY(ARRAY(...))``: the
    database then probes an index led by ``ref`` once per key and sorts what it finds. As a
    semi-join, ``ref IN (rows)``, it walked the index of the list's order instead, probing
    each row for one of the rep's (their costs by date: 116 ms at 1M, 26 ms this way; their
    activities 46 ms, 17 ms; issue 14). Elsewhere the semi-join."""
    if connection.vendor != "postgresql":
        return Q(**{f"{ref}__in": rows.values("pk")})
    keys = ArraySubquery(rows.order_by().values("pk"))
    # "ref = ANY(ARRAY(...))": a lookup would wrap its right side in parentheses, and
    # "= (ANY(...))" is not SQL.
    return Func(
        F(ref), keys, arg_joiner=" = ANY(", template="%(expressions)s)", output_field=BooleanField()
    )
