"""The customer's owner copied onto the score row, with a partial index led by it that
holds what a rep's score figures read (issue 14: a rep's dashboard read their scores by
a probe per customer, 70 ms for 5,000 at 1M). Kept by metrics.storage, metrics.swap,
metrics.receivers and metrics.services.score_copies_follow. On PostgreSQL, VACUUM the
scores table after migrating, so the index is read without visiting the table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("customers", "0007_score_sort_scope"),
        ("metrics", "0016_value_blank_churn_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerscore",
            name="customer_owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        # Before the index: one pass over the rows, then the index built once.
        migrations.RunSQL(
            "UPDATE metrics_customerscore SET customer_owner_id = (SELECT c.owner_id FROM "
            "customers_customer c WHERE c.id = metrics_customerscore.customer_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                condition=models.Q(customer_owner__isnull=False),
                fields=["customer_owner"],
                include=[
                    "tier",
                    "value_score",
                    "r_score",
                    "f_score",
                    "m_score",
                    "revenue",
                    "as_of",
                ],
                name="score_owner_figures",
            ),
        ),
    ]
