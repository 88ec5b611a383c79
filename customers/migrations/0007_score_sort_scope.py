"""``Customer.is_scored`` and its partial index: the customers a score-sorted list checks for
a missing score row (issue 14). Without it, proving that no customer lacks a score walked
every customer (1.1-2.7 s at a million, on a "jump to" past the scored ones).

The column is added with a database default of true, which PostgreSQL stores once without
rewriting a million rows, and the default then becomes false for the rows inserted from now
on. The existing customers that have no score row are set false by metrics 0013 (the
customers app does not read the scores); a full run sets the flag as it publishes.
"""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_search_prefix_indexes")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="is_scored",
            field=models.BooleanField(db_default=True, default=True, editable=False),
        ),
        migrations.AlterField(
            model_name="customer",
            name="is_scored",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["id"], condition=Q(is_scored=False), name="customer_not_scored"
            ),
        ),
    ]
