"""The customer list's keyset orders on the score table (issue 14): each sort key with the
customer id as tie-breaker, and the same led by tier and by segment for those filters."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0008_verbose_names"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="customerscore",
            name="score_value_desc",
        ),
        migrations.RemoveIndex(
            model_name="customerscore",
            name="score_churn_risk",
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["-value_score", "-customer"], name="score_value_desc"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["churn_risk", "customer"], name="score_churn_risk"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["revenue", "customer"], name="score_revenue"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["tier", "value_score", "customer"], name="score_tier_value"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["tier", "churn_risk", "customer"], name="score_tier_churn"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(fields=["tier", "revenue", "customer"], name="score_tier_revenue"),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                fields=["segment", "value_score", "customer"], name="score_segment_value"
            ),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                fields=["segment", "churn_risk", "customer"], name="score_segment_churn"
            ),
        ),
        migrations.AddIndex(
            model_name="customerscore",
            index=models.Index(
                fields=["segment", "revenue", "customer"], name="score_segment_revenue"
            ),
        ),
    ]
