"""Company-wide totals over the current scores (``ScoreTotal``), kept by the value engine
when it writes scores, so the dashboard reads a few hundred rows instead of a million
(issue 14). Filled by ``manage.py rebuild_score_totals`` (and by every full run)."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("metrics", "0011_score_value_api_index")]

    operations = [
        migrations.CreateModel(
            name="ScoreTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("rows", "Score rows"),
                            ("scored", "Scored customers"),
                            ("as_of", "Score date"),
                            ("bucket", "Value score bucket"),
                            ("tier", "Tier"),
                            ("rfm", "RFM cell"),
                            ("campaign", "Acquiring campaign"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("key", models.CharField(blank=True, max_length=40, verbose_name="key")),
                ("customers", models.BigIntegerField(default=0, verbose_name="customers")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        max_digits=20,
                        verbose_name="amount",
                    ),
                ),
            ],
            options={
                "verbose_name": "score total",
                "verbose_name_plural": "score totals",
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "key"), name="score_total_unique")
                ],
            },
        ),
    ]
