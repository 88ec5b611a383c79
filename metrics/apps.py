from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self):
        from customers.models import Customer
        from customers.signals import customer_merging
        from orders.models import CustomerCost, Order
        from surveys.models import Response

        from . import receivers

        for model in (Order, CustomerCost):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.order_or_cost_changed,
                    sender=model,
                    dispatch_uid=f"metrics.{model.__name__}.{id(signal)}",
                )
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.response_changed,
                sender=Response,
                dispatch_uid=f"metrics.response.{id(signal)}",
            )
        post_save.connect(receivers.customer_saved, sender=Customer, dispatch_uid="metrics.cs")
        post_delete.connect(receivers.customer_deleted, sender=Customer, dispatch_uid="metrics.cd")
        customer_merging.connect(receivers.customers_merged, dispatch_uid="metrics.merge")
