from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self):
        from campaigns.models import Campaign
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
        # The score totals (metrics.totals) follow deletions and changes of campaign.
        pre_delete.connect(
            receivers.customer_deleting, sender=Customer, dispatch_uid="metrics.totals.cd"
        )
        pre_save.connect(
            receivers.customer_saving, sender=Customer, dispatch_uid="metrics.totals.cs"
        )
        post_save.connect(
            receivers.customer_campaign_saved, sender=Customer, dispatch_uid="metrics.totals.cc"
        )
        post_delete.connect(
            receivers.campaign_deleted, sender=Campaign, dispatch_uid="metrics.totals.campaign"
        )
        customer_merging.connect(receivers.customers_merged, dispatch_uid="metrics.merge")
