from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_WORDING = {
    "nps": {
        "question": _("How likely are you to recommend us to a friend or colleague?"),
        "follow_up_question": _("What is the main reason for your score?"),
    },
    "csat": {
        "question": _("How satisfied are you with our service?"),
        "follow_up_question": _("Anything you would like to tell us?"),
    },
}


class Survey(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        CSAT = "csat", _("CSAT (1–5)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind, default=Kind.NPS)
    question = models.CharField(_("question"), max_length=300)
    follow_up_question = models.CharField(
        _("follow-up question"),
        max_length=300,
        blank=True,
        help_text=_("Shown above the optional comment box; leave empty for no comment box."),
    )
    email_subject = models.CharField(_("email subject"), max_length=200)
    email_intro = models.TextField(
        _("email introduction"), blank=True, help_text=_("A short paragraph above the question.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT, db_index=True
    )
    closes_on = models.DateField(
        _("closes on"),
        null=True,
        blank=True,
        help_text=_("Answers are accepted until the end of this day."),
    )
    send_reminder = models.BooleanField(
        _("send one reminder"),
        default=True,
        help_text=_("Remind those who have not answered after the reminder delay (a setting)."),
    )
    trigger_days_after_paid = models.PositiveSmallIntegerField(
        _("send N days after an order is paid"),
        null=True,
        blank=True,
        help_text=_(
            "CSAT only. When set, the survey stays open and invites each customer of the "
            "audience this many days after one of their orders is paid."
        ),
    )
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    scheduled_for = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Whose customer scope the audience is resolved in when the task runs later.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        permissions = [("send_survey", _("Can send and close surveys"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger_days_after_paid__isnull=True) | Q(kind="csat"),
                name="survey_trigger_only_csat",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("surveys:detail", args=[self.pk])

    def clean(self):
        if self.trigger_days_after_paid is not None and self.kind != self.Kind.CSAT:
            raise ValidationError(
                {"trigger_days_after_paid": _("Only CSAT surveys can follow paid orders.")}
            )

    @property
    def is_triggered(self):
        return self.trigger_days_after_paid is not None

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    @property
    def scale(self):
        return range(11) if self.kind == self.Kind.NPS else range(1, 6)

    def accepts_answers_on(self, day):
        """Answers count while invitations go out and until the end of the closing day."""
        return self.status in (self.Status.SENDING, self.Status.OPEN) and (
            self.closes_on is None or day <= self.closes_on
        )

    def band(self, score):
        """One of "good", "neutral", "bad": promoter / passive / detractor for NPS,
        satisfied / neutral / dissatisfied for CSAT."""
        if self.kind == self.Kind.NPS:
            return "good" if score >= 9 else "neutral" if score >= 7 else "bad"
        return "good" if score >= 4 else "neutral" if score == 3 else "bad"

    def band_label(self, band):
        return band_labels(self.kind)[band]


def band_labels(kind):
    if kind == Survey.Kind.NPS:
        return {"good": _("Promoters"), "neutral": _("Passives"), "bad": _("Detractors")}
    return {"good": _("Satisfied"), "neutral": _("Neutral"), "bad": _("Dissatisfied")}


def band_filter(kind, band, field="score"):
    """The Q object selecting one band's scores; see Survey.band."""
    bounds = {
        Survey.Kind.NPS: {"good": (9, 10), "neutral": (7, 8), "bad": (0, 6)},
        Survey.Kind.CSAT: {"good": (4, 5), "neutral": (3, 3), "bad": (1, 2)},
    }[kind][band]
    return Q(**{f"{field}__gte": bounds[0], f"{field}__lte": bounds[1]})


class InvitationQuerySet(models.QuerySet):
    def delivered(self):
        return self.filter(state=Invitation.State.SENT)

    def blocking_resurvey(self, since):
        """Invitations that make a customer "recently surveyed": sent since ``since`` or
        about to be sent."""
        return self.filter(
            Q(state=Invitation.State.SENT, sent_at__gte=since)
            | Q(state__in=[Invitation.State.PENDING, Invitation.State.SENDING])
        )


class Invitation(models.Model):
    """One customer asked once in one survey. ``state`` is claimed with a conditional UPDATE
    before an email goes out, so a crashed or duplicated task never emails anyone twice."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Opted out between the audience being drawn and the email going out.
        SKIPPED = "skipped", _("Skipped (opted out)")
        # Claimed by a worker that never reported back: maybe delivered, maybe not, so
        # never retried automatically.
        INTERRUPTED = "interrupted", _("Interrupted")

    class ReminderState(models.TextChoices):
        NONE = "none", _("Not reminded")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Reminded")
        FAILED = "failed", _("Reminder failed")
        SKIPPED = "skipped", _("Not reminded (opted out)")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("order"),
        help_text=_("The paid order that triggered this invitation."),
    )
    email = models.EmailField(_("email"))
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State, default=State.PENDING, db_index=True
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    reminder_state = models.CharField(
        _("reminder"), max_length=10, choices=ReminderState, default=ReminderState.NONE
    )
    reminder_claimed_at = models.DateTimeField(_("reminder claimed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["survey", "state"], name="invitation_survey_state"),
            models.Index(fields=["customer", "sent_at"], name="invitation_customer_sent"),
            # The API's list in its default order, by keyset (issue 14).
            models.Index(fields=["created_at", "id"], name="invitation_created_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "order"],
                condition=Q(order__isnull=False),
                name="invitation_one_per_survey_order",
            ),
        ]

    def __str__(self):
        return f"{self.survey} → {self.email}"


class Response(models.Model):
    """The answer to one invitation. Edited in place while the survey is open: the latest
    answer is the one that counts."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation")
    )
    # The invitation's survey, copied so that a survey's comments are one range of an index
    # in their order (response_survey_comments). Written by ``save`` from the invitation,
    # whose survey never changes; deleted with the invitation, so no constraint of its own.
    survey = models.ForeignKey(
        Survey,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        editable=False,
        related_name="+",
        verbose_name=_("survey"),
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    responded_at = models.DateTimeField(_("first answered"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now)
    edit_count = models.PositiveSmallIntegerField(_("changes"), default=0)
    follow_up_task = models.ForeignKey(
        "customers.Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up task"),
    )

    class Meta:
        ordering = ["-responded_at", "-id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            # The API's incremental sync: ?updated_since= pages in (updated_at, id) order.
            models.Index(fields=["updated_at", "id"], name="response_updated_id"),
            # A survey's comments by keyset (surveys.selectors.COMMENTS_ORDER).
            models.Index(
                fields=["survey", "updated_at", "id"],
                condition=~Q(comment=""),
                name="response_survey_comments",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="response_score_range"),
        ]

    def __str__(self):
        return f"{self.invitation}: {self.score}"

    def save(self, *args, **kwargs):
        # Every path (the answer page, the admin, a test's factory) copies the survey; a
        # save of named fields leaves it as it is.
        if kwargs.get("update_fields") is None:
            self.survey_id = self.invitation.survey_id
        super().save(*args, **kwargs)

    @property
    def band(self):
        return self.invitation.survey.band(self.score)
