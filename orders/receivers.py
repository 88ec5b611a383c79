"""Receivers of other apps' signals."""

from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from . import summary
from .models import CustomerCost, Order


def order_saved_or_deleted(sender, instance, raw=False, **kwargs):
    """Order post_save and post_delete: the customer's purchase summary follows, in the
    same transaction. (A change of customer refreshes the previous one in the service.)"""
    if not raw:
        summary.refresh_customers([instance.customer_id])


def customer_saved(sender, instance, raw=False, **kwargs):
    """Customer post_save: a change of status, churn date or acquiring campaign reaches
    the summary rows."""
    if not raw:
        summary.customer_saved(instance)


def move_orders_and_costs(sender, *, survivor, duplicate, user, **kwargs):
    """customers.signals.customer_merging: the duplicate's orders and costs join the
    survivor. Orders keep a history record of the move; costs have no history."""
    orders = list(Order.objects.filter(customer=duplicate))
    now = timezone.now()
    for order in orders:
        order.customer = survivor
        order.updated_at = now  # bulk updates skip auto_now; a sync by updated_since reads it
    bulk_update_with_history(
        orders,
        Order,
        ["customer", "updated_at"],
        batch_size=500,
        default_user=user,
        default_change_reason=_("Customer merged into %(survivor)s") % {"survivor": survivor},
    )
    CustomerCost.objects.filter(customer=duplicate).update(customer=survivor)
    summary.refresh_customers([survivor.pk, duplicate.pk])
