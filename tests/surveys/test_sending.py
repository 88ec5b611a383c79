import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from customers.models import Customer
from surveys import services, tasks
from surveys.models import Invitation, Survey
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.backends import DyingBackend, RefusingBackend, WorkerDied
from tests.surveys.factories import NOW, InvitationFactory, ResponseFactory, SurveyFactory

DAY = dt.timedelta(days=1)


def send_all(survey, now=NOW):
    services.survey_start(survey_id=survey.pk, now=now)
    while services.invitations_send_batch(survey_id=survey.pk, now=now):
        pass
    survey.refresh_from_db()


def scheduled(admin_user, **fields):
    survey = services.survey_create(user=admin_user, name="Spring NPS", kind="nps", **fields)
    return services.survey_schedule(user=admin_user, survey=survey, now=NOW)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_every_eligible_customer_gets_one_email_in_batches(admin_user, owner, settings):
    settings.SURVEY_SEND_BATCH_SIZE = 2
    customers = CustomerFactory.create_batch(5, owner=owner)
    survey = scheduled(admin_user)

    send_all(survey)

    assert recipients() == sorted(c.email for c in customers)
    assert survey.status == Survey.Status.OPEN
    assert set(survey.invitations.values_list("state", flat=True)) == {Invitation.State.SENT}
    assert survey.invitations.filter(sent_at=NOW).count() == 5


def test_opted_out_no_email_and_recently_surveyed_are_never_emailed(admin_user, owner, settings):
    settings.SURVEY_RESURVEY_DAYS = 90
    included = CustomerFactory(owner=owner, email="in@example.com")
    CustomerFactory(owner=owner, email="out@example.com", marketing_opt_out=True)
    CustomerFactory(owner=owner, email="")
    recent = CustomerFactory(owner=owner, email="recent@example.com")
    InvitationFactory(customer=recent, sent_at=NOW - 89 * DAY)
    long_ago = CustomerFactory(owner=owner, email="longago@example.com")
    InvitationFactory(customer=long_ago, sent_at=NOW - 91 * DAY)
    CustomerFactory(owner=owner, email="lead@example.com", status=Customer.Status.LEAD)

    survey = scheduled(admin_user)
    send_all(survey)

    assert recipients() == ["in@example.com", "longago@example.com"]
    assert set(survey.invitations.values_list("customer", flat=True)) == {
        included.pk,
        long_ago.pk,
    }


def test_customer_opting_out_after_the_audience_was_drawn_is_skipped(admin_user, owner):
    customer = CustomerFactory(owner=owner)
    survey = scheduled(admin_user)
    services.survey_start(survey_id=survey.pk, now=NOW)
    Customer.objects.filter(pk=customer.pk).update(marketing_opt_out=True)

    services.invitations_send_batch(survey_id=survey.pk, now=NOW)

    assert mail.outbox == []
    assert survey.invitations.get().state == Invitation.State.SKIPPED


def test_nps_email_content(admin_user, owner, settings):
    settings.SITE_URL = "https://crm.example.com"
    customer = CustomerFactory(
        owner=owner, name="Acme Ltd", email="buyer@acme.test", kind=Customer.Kind.COMPANY
    )
    ContactFactory(customer=customer, name="Ada Lovelace", is_primary=True)
    survey = scheduled(admin_user, email_subject="Two seconds of your time?", email_intro="Hi!")
    send_all(survey)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Two seconds of your time?"
    assert message.to == ["buyer@acme.test"]
    assert "Hello Ada Lovelace," in message.body  # the contact person, not the company
    assert "How likely are you to recommend us" in message.body
    links = re.findall(r"https://crm\.example\.com/s/\S+/\?score=(\d+)", message.body)
    assert links == [str(n) for n in range(11)]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert html.count("?score=") == 11
    unsubscribe = re.search(r"https://crm\.example\.com/s/\S+/unsubscribe/", message.body)
    assert unsubscribe
    assert unsubscribe.group(0) in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe.group(0)}>"
    assert customer.survey_invitations.get().token not in message.body.split("/s/")[0]


def test_csat_email_carries_the_1_to_5_scale(admin_user, owner):
    CustomerFactory(owner=owner)
    survey = services.survey_create(user=admin_user, name="Support", kind="csat")
    services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    send_all(survey)

    body = mail.outbox[0].body
    assert "How satisfied are you" in body
    assert re.findall(r"\?score=(\d+)", body) == ["1", "2", "3", "4", "5"]


def test_each_invitation_has_its_own_link(admin_user, owner):
    CustomerFactory.create_batch(3, owner=owner)
    send_all(scheduled(admin_user))
    paths = {urlsplit(re.search(r"http\S+\?score=0", m.body).group(0)).path for m in mail.outbox}
    assert len(paths) == 3
    assert Invitation.objects.values("token").distinct().count() == 3


def test_a_crashed_send_resumes_without_emailing_anyone_twice(admin_user, owner, settings):
    settings.SURVEY_SEND_BATCH_SIZE = 3
    settings.EMAIL_BACKEND = "tests.surveys.backends.DyingBackend"
    customers = CustomerFactory.create_batch(7, owner=owner)
    survey = scheduled(admin_user)
    DyingBackend.die_after = 4  # the worker dies on the second batch, mid-way

    with pytest.raises(WorkerDied):
        send_all(survey)
    assert len(mail.outbox) == 4
    assert survey.invitations.filter(state=Invitation.State.SENDING).count() == 1

    # The redelivered task, then a duplicate of it, run after the worker restarts.
    DyingBackend.die_after = None
    tasks.send_invitations.apply(args=[survey.pk]).get()
    tasks.send_invitations.apply(args=[survey.pk]).get()
    services.stale_claims_interrupt(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))

    sent = recipients()
    assert len(sent) == len(set(sent)) == 6
    assert set(sent) < {c.email for c in customers}
    interrupted = survey.invitations.get(state=Invitation.State.INTERRUPTED)
    assert interrupted.email not in sent
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN


def test_an_invitation_claimed_by_another_worker_is_left_alone(admin_user, owner):
    first, second = CustomerFactory.create_batch(2, owner=owner)
    survey = scheduled(admin_user)
    services.survey_start(survey_id=survey.pk, now=NOW)
    survey.invitations.filter(customer=first).update(state=Invitation.State.SENDING, claimed_at=NOW)

    services.invitations_send_batch(survey_id=survey.pk, now=NOW)

    assert recipients() == [second.email]


def test_starting_twice_creates_the_invitations_once(admin_user, owner):
    CustomerFactory.create_batch(3, owner=owner)
    survey = scheduled(admin_user)
    assert services.survey_start(survey_id=survey.pk, now=NOW)
    assert not services.survey_start(survey_id=survey.pk, now=NOW)
    assert survey.invitations.count() == 3


def test_a_survey_scheduled_for_later_waits(admin_user, owner):
    CustomerFactory(owner=owner)
    survey = services.survey_create(user=admin_user, name="Later", kind="nps")
    services.survey_schedule(user=admin_user, survey=survey, now=NOW, send_at=NOW + DAY)
    assert not services.survey_start(survey_id=survey.pk, now=NOW)
    assert services.survey_start(survey_id=survey.pk, now=NOW + DAY)


def test_refused_addresses_fail_and_can_be_retried(admin_user, owner, settings):
    settings.EMAIL_BACKEND = "tests.surveys.backends.RefusingBackend"
    good = CustomerFactory(owner=owner, email="good@example.com")
    CustomerFactory(owner=owner, email="bounce@example.com")
    RefusingBackend.refused = {"bounce@example.com"}
    survey = scheduled(admin_user)
    send_all(survey)

    assert recipients() == [good.email]
    failed = survey.invitations.get(state=Invitation.State.FAILED)
    assert "No such user" in failed.error

    RefusingBackend.refused = set()
    assert services.invitations_retry_failed(user=admin_user, survey=survey) == 1
    send_all(survey)
    assert recipients() == ["bounce@example.com", "good@example.com"]


def test_reminder_goes_once_to_non_responders(owner, settings):
    settings.SURVEY_REMINDER_DAYS = 7
    survey = SurveyFactory(name="Reminded")
    due = InvitationFactory(survey=survey, customer__owner=owner, sent_at=NOW - 8 * DAY)
    answered = InvitationFactory(survey=survey, customer__owner=owner, sent_at=NOW - 8 * DAY)
    ResponseFactory(invitation=answered)
    InvitationFactory(survey=survey, customer__owner=owner, sent_at=NOW - 6 * DAY)
    opted_out = InvitationFactory(survey=survey, customer__owner=owner, sent_at=NOW - 8 * DAY)
    Customer.objects.filter(pk=opted_out.customer_id).update(marketing_opt_out=True)
    InvitationFactory(survey=SurveyFactory(status=Survey.Status.CLOSED), sent_at=NOW - 8 * DAY)
    InvitationFactory(survey=SurveyFactory(send_reminder=False), sent_at=NOW - 8 * DAY)

    assert services.reminders_send(now=NOW) == 1
    assert services.reminders_send(now=NOW) == 0

    assert recipients() == [due.email]
    assert mail.outbox[0].subject == "Reminder: A quick question"
    assert "A few days ago we asked you" in mail.outbox[0].body
    due.refresh_from_db()
    assert due.reminder_state == Invitation.ReminderState.SENT
    assert due.reminded_at == NOW


def test_no_reminder_after_the_closing_day(owner):
    survey = SurveyFactory(closes_on=(NOW - 2 * DAY).date())
    InvitationFactory(survey=survey, customer__owner=owner, sent_at=NOW - 10 * DAY)
    assert services.reminders_send(now=NOW) == 0


def test_closing_cancels_unsent_invitations(admin_user, owner):
    CustomerFactory.create_batch(2, owner=owner)
    survey = scheduled(admin_user)
    services.survey_start(survey_id=survey.pk, now=NOW)

    services.survey_close(user=admin_user, survey=survey, now=NOW)
    services.invitations_send_batch(survey_id=survey.pk, now=NOW)

    assert mail.outbox == []
    assert survey.status == Survey.Status.CLOSED
    assert set(survey.invitations.values_list("state", flat=True)) == {Invitation.State.SKIPPED}


def test_surveys_close_after_their_closing_day(db):
    ending = SurveyFactory(closes_on=NOW.date() - DAY)
    today = SurveyFactory(closes_on=NOW.date())
    assert services.surveys_close_due(now=NOW) == 1
    ending.refresh_from_db()
    today.refresh_from_db()
    assert (ending.status, today.status) == (Survey.Status.CLOSED, Survey.Status.OPEN)


def test_the_sweep_starts_due_surveys_and_resumes_stalled_ones(admin_user, owner, settings):
    settings.SURVEY_SEND_BATCH_SIZE = 1
    CustomerFactory.create_batch(2, owner=owner)
    survey = services.survey_create(user=admin_user, name="Swept", kind="nps")
    services.survey_schedule(
        user=admin_user, survey=survey, now=NOW, send_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    )

    tasks.sweep.apply().get()

    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    assert len(mail.outbox) == 2


def test_scheduling_needs_send_permission_and_an_unsent_survey(owner, manager, admin_user):
    CustomerFactory(owner=owner)  # someone to email
    survey = services.survey_create(user=admin_user, name="Perms", kind="nps")
    for user in (owner, manager):
        with pytest.raises(PermissionDenied):
            services.survey_schedule(user=user, survey=survey, now=NOW)
    services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    services.survey_start(survey_id=survey.pk, now=NOW)
    survey.refresh_from_db()
    with pytest.raises(ValidationError):
        services.survey_schedule(user=admin_user, survey=survey, now=NOW)


def test_closing_date_before_sending_is_refused(admin_user):
    survey = services.survey_create(
        user=admin_user, name="Late", kind="nps", closes_on=NOW.date() - DAY
    )
    with pytest.raises(ValidationError):
        services.survey_schedule(user=admin_user, survey=survey, now=NOW)


@pytest.mark.parametrize(
    ("kind", "contacts", "greeting"),
    [
        # A person is greeted by name.
        ("person", [], "Hello Grace Hopper,"),
        # A company by the contact the email goes to, else its primary contact...
        ("company", [("Bob", "bob@x.test", True), ("Ann", "desk@x.test", False)], "Hello Ann,"),
        ("company", [("Bob", "bob@x.test", True), ("Cy", "cy@x.test", False)], "Hello Bob,"),
        # ...and never by its own name.
        ("company", [], "Hello,"),
    ],
)
def test_emails_greet_the_contact_person_not_the_company(
    admin_user, owner, kind, contacts, greeting
):
    customer = CustomerFactory(owner=owner, name="Grace Hopper", kind=kind, email="desk@x.test")
    if kind == "company":
        customer.name = "Starlight Studios Inc."
        customer.save()
    for name, email, primary in contacts:
        ContactFactory(customer=customer, name=name, email=email, is_primary=primary)
    send_all(scheduled(admin_user))

    (message,) = mail.outbox
    assert message.body.startswith(greeting + "\n")
    assert f"<p>{greeting}</p>" in message.alternatives[0][0]
    assert "Starlight" not in message.body


def test_sending_a_batch_reads_the_contacts_in_one_query(
    admin_user, owner, django_assert_max_num_queries
):
    for n in range(5):
        customer = CustomerFactory(owner=owner, kind=Customer.Kind.COMPANY)
        ContactFactory(customer=customer, is_primary=True, name=f"Person {n}")
    survey = scheduled(admin_user)
    services.survey_start(survey_id=survey.pk, now=NOW)
    # 1 ids + 1 invitations + 1 contacts + per invitation: claim, update.
    with django_assert_max_num_queries(3 + 2 * 5):
        services.invitations_send_batch(survey_id=survey.pk, now=NOW)
    assert len(mail.outbox) == 5


def test_a_survey_to_nobody_is_refused(admin_user, owner):
    CustomerFactory(owner=owner, marketing_opt_out=True)  # matches, but cannot be emailed
    survey = services.survey_create(user=admin_user, name="Empty", kind="nps")
    with pytest.raises(ValidationError, match="No customer of this audience can be emailed"):
        services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT
    # A triggered survey may start with nobody: its audience fills as orders are paid.
    triggered = services.survey_create(
        user=admin_user, name="After purchase", kind="csat", trigger_days_after_paid=3
    )
    services.survey_schedule(user=admin_user, survey=triggered, now=NOW)
