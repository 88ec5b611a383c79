"""Staged scores are stored encoded (numbers only) so a full run writes them with one
binary COPY. The table only ever holds rows of a run in progress, so it is recreated rather
than altered, and stays UNLOGGED on PostgreSQL (see 0003)."""

import django.db.models.deletion
from django.db import migrations, models


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_stagedscore SET UNLOGGED")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0004_lean_score_indexes")]

    operations = [
        migrations.DeleteModel(name="StagedScore"),
        migrations.CreateModel(
            name="StagedScore",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="metrics.recalcrun",
                    ),
                ),
                ("customer_id", models.BigIntegerField()),
                ("orders_count", models.IntegerField()),
                ("purchase_days", models.IntegerField()),
                ("first_order_on", models.IntegerField()),
                ("last_order_on", models.IntegerField()),
                ("revenue", models.BigIntegerField()),
                ("cost_of_goods", models.BigIntegerField()),
                ("acquisition_cost", models.BigIntegerField()),
                ("other_costs", models.BigIntegerField()),
                ("profit_contribution", models.BigIntegerField()),
                ("aov", models.BigIntegerField()),
                ("frequency", models.FloatField(null=True)),
                ("recency_days", models.IntegerField()),
                ("r_score", models.IntegerField()),
                ("f_score", models.IntegerField()),
                ("m_score", models.IntegerField()),
                ("segment", models.SmallIntegerField()),
                ("simple_clv", models.BigIntegerField()),
                ("retention_clv", models.BigIntegerField()),
                ("predicted_clv", models.BigIntegerField()),
                ("clv_method", models.SmallIntegerField()),
                ("p_alive", models.FloatField(null=True)),
                ("expected_purchases_90d", models.FloatField(null=True)),
                ("expected_order_value", models.BigIntegerField()),
                ("relationship_value", models.BigIntegerField()),
                ("continuing_value", models.BigIntegerField()),
                ("loss_value", models.BigIntegerField()),
                ("information_value", models.BigIntegerField()),
                ("nps_category", models.SmallIntegerField()),
                ("avg_csat", models.FloatField(null=True)),
                ("repeat_rate", models.FloatField(null=True)),
                ("tenure_days", models.IntegerField()),
                ("loyalty", models.FloatField(null=True)),
                ("referrals_count", models.IntegerField()),
                ("referral_revenue", models.BigIntegerField()),
                ("churn_risk", models.FloatField(null=True)),
                ("pct_historical", models.FloatField(null=True)),
                ("pct_future", models.FloatField(null=True)),
                ("pct_loyalty", models.FloatField(null=True)),
                ("pct_influence", models.FloatField(null=True)),
                ("value_score", models.FloatField(null=True)),
                ("tier", models.SmallIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "customer_id"), name="staged_one_per_run"
                    )
                ],
            },
        ),
        migrations.RunPython(unlogged, migrations.RunPython.noop),
    ]
