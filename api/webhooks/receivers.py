"""Signal receivers that turn changes into webhook events. Each waits for the change to
commit (a rolled-back change announces nothing) and then reads the object afresh, so an
order's event carries its lines and a customer's its tags."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save

from .models import Event

# Saves of a survey answer that change what it says (not e.g. its follow-up task link).
_ANSWER_FIELDS = {"score", "comment"}


def _after_commit(event, model_name, pk):
    from . import events

    transaction.on_commit(partial(events.object_event, event, model_name, pk), robust=True)


def customer_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        _after_commit(
            Event.CUSTOMER_CREATED if created else Event.CUSTOMER_UPDATED, "customer", instance.pk
        )


def order_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        _after_commit(Event.ORDER_CREATED if created else Event.ORDER_UPDATED, "order", instance.pk)


def response_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or update_fields is None or _ANSWER_FIELDS & set(update_fields):
        _after_commit(Event.SURVEY_RESPONSE, "response", instance.pk)


def tier_changed(sender, changes, **kwargs):
    """metrics.signals.tier_changed, sent after the commit of the write."""
    from .services import tier_changes_emit

    tier_changes_emit(changes=changes)


def connect():
    from customers.models import Customer
    from metrics.signals import tier_changed as metrics_tier_changed
    from orders.models import Order
    from surveys.models import Response

    post_save.connect(customer_saved, sender=Customer, dispatch_uid="api.webhooks.customer")
    post_save.connect(order_saved, sender=Order, dispatch_uid="api.webhooks.order")
    post_save.connect(response_saved, sender=Response, dispatch_uid="api.webhooks.response")
    metrics_tier_changed.connect(tier_changed, dispatch_uid="api.webhooks.tier_changed")
