"""The "score as of" setting: today (live, the default), the last order date, or a fixed date."""

import datetime
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0006_partitioned_snapshots"),
    ]

    operations = [
        migrations.AddField(
            model_name="metricsettings",
            name="as_of_date",
            field=models.DateField(
                blank=True,
                null=True,
                validators=[django.core.validators.MinValueValidator(datetime.date(1900, 1, 1))],
                verbose_name="fixed as-of date",
            ),
        ),
        migrations.AddField(
            model_name="metricsettings",
            name="as_of_mode",
            field=models.CharField(
                choices=[
                    ("live", "Today (live)"),
                    ("last_order", "The last order date"),
                    ("fixed", "A fixed date"),
                ],
                default="live",
                max_length=10,
                verbose_name="score as of",
            ),
        ),
    ]
