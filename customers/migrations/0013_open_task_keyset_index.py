"""A user's open tasks ("My tasks") page by keyset in (due_on, id) order: the partial index
of open tasks by assignee and due date gains the id as its tie-breaker and replaces the one
without it (which the task reminders' (assignee, due_on, id) order reads as well)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_list_order_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new index first: open tasks are never without one.
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("done", False), ("kind", "task")),
                fields=["assignee", "due_on", "id"],
                name="activity_open_task_due_id",
            ),
        ),
        migrations.RemoveIndex(model_name="activity", name="activity_open_task"),
    ]
