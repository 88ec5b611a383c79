"""Changes elsewhere that make a customer's metrics stale. Each receiver records a durable
dirty mark in the same transaction as the change (metrics.services.customers_mark_dirty);
the recalculation itself runs in a worker after the commit."""

from .services import customers_mark_dirty


def order_or_cost_changed(sender, instance, **kwargs):
    customers_mark_dirty(customer_ids=[instance.customer_id])


def customer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        customers_mark_dirty(customer_ids=[instance.pk])


def customer_deleted(sender, instance, **kwargs):
    # The customer's own score goes with it; whoever referred them loses influence.
    customers_mark_dirty(customer_ids=[instance.referred_by_id])


def response_changed(sender, instance, **kwargs):
    customers_mark_dirty(customer_ids=[instance.invitation.customer_id])


def customers_merged(sender, *, survivor, duplicate, **kwargs):
    customers_mark_dirty(customer_ids=[survivor.pk, duplicate.referred_by_id])
