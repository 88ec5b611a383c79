"""The high churn band's rows by value score and by revenue (issue 14).

A manager's customer list filtered to the high churn band (churn risk 0.7 or more,
``customers.selectors.CHURN_RISK_BANDS``) and sorted by value score walked the value index
past 17,407 rows to find a page's 26 (53 ms at a million customers): the band runs against
the value. Partial indexes hold the band's 132,000 rows alone (3 ms); a full run's swap
copies them onto the new table with the others (metrics/swap.py)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_owner_region_status_index"),
        ("metrics", "0020_blank_includes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                condition=models.Q(("churn_risk__gte", 0.7)),
                fields=["-value_score", "-customer"],
                name="score_high_churn_value",
            ),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                condition=models.Q(("churn_risk__gte", 0.7)),
                fields=["revenue", "customer"],
                name="score_high_churn_revenue",
            ),
        ),
    ]
