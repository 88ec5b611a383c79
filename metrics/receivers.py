"""Changes elsewhere that make a customer's metrics stale. Each receiver records a durable
dirty mark in the same transaction as the change (metrics.services.customers_mark_dirty);
the recalculation itself runs in a worker after the commit. Others keep the score totals
(metrics.totals) right when a customer's score row goes or its acquiring campaign changes,
in the transaction of the change."""

from django.db.models import Q

from . import totals
from .models import CustomerScore
from .services import customers_mark_dirty


def order_or_cost_changed(sender, instance, **kwargs):
    customers_mark_dirty(customer_ids=[instance.customer_id])


def customer_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    if raw:
        return
    customers_mark_dirty(customer_ids=[instance.pk])
    copied = {"status", "owner"}
    if not created and (update_fields is None or copied.intersection(update_fields)):
        # The status and owner copied onto the score row (CustomerScore.customer_status,
        # customer_owner).
        owner = instance.owner_id
        same_owner = Q(customer_owner__isnull=True) if owner is None else Q(customer_owner=owner)
        CustomerScore.objects.filter(customer_id=instance.pk).exclude(
            same_owner, customer_status=instance.status
        ).update(customer_status=instance.status, customer_owner=owner)


def customer_deleted(sender, instance, **kwargs):
    # The customer's own score goes with it; whoever referred them loses influence.
    customers_mark_dirty(customer_ids=[instance.referred_by_id])


def response_changed(sender, instance, **kwargs):
    customers_mark_dirty(customer_ids=[instance.invitation.customer_id])


def customers_merged(sender, *, survivor, duplicate, **kwargs):
    customers_mark_dirty(customer_ids=[survivor.pk, duplicate.referred_by_id])


def customer_deleting(sender, instance, **kwargs):
    """Customer pre_delete: its score row goes with it, and out of the totals."""
    totals.customer_deleting(instance.pk)


# Set by customer_saving on the instance being saved: its acquiring campaign before.
_CAMPAIGN_BEFORE = "_score_totals_campaign_before"


def customer_saving(sender, instance, raw=False, update_fields=None, **kwargs):
    """Customer pre_save: note the acquiring campaign stored now (its row locked), for
    customer_campaign_saved to move the customer's CLV if it changes."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and "acquired_by_campaign" not in update_fields:
        return
    before = totals.acquiring_campaigns([instance.pk], lock=True)
    if instance.pk in before:
        setattr(instance, _CAMPAIGN_BEFORE, before[instance.pk])


def customer_campaign_saved(sender, instance, created=False, raw=False, **kwargs):
    """Customer post_save: a changed acquiring campaign takes the customer's CLV along; a
    new customer counts among those its campaign acquired."""
    if created and not raw:
        totals.customers_created([instance])
    if raw or not hasattr(instance, _CAMPAIGN_BEFORE):
        return
    before = getattr(instance, _CAMPAIGN_BEFORE)
    delattr(instance, _CAMPAIGN_BEFORE)
    totals.campaigns_moved({instance.pk: (before, instance.acquired_by_campaign_id)})


def campaign_deleted(sender, instance, **kwargs):
    """Campaign post_delete: its customers' campaign was emptied, so it has no total."""
    totals.campaign_deleted(instance.pk)
