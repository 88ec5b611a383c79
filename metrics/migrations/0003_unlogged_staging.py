"""Staged scores live only until a run publishes them: on PostgreSQL they skip the
write-ahead log (UNLOGGED), which halves the cost of staging a million rows. A database
crash empties the table; the publish step notices and fails the run, and a re-run stages
again."""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_stagedscore SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_stagedscore SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0002_recalcrun_timings")]

    operations = [migrations.RunPython(unlogged, logged)]
