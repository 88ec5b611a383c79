"""Receivers of other apps' signals."""

from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from . import summary
from .models import CustomerCost, CustomerDay, Order


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


def customer_owner_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    """Customer post_save: the owner copied onto the customer's orders (Order.customer_owner)
    and purchase summary (CustomerDay.customer_owner) follows, in the transaction of the
    change, whose save locked the customer's row (services.customer_owners_locked). A new
    customer has no orders yet."""
    if raw or created or (update_fields is not None and "owner" not in update_fields):
        return
    for model in (Order, CustomerDay):
        model.objects.filter(customer_id=instance.pk).exclude(
            customer_owner_id=instance.owner_id
        ).update(customer_owner_id=instance.owner_id)


def move_orders_and_costs(sender, *, survivor, duplicate, user, **kwargs):
    """customers.signals.customer_merging: the duplicate's orders and costs join the
    survivor. Orders keep a history record of the move; costs have no history."""
    orders = list(Order.objects.filter(customer=duplicate))
    now = timezone.now()
    for order in orders:
        order.customer = survivor
        # The survivor's row is locked by the merge; if it takes the duplicate's owner, its
        # save copies that onto every order of theirs (customer_owner_saved).
        order.customer_owner_id = survivor.owner_id
        order.updated_at = now  # bulk updates skip auto_now; a sync by updated_since reads it
    bulk_update_with_history(
        orders,
        Order,
        ["customer", "customer_owner", "updated_at"],
        batch_size=500,
        default_user=user,
        default_change_reason=_("Customer merged into %(survivor)s") % {"survivor": survivor},
    )
    CustomerCost.objects.filter(customer=duplicate).update(customer=survivor)
    summary.refresh_customers([survivor.pk, duplicate.pk])
