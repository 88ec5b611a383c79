"""Resuming a survey's sending after its worker died or froze (surveys.tasks.resume_sends):
once no invitation has been claimed for a lease, the rest goes to another worker; what
the dead one had claimed is never sent again."""

import datetime as dt

from django.core import mail
from django.utils import timezone

from surveys import selectors, services, tasks
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory
from tests.surveys.factories import NOW, InvitationFactory, SurveyFactory

LEASE = dt.timedelta(seconds=30)


def sending(**fields):
    return SurveyFactory(**{"status": Survey.Status.SENDING, "started_at": NOW, **fields})


def test_a_send_is_stalled_once_no_invitation_was_claimed_for_a_lease(db):
    now = timezone.now()
    survey = sending()
    InvitationFactory(survey=survey, state=Invitation.State.PENDING, sent_at=None)
    last = InvitationFactory(survey=survey, claimed_at=now - LEASE / 2)
    assert selectors.surveys_with_stalled_sends(since=now - LEASE) == []

    Invitation.objects.filter(pk=last.pk).update(claimed_at=now - 2 * LEASE)
    assert selectors.surveys_with_stalled_sends(since=now - LEASE) == [survey.pk]


def test_a_send_just_started_or_with_nothing_pending_is_not_stalled(db):
    now = timezone.now()
    just_started = sending(started_at=now)
    InvitationFactory(survey=just_started, state=Invitation.State.PENDING, sent_at=None)
    done = sending()
    InvitationFactory(survey=done)
    assert selectors.surveys_with_stalled_sends(since=now - LEASE) == []


def test_resuming_sends_the_pending_invitations_but_not_the_one_a_dead_worker_claimed(
    admin_user, owner
):
    CustomerFactory.create_batch(3, owner=owner)
    survey = services.survey_create(user=admin_user, name="Resumed", kind="nps")
    services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    services.survey_start(survey_id=survey.pk, now=NOW)
    # A worker claimed the first invitation at NOW and died; its email may have left.
    first = survey.invitations.order_by("pk").first()
    survey.invitations.filter(pk=first.pk).update(state=Invitation.State.SENDING, claimed_at=NOW)

    tasks.resume_sends.apply().get()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        survey.invitations.exclude(pk=first.pk).values_list("email", flat=True)
    )
    first.refresh_from_db()
    assert first.state == Invitation.State.SENDING
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
