from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from . import receivers
        from .models import Customer, Tag

        for model in (get_user_model(), Tag):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.chooser_changed,
                    sender=model,
                    dispatch_uid=f"customers.choices.{model.__name__}.{id(signal)}",
                )
        post_save.connect(
            receivers.customer_saved, sender=Customer, dispatch_uid="customers.regions"
        )
