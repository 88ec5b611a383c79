"""Signal receivers that turn changes into events, written in the transaction of the
change (the outbox, api.webhooks.models.OutboxEvent): a rolled-back change announces
nothing, and a committed one is delivered whatever happens to the process afterwards."""

from django.db.models.signals import post_delete, post_save

from .models import Event

# Saves of a survey answer that change what it says (not e.g. its follow-up task link).
_ANSWER_FIELDS = {"score", "comment"}


def _record(events):
    from . import services

    services.events_record(events=events)


def _object_event(event, object_type, instance):
    from . import services

    return services.object_event(event=event, object_type=object_type, instance=instance)


def customer_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        event = Event.CUSTOMER_CREATED if created else Event.CUSTOMER_UPDATED
        _record([_object_event(event, "customer", instance)])


def order_saved(sender, instance, created, raw=False, **kwargs):
    if not raw:
        event = Event.ORDER_CREATED if created else Event.ORDER_UPDATED
        _record([_object_event(event, "order", instance)])


def response_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or update_fields is None or _ANSWER_FIELDS & set(update_fields):
        events = [_object_event(Event.SURVEY_RESPONSE, "response", instance)]
        if instance.band == "bad":
            events.append(_object_event(Event.DETRACTOR_RESPONSE, "response", instance))
        _record(events)


def customer_deleted(sender, instance, **kwargs):
    from . import services

    event = services.deletion_event(
        object_type="customer", instance=instance, owner_id=instance.owner_id
    )
    _record([event])


def order_deleted(sender, instance, **kwargs):
    from customers.models import Customer

    from . import services

    # In a cascade the customer row may be gone already; its owner is read if it is not.
    owner_id = Customer.objects.filter(pk=instance.customer_id).values_list("owner_id").first()
    event = services.deletion_event(
        object_type="order", instance=instance, owner_id=owner_id[0] if owner_id else None
    )
    _record([event])


def tier_changed(sender, changes, **kwargs):
    """metrics.signals.tier_changed, sent inside the transaction of the write."""
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
    post_delete.connect(customer_deleted, sender=Customer, dispatch_uid="api.webhooks.customer_d")
    post_delete.connect(order_deleted, sender=Order, dispatch_uid="api.webhooks.order_d")
    metrics_tier_changed.connect(tier_changed, dispatch_uid="api.webhooks.tier_changed")
