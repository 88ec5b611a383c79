"""Score totals per first purchase day (``first_day``): the CLV of the customers whose first
purchase was that day, so the dashboard's average CLV of a period's new customers adds up a
few hundred totals instead of looking up each new customer's score (issue 14). Filled here
from the current scores, as ``metrics.totals`` keeps them from now on."""

from django.db import migrations, models

# As metrics.totals adds them up: the customers with a CLV (predicted, else simple) and
# its sum, per ISO date of the score's first purchase.
FILL = """
INSERT INTO metrics_scoretotal (kind, "key", customers, amount)
SELECT 'first_day', {day}, COUNT(COALESCE(predicted_clv, simple_clv)),
       COALESCE(SUM(COALESCE(predicted_clv, simple_clv)), 0)
FROM metrics_customerscore
WHERE first_order_on IS NOT NULL
GROUP BY first_order_on
"""


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    day = "to_char(first_order_on, 'YYYY-MM-DD')" if vendor == "postgresql" else "first_order_on"
    schema_editor.execute(FILL.format(day=day))


def empty(apps, schema_editor):
    schema_editor.execute("DELETE FROM metrics_scoretotal WHERE kind = 'first_day'")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0014_score_customer_status")]

    operations = [
        migrations.AlterField(
            model_name="scoretotal",
            name="kind",
            field=models.CharField(
                choices=[
                    ("rows", "Score rows"),
                    ("scored", "Scored customers"),
                    ("as_of", "Score date"),
                    ("bucket", "Value score bucket"),
                    ("tier", "Tier"),
                    ("rfm", "RFM cell"),
                    ("campaign", "Acquiring campaign"),
                    ("first_day", "First purchase day"),
                ],
                max_length=10,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(fill, empty),
    ]
