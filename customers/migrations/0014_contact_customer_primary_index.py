"""The API's contacts paged by keyset (api.views.customers.ContactViewSet): an index in the
list's order, each customer's contacts together, the primary one first. It starts with the
customer, so the foreign key's own index goes (built first, so a customer's contacts are
never without one)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_open_task_keyset_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["customer", "-is_primary", "id"], name="contact_customer_primary_id"
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="contacts",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
    ]
