"""The purchase summary's tables. The summary of the orders already there was written here
by today's orders.summary, which writes columns later migrations add: 0009 writes it."""

import datetime

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_updated_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("month", models.DateField()),
                ("first_month", models.DateField()),
                ("purchases", models.PositiveIntegerField()),
                ("revenue", models.DecimalField(decimal_places=2, max_digits=16)),
                ("cost", models.DecimalField(decimal_places=2, max_digits=16)),
                ("prev_day", models.DateField(null=True)),
                ("next_day", models.DateField()),
                ("counts_until", models.DateField()),
                ("campaign", models.IntegerField(default=0)),
                (
                    "customer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["day"],
                        include=("next_day", "counts_until", "revenue", "cost", "month"),
                        name="customer_day_day",
                    ),
                    models.Index(
                        condition=models.Q(("counts_until__lt", datetime.date(9999, 12, 31))),
                        fields=["counts_until"],
                        name="customer_day_churn",
                    ),
                    models.Index(
                        condition=models.Q(("prev_day__isnull", True)),
                        fields=["day"],
                        name="customer_day_first",
                    ),
                    models.Index(fields=["first_month", "month"], name="customer_day_cohort"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("customer", "day"), name="customer_day_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="CustomerSpell",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.DateField()),
                ("end", models.DateField()),
                ("prev_end", models.DateField(null=True)),
                (
                    "customer",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["start"],
                        include=("end", "prev_end"),
                        name="customer_spell_start",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("customer", "start"), name="customer_spell_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="DayFlow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(unique=True)),
                ("revenue", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("cost", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("starts", models.IntegerField(default=0)),
                ("ends", models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="CohortDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("campaign", models.IntegerField()),
                ("first_month", models.DateField()),
                ("day", models.DateField()),
                ("buyers", models.IntegerField(default=0)),
                ("revenue", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("cost", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
            ],
            options={
                "indexes": [models.Index(fields=["campaign", "day"], name="cohort_day_campaign")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("first_month", "day", "campaign"), name="cohort_day_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SummaryWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("days", models.PositiveIntegerField()),
            ],
        ),
    ]
