"""Writes of surveys: design, sending, reminders, answers and the closed loop.

Sending is at most once per invitation: each invitation is claimed (pending -> sending)
with a conditional UPDATE before its email goes out and marked sent after. A task that
dies in between leaves the invitation "sending"; ``stale_claims_interrupt`` later marks it
interrupted rather than sending it again, because the email may have left. The time of the
claim is the clock's, so the claims also show that a sender is alive: once none has been
made for a lease, the recovery sweep gives the rest of the survey to another worker
(``selectors.surveys_with_stalled_sends``).
"""

import smtplib
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.languages import user_language
from core.queue import enqueue_on_commit
from core.services import SYSTEM, check_fields, require_permission
from core.types import Actor
from customers.models import Activity, Customer
from customers.services import activity_create

from . import emails, selectors, tokens
from .models import DEFAULT_WORDING, Invitation, Response, Survey

# Errors of an email backend that mean "this message did not go out".
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)
# A claim older than this belongs to a worker that died (a batch takes seconds).
STALE_CLAIM = timedelta(minutes=15)
# The triggered sweep also looks this many days further back, so a missed run catches up.
TRIGGER_CATCH_UP_DAYS = 3
FOLLOW_UP_DUE_DAYS = 2
_INVITATION_INSERT_BATCH = 1000
EDITABLE_AFTER_SENDING = {"closes_on", "send_reminder"}
# A survey's design, what a caller may set; the audience is set by ``survey_audience_set``
# (or given at creation), the life cycle (status, dates, sender) by the sending functions.
SURVEY_FIELDS = frozenset(
    {
        "name",
        "kind",
        "question",
        "follow_up_question",
        "email_subject",
        "email_intro",
        "closes_on",
        "send_reminder",
        "trigger_days_after_paid",
    }
)


def _check(user: Actor, permission: str) -> None:
    require_permission(user, permission, message=_("Only administrators can do this."))


def _fill_default_wording(survey: Survey) -> None:
    defaults = DEFAULT_WORDING[survey.kind]
    survey.question = survey.question or str(defaults["question"])
    if not survey.pk and not survey.follow_up_question:
        survey.follow_up_question = str(defaults["follow_up_question"])
    survey.email_subject = survey.email_subject or _("A quick question: %(survey)s") % {
        "survey": survey.name
    }


# --- Design ----------------------------------------------------------------------------


@transaction.atomic
def survey_create(*, user: Actor, **fields: Any) -> Survey:
    """A survey from the SURVEY_FIELDS given, and optionally its ``audience``."""
    check_fields(fields, SURVEY_FIELDS | {"audience"}, service="survey_create")
    _check(user, "surveys.add_survey")
    fields.setdefault("audience", {"mode": "filters", "status": "active"})
    survey = Survey(created_by=user, **fields)
    _fill_default_wording(survey)
    survey.full_clean()
    survey.save()
    return survey


@transaction.atomic
def survey_update(*, user: Actor, survey: Survey, **fields: Any) -> Survey:
    """Change the SURVEY_FIELDS given; once sent, only EDITABLE_AFTER_SENDING."""
    check_fields(fields, SURVEY_FIELDS, service="survey_update")
    _check(user, "surveys.change_survey")
    if survey.status == Survey.Status.CLOSED:
        raise ValidationError(_("A closed survey cannot be edited."))
    if not survey.is_editable and any(
        value != getattr(survey, name)
        for name, value in fields.items()
        if name not in EDITABLE_AFTER_SENDING
    ):
        raise ValidationError(_("Only the closing date and reminder can change once sent."))
    for name, value in fields.items():
        setattr(survey, name, value)
    _fill_default_wording(survey)
    survey.full_clean()
    survey.save()
    return survey


@transaction.atomic
def survey_audience_set(*, user: Actor, survey: Survey, audience: dict[str, Any]) -> Survey:
    _check(user, "surveys.change_survey")
    if not survey.is_editable:
        raise ValidationError(_("The audience cannot change once the survey has been sent."))
    survey.audience = audience
    survey.save(update_fields=["audience"])
    return survey


# --- Sending ---------------------------------------------------------------------------


@transaction.atomic
def survey_schedule(
    *, user: Actor, survey: Survey, now: datetime, send_at: datetime | None = None
) -> Survey:
    """Schedule the survey for ``send_at`` (default: now). The invitations are created when
    it starts, so the audience is drawn at that moment."""
    from .tasks import start_survey

    _check(user, "surveys.send_survey")
    if not survey.is_editable:
        raise ValidationError(_("This survey has already been sent."))
    send_at = send_at or now
    if survey.closes_on and survey.closes_on < timezone.localdate(send_at):
        raise ValidationError(_("The closing date is before the sending date."))
    if not survey.is_triggered and not _anyone_to_email(user=user, survey=survey, now=now):
        # A triggered survey's audience may fill up as orders are paid; a one-off one
        # would be "sent" to nobody.
        raise ValidationError(
            _(
                "No customer of this audience can be emailed (none match, or all opted out, "
                "have no email address or were surveyed recently). Change the audience first."
            )
        )
    survey.status = Survey.Status.SCHEDULED
    survey.scheduled_for = send_at
    survey.sent_by = user
    survey.save(update_fields=["status", "scheduled_for", "sent_by"])
    if send_at <= now:
        enqueue_on_commit(start_survey, survey.pk)
    return survey


def _anyone_to_email(*, user: Actor, survey: Survey, now: datetime) -> bool:
    if user is None:
        return True  # the system schedules no one-off survey; nothing to scope by
    customers, _unknown = selectors.audience_customers(user=user, criteria=survey.audience)
    return selectors.eligible_customers(customers, now=now).exists()


def survey_start(*, survey_id: int, now: datetime) -> bool:
    """Start a scheduled survey whose time has come; True when this call started it.

    The status change and the invitations are one transaction: a worker that dies here
    leaves the survey scheduled, and the next attempt starts it from scratch. A triggered
    survey opens without invitations; the sweep creates them as orders are paid.
    """
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return False
    with transaction.atomic():
        due = Survey.objects.filter(
            pk=survey_id, status=Survey.Status.SCHEDULED, scheduled_for__lte=now
        )
        # A start already under way holds the row: a repeated task returns at once
        # instead of waiting for it (on SQLite, which has no row locks, it waits).
        if not list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)):
            return False
        claimed = due.update(
            status=Survey.Status.OPEN if survey.is_triggered else Survey.Status.SENDING,
            started_at=now,
        )
        if not claimed:
            return False
        if not survey.is_triggered:
            _invitations_create(survey=survey, now=now)
    return True


def _invitations_create(*, survey: Survey, now: datetime) -> None:
    if survey.sent_by is None:
        return  # the sender's account is gone: no customer scope to draw the audience from
    customers, _unknown = selectors.audience_customers(
        user=survey.sent_by, criteria=survey.audience
    )
    eligible = selectors.eligible_customers(customers, now=now).order_by("pk")
    batch: list[Invitation] = []
    for customer_id, email in eligible.values_list("pk", "email").iterator(chunk_size=2000):
        batch.append(_new_invitation(survey=survey, customer_id=customer_id, email=email, now=now))
        if len(batch) == _INVITATION_INSERT_BATCH:
            Invitation.objects.bulk_create(batch)
            batch = []
    Invitation.objects.bulk_create(batch)


def _new_invitation(
    *,
    survey: Survey,
    customer_id: int,
    email: str,
    now: datetime,
    order_id: int | None = None,
) -> Invitation:
    return Invitation(
        survey=survey,
        customer_id=customer_id,
        order_id=order_id,
        email=email,
        token=tokens.new_token(),
        created_at=now,
    )


def invitations_send_batch(*, survey_id: int, now: datetime, batch_size: int | None = None) -> int:
    """Email up to ``batch_size`` pending invitations of the survey; returns how many were
    taken. When none are left, a survey that was sending opens."""
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    ids = list(
        Invitation.objects.filter(survey_id=survey_id, state=Invitation.State.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    if not ids:
        Survey.objects.filter(pk=survey_id, status=Survey.Status.SENDING).update(
            status=Survey.Status.OPEN
        )
        return 0
    invitations = (
        Invitation.objects.filter(pk__in=ids)
        .select_related("survey", "customer")
        .prefetch_related("customer__contacts")  # whom the email greets
    )
    with get_connection() as connection:
        for invitation in invitations.order_by("pk"):
            _send_one(invitation, now=now, connection=connection)
    return len(ids)


def _send_one(invitation: Invitation, *, now: datetime, connection: BaseEmailBackend) -> None:
    claimed = Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.PENDING).update(
        state=Invitation.State.SENDING, claimed_at=timezone.now()
    )
    if not claimed:
        return  # another worker has it
    mine = Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.SENDING)
    if invitation.customer.marketing_opt_out:
        mine.update(state=Invitation.State.SKIPPED)
        return
    try:
        emails.invitation_message(invitation, connection=connection).send()
    except SEND_ERRORS as exc:
        mine.update(state=Invitation.State.FAILED, error=str(exc)[:300])
        return
    mine.update(state=Invitation.State.SENT, sent_at=now, error="")


@transaction.atomic
def invitations_retry_failed(*, user: Actor, survey: Survey) -> int:
    """Put invitations whose email was refused back in the queue. Interrupted ones stay:
    their email may have gone out."""
    from .tasks import send_invitations

    _check(user, "surveys.send_survey")
    if survey.status == Survey.Status.CLOSED:
        raise ValidationError(_("The survey is closed."))
    count = survey.invitations.filter(state=Invitation.State.FAILED).update(
        state=Invitation.State.PENDING, error="", claimed_at=None
    )
    if count:
        Survey.objects.filter(pk=survey.pk, status=Survey.Status.OPEN).exclude(
            trigger_days_after_paid__isnull=False
        ).update(status=Survey.Status.SENDING)
        enqueue_on_commit(send_invitations, survey.pk)
    return count


def reminders_send(*, now: datetime, batch_size: int | None = None) -> int:
    """Remind, once, those who were emailed SURVEY_REMINDER_DAYS ago and have not
    answered, while their survey is open. Returns the number of reminders sent."""
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    today = timezone.localdate(now)
    due = Invitation.objects.filter(
        Q(survey__closes_on__isnull=True) | Q(survey__closes_on__gte=today),
        state=Invitation.State.SENT,
        sent_at__lte=now - timedelta(days=settings.SURVEY_REMINDER_DAYS),
        reminder_state=Invitation.ReminderState.NONE,
        response__isnull=True,
        survey__send_reminder=True,
        survey__status__in=[Survey.Status.SENDING, Survey.Status.OPEN],
    )
    sent = 0
    while ids := list(due.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        invitations = (
            Invitation.objects.filter(pk__in=ids)
            .select_related("survey", "customer")
            .prefetch_related("customer__contacts")  # whom the email greets
        )
        with get_connection() as connection:
            for invitation in invitations.order_by("pk"):
                sent += _remind_one(invitation, now=now, connection=connection)
    return sent


def _remind_one(invitation: Invitation, *, now: datetime, connection: BaseEmailBackend) -> int:
    state = Invitation.ReminderState
    claimed = Invitation.objects.filter(pk=invitation.pk, reminder_state=state.NONE).update(
        reminder_state=state.SENDING, reminder_claimed_at=now
    )
    if not claimed:
        return 0
    mine = Invitation.objects.filter(pk=invitation.pk, reminder_state=state.SENDING)
    if invitation.customer.marketing_opt_out:
        mine.update(reminder_state=state.SKIPPED)
        return 0
    try:
        emails.invitation_message(invitation, reminder=True, connection=connection).send()
    except SEND_ERRORS as exc:
        mine.update(reminder_state=state.FAILED, error=str(exc)[:300])
        return 0
    mine.update(reminder_state=state.SENT, reminded_at=now)
    return 1


def triggered_invitations_create(*, now: datetime) -> list[int]:
    """Invite customers of each open triggered survey whose order became paid N days ago
    (one invitation per survey and order at most, one per customer per run). Returns the
    ids of the surveys that got new invitations."""
    today = timezone.localdate(now)
    surveys = Survey.objects.filter(
        Q(closes_on__isnull=True) | Q(closes_on__gte=today),
        status=Survey.Status.OPEN,
        trigger_days_after_paid__isnull=False,
        sent_by__isnull=False,
    ).select_related("sent_by")
    touched: list[int] = []
    for survey in surveys:
        assert survey.trigger_days_after_paid is not None  # filtered above
        latest = today - timedelta(days=survey.trigger_days_after_paid)
        earliest = latest - timedelta(days=TRIGGER_CATCH_UP_DAYS)
        if survey.started_at:
            earliest = max(earliest, timezone.localdate(survey.started_at))
        if earliest > latest:
            continue
        if _triggered_for(survey=survey, start=earliest, end=latest, now=now):
            touched.append(survey.pk)
    return touched


@transaction.atomic
def _triggered_for(*, survey: Survey, start: date, end: date, now: datetime) -> int:
    assert survey.sent_by is not None  # only surveys with a sender are triggered
    customers, _unknown = selectors.audience_customers(
        user=survey.sent_by, criteria=survey.audience
    )
    eligible = selectors.eligible_customers(customers, now=now)
    orders = (
        selectors.paid_orders_between(start=start, end=end)
        .filter(customer__in=eligible)
        .exclude(pk__in=survey.invitations.filter(order__isnull=False).values("order_id"))
        .order_by("pk")
        .values_list("pk", "customer_id", "customer__email")
    )
    new: list[Invitation] = []
    seen: set[int] = set()
    for order_id, customer_id, email in orders:
        if customer_id not in seen:
            seen.add(customer_id)
            new.append(
                _new_invitation(
                    survey=survey, customer_id=customer_id, email=email, now=now, order_id=order_id
                )
            )
    Invitation.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def stale_claims_interrupt(*, now: datetime) -> int:
    """Invitations claimed by a worker that never reported back are marked interrupted
    (maybe delivered, maybe not) instead of being emailed again."""
    cutoff = now - STALE_CLAIM
    note = _("The sender stopped while sending; not retried, so nobody gets it twice.")
    count = Invitation.objects.filter(state=Invitation.State.SENDING, claimed_at__lt=cutoff).update(
        state=Invitation.State.INTERRUPTED, error=note
    )
    Invitation.objects.filter(
        reminder_state=Invitation.ReminderState.SENDING, reminder_claimed_at__lt=cutoff
    ).update(reminder_state=Invitation.ReminderState.FAILED, error=note)
    return count


# --- Closing ---------------------------------------------------------------------------


@transaction.atomic
def survey_close(*, user: Actor, survey: Survey, now: datetime) -> Survey:
    _check(user, "surveys.send_survey")
    if survey.status == Survey.Status.CLOSED:
        return survey
    # Invitations not yet emailed never will be.
    survey.invitations.filter(state=Invitation.State.PENDING).update(
        state=Invitation.State.SKIPPED, error=_("The survey closed before this was sent.")
    )
    survey.status = Survey.Status.CLOSED
    survey.closed_at = now
    survey.save(update_fields=["status", "closed_at"])
    return survey


def surveys_close_due(*, now: datetime) -> int:
    """Close open surveys whose closing day has passed."""
    return Survey.objects.filter(
        status=Survey.Status.OPEN, closes_on__lt=timezone.localdate(now)
    ).update(status=Survey.Status.CLOSED, closed_at=now)


# --- Answers ---------------------------------------------------------------------------


@transaction.atomic
def response_submit(
    *, invitation: Invitation, score: int, comment: str | None = None, now: datetime
) -> Response:
    """Record or change the answer to one invitation (the latest answer counts).
    ``comment`` None keeps the comment already given."""
    survey = invitation.survey
    if not survey.accepts_answers_on(timezone.localdate(now)):
        raise ValidationError(_("This survey is closed."))
    if score not in survey.scale:
        raise ValidationError(_("Choose a score on the scale."))
    response, created = Response.objects.get_or_create(
        invitation=invitation,
        defaults={"score": score, "comment": comment or "", "responded_at": now, "updated_at": now},
    )
    if not created:
        response = Response.objects.select_for_update().get(pk=response.pk)
        new_comment = response.comment if comment is None else comment
        if (response.score, response.comment) == (score, new_comment):
            return response
        response.score, response.comment = score, new_comment
        response.edit_count += 1
        response.updated_at = now
        response.save(update_fields=["score", "comment", "edit_count", "updated_at"])
    _follow_up(response=response, now=now)
    return response


@transaction.atomic
def response_comment_set(*, invitation: Invitation, comment: str, now: datetime) -> Response:
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        raise ValidationError(_("Choose a score first."))
    return response_submit(invitation=invitation, score=response.score, comment=comment, now=now)


def _follow_up(*, response: Response, now: datetime) -> None:
    """Closed loop: an unhappy answer becomes a task for the customer's owner, once per
    response; a comment added later goes into the open task."""
    survey = response.invitation.survey
    task = response.follow_up_task
    if task is not None:
        if not task.done and task.body != response.comment:
            task.body = response.comment
            task.save(update_fields=["body"])
        return
    if survey.band(response.score) != "bad":
        return
    customer = response.invitation.customer
    # Written while the respondent's page speaks the customer's language; read by the owner.
    with translation.override(_owner_language(customer)):
        subject = _("Follow up on %(kind)s score %(score)s (%(survey)s)") % {
            "kind": survey.kind.upper(),
            "score": response.score,
            "survey": survey.name,
        }
    response.follow_up_task = activity_create(
        user=SYSTEM,
        customer=customer,
        kind=Activity.Kind.TASK,
        subject=subject[:200],
        body=response.comment,
        due_on=timezone.localdate(now) + timedelta(days=FOLLOW_UP_DUE_DAYS),
        assignee=customer.owner,
        occurred_at=now,
    )
    response.save(update_fields=["follow_up_task"])


@transaction.atomic
def customer_unsubscribe(*, invitation: Invitation, now: datetime) -> Customer:
    """The email's unsubscribe link: the customer gets no more marketing or surveys."""
    customer = invitation.customer
    if customer.marketing_opt_out:
        return customer
    customer.marketing_opt_out = True
    customer.save(update_fields=["marketing_opt_out", "updated_at"])
    with translation.override(_owner_language(customer)):
        subject = _("Unsubscribed through the link in survey %(survey)s") % {
            "survey": invitation.survey.name
        }
    activity_create(
        user=SYSTEM, customer=customer, kind=Activity.Kind.SYSTEM, subject=subject, occurred_at=now
    )
    return customer


def _owner_language(customer: Customer) -> str:
    """The language of what the CRM writes down for a customer's owner to read (their
    choice, else the site's), not the language of the customer's page that caused it."""
    return user_language(customer.owner_id) if customer.owner_id else settings.LANGUAGE_CODE
