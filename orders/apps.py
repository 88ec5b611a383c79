from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from customers.signals import customer_merging

        from . import receivers

        customer_merging.connect(receivers.move_orders_and_costs, dispatch_uid="orders.merge")
