"""One owner's call next in order (issue 14): a rep's list, or a manager's owner filter.

Everyone's call next is read from the partial index of 0010, but one person's book was not:
the database probed the scores of each of the rep's 5,000 customers and sorted the few
hundred that qualified, 25 ms of SQL and 30 requests a second at a million customers
(``bench/pages.py``). This index holds the same rows led by the owner copied onto the score
(``CustomerScore.customer_owner``), in the order the book's list reads them
(``metrics.selectors_customer.call_next``: churn risk x loss value, written that way round
so that everyone's index is never walked for one book), so the page is one range of it.

PostgreSQL only, as 0010 and for the same reasons; the swap copies it (``metrics/swap.py``).
A change to the call-next filter needs a new migration."""

from django.db import migrations

TABLE = "metrics_customerscore"
NAME = "score_owner_call_next"
COLUMNS = (
    "customer_owner_id, (churn_risk * (loss_value)::double precision) DESC NULLS LAST, "
    "value_score DESC NULLS LAST, customer_id"
)
CONDITION = (
    "tier::text = ANY (ARRAY['A'::text, 'B'::text]) AND churn_risk IS NOT NULL "
    "AND (churn_risk > previous_churn_risk OR churn_risk >= 0.5) "
    "AND customer_owner_id IS NOT NULL"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON {TABLE} ({COLUMNS}) WHERE {CONDITION}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0021_high_churn_indexes")]

    operations = [migrations.RunPython(create, drop)]
