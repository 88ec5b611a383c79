from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_UPDATED = "customer.updated", _("Customer updated")
    ORDER_CREATED = "order.created", _("Order created")
    ORDER_UPDATED = "order.updated", _("Order updated")
    CUSTOMER_DELETED = "customer.deleted", _("Customer deleted")
    ORDER_DELETED = "order.deleted", _("Order deleted")
    SURVEY_RESPONSE = "survey.response", _("Survey answered (or answer changed)")
    DETRACTOR_RESPONSE = "survey.detractor", _("Unhappy survey answer (NPS detractor, CSAT 1–2)")
    TIER_CHANGED = "score.tier_changed", _("Value tier changed after a recalculation")


# Not an event a webhook subscribes to: a test sent to one webhook on request.
PING = "webhook.ping"
# Every type an outbox event or a delivery can have.
EVENT_TYPES = [*Event.choices, (PING, _("Test ping"))]
# Deletions are announced with the deleted object's id and external id (a tombstone).
DELETION_EVENTS = {"customer": Event.CUSTOMER_DELETED, "order": Event.ORDER_DELETED}


class Webhook(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("secret"),
        max_length=200,
        help_text=_("Shared with the receiver, which checks each delivery's signature with it."),
    )
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.url

    def get_absolute_url(self):
        return reverse("api_pages:webhook_detail", args=[self.pk])

    def event_labels(self):
        labels = dict(Event.choices)
        return [labels.get(event, event) for event in self.events]


class OutboxEvent(models.Model):
    """Something that happened, written in the transaction of the change itself (the
    outbox), so that a change committed is an event that will be delivered, whatever
    happens to the process afterwards. A worker turns it into one delivery per subscribed
    webhook (``dispatched_at`` set in the same transaction). ``data`` is the object's id
    until then (with the object's external id for a deletion, whose data it stays); the
    dispatch replaces it with the object as the API shows it. Kept EVENT_RETENTION days."""

    type = models.CharField(_("event"), max_length=40, choices=EVENT_TYPES)
    object_type = models.CharField(_("object type"), max_length=20, blank=True)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict)
    # A ping is for this webhook only; other events go to every webhook subscribed.
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["created_at", "id"], name="event_time"),
            models.Index(fields=["type", "created_at", "id"], name="event_type_time"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"


class WebhookDelivery(models.Model):
    """One event sent to one webhook. ``next_attempt_at`` is when it is due; a worker claims
    it by moving that forward (a conditional UPDATE), so two workers never send it at once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(
        Webhook,
        on_delete=models.CASCADE,
        db_index=False,  # led by it: delivery_webhook_created_id
        related_name="deliveries",
        verbose_name=_("webhook"),
    )
    event = models.CharField(_("event"), max_length=40, choices=EVENT_TYPES)
    # One delivery per event and webhook (a second dispatch of the event creates none).
    outbox_event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("event"),
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due",
            ),
            # A webhook's log by keyset (api.webhooks.selectors.DELIVERIES_ORDER).
            models.Index(
                fields=["webhook", "created_at", "id"], name="delivery_webhook_created_id"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["outbox_event", "webhook"], name="delivery_once_per_event"
            )
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.status})"
