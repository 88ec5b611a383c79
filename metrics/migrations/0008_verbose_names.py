# Verbose names for the admin (no schema change: every operation is a no-op in SQL).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_scoring_as_of"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="populationstats",
            options={
                "get_latest_by": "created_at",
                "ordering": ["-created_at", "-id"],
                "verbose_name": "population statistics",
                "verbose_name_plural": "population statistics",
            },
        ),
        migrations.AlterModelOptions(
            name="recalcchunk",
            options={
                "ordering": ["run", "index"],
                "verbose_name": "recalculation chunk",
                "verbose_name_plural": "recalculation chunks",
            },
        ),
        migrations.AlterModelOptions(
            name="scoresnapshot",
            options={
                "ordering": ["customer", "as_of"],
                "verbose_name": "score snapshot",
                "verbose_name_plural": "score snapshots",
            },
        ),
        migrations.AlterField(
            model_name="populationstats",
            name="run",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="stats",
                to="metrics.recalcrun",
                verbose_name="recalculation run",
            ),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="done",
            field=models.BooleanField(default=False, verbose_name="done"),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="first_id",
            field=models.BigIntegerField(verbose_name="first customer id"),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="index",
            field=models.PositiveIntegerField(verbose_name="index"),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="last_id",
            field=models.BigIntegerField(verbose_name="last customer id"),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chunks",
                to="metrics.recalcrun",
                verbose_name="recalculation run",
            ),
        ),
        migrations.AlterField(
            model_name="recalcchunk",
            name="size",
            field=models.PositiveIntegerField(verbose_name="customers"),
        ),
        migrations.AlterField(
            model_name="scoresnapshot",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="score_snapshots",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
    ]
