"""A survey's comments a keyset page at a time, newest change first (surveys.selectors.
COMMENTS_ORDER): every comment once, in order, through ties on the time; the same queries
on every page; a cursor not made here shows the first page; the answers carry a copy of
their invitation's survey (Response.survey), which the page reads its index by."""

import datetime as dt

import pytest
from django.urls import reverse

from surveys import services
from surveys.models import Response
from tests.factories import CustomerFactory
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk
from tests.surveys.factories import NOW, InvitationFactory, ResponseFactory, SurveyFactory

HOUR = dt.timedelta(hours=1)
# (score, hours after NOW it last changed): ties on the time, bad and good answers.
ANSWERS = [(2, 0), (9, 3), (6, 1), (10, 1), (3, 3), (7, 2), (0, 1), (9, 0)]


@pytest.fixture
def survey(db):
    return SurveyFactory()


@pytest.fixture
def comments(survey, owner, teammate):
    """The survey's comments, a rep's and a teammate's, one answered on the public page by
    a customer nobody owns; around them, answers without a comment and another survey's."""
    made = []
    for i, (score, hours) in enumerate(ANSWERS):
        customer = CustomerFactory(owner=owner if i % 2 else teammate)
        invitation = InvitationFactory(survey=survey, customer=customer)
        made.append(
            ResponseFactory(
                invitation=invitation,
                score=score,
                comment=f"Comment {i}",
                updated_at=NOW + hours * HOUR,
            )
        )
    answered = InvitationFactory(survey=survey, customer=CustomerFactory(owner=None))
    made.append(
        services.response_submit(invitation=answered, score=1, comment="Slow.", now=NOW + HOUR)
    )
    ResponseFactory(invitation__survey=survey, comment="", updated_at=NOW + 9 * HOUR)
    ResponseFactory(comment="Another survey's", updated_at=NOW + 9 * HOUR)
    return made


def _newest_first(responses):
    return [r.pk for r in sorted(responses, key=lambda r: (r.updated_at, r.pk), reverse=True)]


def _url(survey, query=""):
    return reverse("surveys:comments", args=[survey.pk]) + query


def test_walking_the_pages_shows_every_comment_once_newest_first_in_the_same_queries(
    client_for, manager, survey, comments, settings
):
    settings.CRM_PAGE_SIZE = 3

    pages = walk(client_for(manager), _url(survey))

    assert pages.ids == _newest_first(comments)
    assert [len(page) for page in pages.pages] == [3, 3, 3]
    assert len(set(pages.queries)) == 1, pages.queries  # the first page and the deepest
    assert "Slow." in "".join(pages.html)  # a customer nobody owns


def test_the_pager_swaps_the_list_with_htmx_and_keeps_the_filter(
    client_for, manager, survey, comments, settings
):
    settings.CRM_PAGE_SIZE = 2
    bad = [r for r in comments if survey.band(r.score) == "bad"]

    pages = walk(client_for(manager), _url(survey, "?band=bad"), target="comment-results")

    assert pages.ids == _newest_first(bad)
    assert len(pages.pages) == 3
    assert len(set(pages.queries)) == 1, pages.queries
    assert all("<h1>" not in html and "<table" in html for html in pages.html)


def test_a_rep_pages_through_their_own_customers_comments(
    client_for, owner, survey, comments, settings
):
    settings.CRM_PAGE_SIZE = 2
    own = [r for r in comments if r.invitation.customer.owner_id == owner.pk]

    pages = walk(client_for(owner), _url(survey))

    assert pages.ids == _newest_first(own)
    assert len(pages.pages) == 2


def test_a_cursor_not_made_here_shows_the_first_page(
    client_for, manager, survey, comments, settings
):
    settings.CRM_PAGE_SIZE = 3

    assert_cursors_not_ours_show_the_first_page(
        client_for(manager), _url(survey), _newest_first(comments)[:3]
    )


def test_the_empty_states_stay(client_for, manager, survey):
    ResponseFactory(invitation__survey=survey, comment="")
    client = client_for(manager)

    assert "No comments yet." in client.get(_url(survey)).content.decode()
    filtered = client.get(_url(survey, "?q=nothing"), headers={"HX-Request": "true"})
    assert "No comment matches." in filtered.content.decode()


def test_every_answer_carries_its_invitations_survey(survey):
    """The answer page's service and a factory copy it on create; an admin who moves an
    answer to another invitation moves the copy with it."""
    answered = InvitationFactory(survey=survey)
    submitted = services.response_submit(invitation=answered, score=9, comment="", now=NOW)
    made = ResponseFactory()
    assert submitted.survey_id == survey.pk
    assert made.survey_id == made.invitation.survey_id

    made.invitation = InvitationFactory(survey=survey)
    made.save()

    assert Response.objects.get(pk=made.pk).survey_id == survey.pk
