from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from customers.models import Customer
        from customers.signals import customer_merging

        from . import receivers
        from .models import Order

        customer_merging.connect(receivers.move_orders_and_costs, dispatch_uid="orders.merge")
        post_save.connect(receivers.customer_saved, sender=Customer, dispatch_uid="orders.summary")
        post_save.connect(
            receivers.customer_owner_saved, sender=Customer, dispatch_uid="orders.owner_copy"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.order_saved_or_deleted, sender=Order, dispatch_uid="orders.summary"
            )
