"""The audience preview counts every reason in one pass over the audience (issue 14: an
audience of every customer is the whole table at a million customers), and no further than
a cap: past it, "more than" the cap match and the other figures are "at least"."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import selectors
from surveys.models import Invitation
from tests.factories import CustomerFactory
from tests.surveys.factories import NOW, InvitationFactory, SurveyFactory

DAY = dt.timedelta(days=1)


def test_preview_is_one_query_for_the_counts_and_one_for_the_sample(
    admin_user, owner, settings, django_assert_num_queries
):
    settings.SURVEY_RESURVEY_DAYS = 30
    CustomerFactory.create_batch(3, owner=owner)
    CustomerFactory.create_batch(2, owner=owner, marketing_opt_out=True)
    CustomerFactory(owner=owner, email="")
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=NOW - 5 * DAY)
    InvitationFactory(
        customer=CustomerFactory(owner=owner), state=Invitation.State.PENDING, sent_at=None
    )
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=NOW - 40 * DAY)
    criteria = {"mode": "filters", "status": "active"}
    selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW, cap=100)  # perms

    with django_assert_num_queries(2):
        preview = selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW, cap=100)

    assert (
        preview.matched,
        preview.eligible,
        preview.opted_out,
        preview.no_email,
        preview.recently_surveyed,
    ) == (9, 4, 2, 1, 2)
    assert len(preview.sample) == 4


def _audience(owner, now=NOW):
    """9 active customers: 4 to email, 2 opted out, 1 without an address, 2 surveyed
    (as of ``now``)."""
    CustomerFactory.create_batch(3, owner=owner)
    CustomerFactory.create_batch(2, owner=owner, marketing_opt_out=True)
    CustomerFactory(owner=owner, email="")
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=now - 5 * DAY)
    InvitationFactory(
        customer=CustomerFactory(owner=owner), state=Invitation.State.PENDING, sent_at=None
    )
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=now - 40 * DAY)


def test_past_the_cap_the_counts_are_of_those_counted_and_say_so(admin_user, owner, settings):
    settings.SURVEY_RESURVEY_DAYS = 30
    _audience(owner)
    criteria = {"mode": "filters", "status": "active"}

    exact = selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW, cap=9)
    capped = selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW, cap=5)

    assert not exact.capped
    assert exact.matched == 9
    assert capped.capped
    assert capped.matched == 5
    # Lower bounds of the exact figures, and never fewer to email than the sample found.
    assert capped.eligible <= exact.eligible
    assert capped.eligible >= len(capped.sample) == len(exact.sample) == 4
    assert capped.opted_out <= exact.opted_out
    assert capped.no_email <= exact.no_email
    assert capped.recently_surveyed <= exact.recently_surveyed


def _shown(html):
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("cap", "capped"), [(9, False), (5, True)])
def test_the_audience_page_says_more_than_the_cap_and_at_least(
    client_for, admin_user, owner, settings, monkeypatch, cap, capped
):
    settings.SURVEY_RESURVEY_DAYS = 30
    _audience(owner, now=timezone.now())
    survey = SurveyFactory(status="draft", audience={"mode": "filters", "status": "active"})
    monkeypatch.setattr(selectors, "AUDIENCE_COUNT_CAP", cap)

    html = _shown(
        client_for(admin_user).get(reverse("surveys:audience", args=[survey.pk])).content.decode()
    )

    if capped:
        assert "More than 5 customers match: at least" in html
        assert "the preview counts no more than 5 customers" in html
        assert "Matching the audience more than 5" in html
        assert "Left out: opted out of marketing at least" in html
    else:
        assert "4 customers will be emailed" in html
        assert "Matching the audience 9" in html
        assert "More than" not in html


def test_the_send_confirmation_counts_everyone(
    client_for, admin_user, owner, settings, monkeypatch
):
    settings.SURVEY_RESURVEY_DAYS = 30
    _audience(owner, now=timezone.now())
    survey = SurveyFactory(status="draft", audience={"mode": "filters", "status": "active"})
    monkeypatch.setattr(selectors, "AUDIENCE_COUNT_CAP", 5)

    html = _shown(
        client_for(admin_user).get(reverse("surveys:send", args=[survey.pk])).content.decode()
    )

    assert "4 customers will be emailed" in html
    assert "More than" not in html
