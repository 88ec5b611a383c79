from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Campaign(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", pgettext_lazy("campaign channel", "Email")
        SEARCH_ADS = "search_ads", _("Search ads")
        SOCIAL = "social", _("Social")
        EVENTS = "events", _("Events")
        REFERRAL = "referral", _("Referral")
        PARTNER = "partner", _("Partner")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel, default=Channel.OTHER)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.pk])

    def clean(self):
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The campaign cannot end before it starts.")})


class SpendEntry(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="spend_entries", verbose_name=_("campaign")
    )
    spent_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-spent_on", "-id"]
        verbose_name = _("spend entry")
        verbose_name_plural = _("spend entries")
        indexes = [models.Index(fields=["spent_on"], name="spend_date")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="spend_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.amount} on {self.spent_on}"


class AcquiredCount(models.Model):
    """How many customers a campaign acquired: the denominator of its CAC, read by the
    campaign pages, the dashboard, the cohort page and the value engine.

    Counting them on every read took an index scan of every acquired customer (359,000 at
    a million customers; 644 ms after a restart, issue 14). Each write that creates,
    deletes or moves a customer's acquiring campaign adds its change here in its own
    transaction (``campaigns.services.acquired_add``, called where those changes are
    seen: ``metrics.totals``, the bulk paths); ``acquired_recount`` counts afresh (the
    demo loader, ``manage.py rebuild_score_totals``). A table of its own, so saving a
    campaign never writes a stale count over a concurrent change."""

    campaign = models.OneToOneField(
        Campaign,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="acquired_count",
        verbose_name=_("campaign"),
    )
    customers = models.BigIntegerField(_("customers acquired"), default=0)

    class Meta:
        verbose_name = _("customers acquired")
        verbose_name_plural = _("customers acquired")

    def __str__(self):
        return f"{self.campaign_id}: {self.customers}"
