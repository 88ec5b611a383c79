import datetime as dt
import re
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from customers.models import Activity
from surveys import services, tokens
from surveys.models import Response, Survey
from tests.factories import CustomerFactory
from tests.surveys.factories import NOW, InvitationFactory


def respond_url(invitation, **query):
    url = reverse("surveys_public:respond", args=[tokens.sign(invitation.token)])
    return url + (f"?score={query['score']}" if "score" in query else "")


@pytest.fixture
def invitation(owner):
    return InvitationFactory(customer__owner=owner, survey__closes_on=None)


def test_the_emailed_score_link_preselects_the_score_and_records_nothing(admin_user, owner):
    CustomerFactory(owner=owner)
    survey = services.survey_create(user=admin_user, name="NPS", kind="nps")
    services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    services.survey_start(survey_id=survey.pk, now=NOW)
    services.invitations_send_batch(survey_id=survey.pk, now=NOW)
    link = re.search(r"http\S+\?score=7", mail.outbox[0].body).group(0)
    path = urlsplit(link).path + "?" + urlsplit(link).query

    # A mail scanner follows every link: nothing may be recorded by a GET.
    for score in range(11):
        scanned = Client().get(path.replace("score=7", f"score={score}"))
        assert scanned.status_code == 200
    assert not Response.objects.exists()

    page = Client().get(path)
    assert re.search(r'<input[^>]*value="7"[^>]*checked', page.content.decode())
    assert len(re.findall(r"checked", page.content.decode())) == 1

    # One press records it.
    pressed = Client().post(urlsplit(link).path, {"score": "7"})
    assert pressed.status_code == 302
    assert Response.objects.get().score == 7


def test_answer_with_comment_and_thank_you_page(client, invitation):
    url = respond_url(invitation)
    response = client.post(url, {"score": "10", "comment": "Great support"})
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert b"Thank you" in thanks.content
    assert b"Great support" in thanks.content

    saved = client.post(response["Location"], {"comment": "Great support, fast too"})
    assert saved.status_code == 302
    assert saved["Location"].endswith("?saved=1")
    answer = Response.objects.get()
    assert (answer.score, answer.comment) == (10, "Great support, fast too")


def test_thank_you_page_without_an_answer_goes_to_the_question(client, invitation):
    # One signed link for both URLs: signing again a second later gives another timestamp.
    signed = tokens.sign(invitation.token)
    url = reverse("surveys_public:thanks", args=[signed])
    assert client.get(url)["Location"] == reverse("surveys_public:respond", args=[signed])


def test_missing_score_is_an_inline_error(client, invitation):
    response = client.post(respond_url(invitation), {"score": ""})
    assert response.status_code == 200
    assert b"Choose a score." in response.content
    response = client.post(respond_url(invitation), {"score": "11"})
    assert response.status_code == 200
    assert not Response.objects.exists()


def test_reusing_a_link_changes_the_one_answer_while_open(client, invitation):
    client.post(respond_url(invitation), {"score": "3", "comment": "Slow"})
    client.post(respond_url(invitation), {"score": "8", "comment": "Better now"})

    answer = Response.objects.get()
    assert (answer.score, answer.comment, answer.edit_count) == (8, "Better now", 1)
    page = client.get(respond_url(invitation))
    assert b"You answered 8" in page.content


def test_the_link_stops_when_the_survey_closes(client, invitation, admin_user):
    client.post(respond_url(invitation), {"score": "9"})
    services.survey_close(user=admin_user, survey=invitation.survey, now=NOW)

    for response in (
        client.get(respond_url(invitation)),
        client.post(respond_url(invitation), {"score": "1"}),
    ):
        assert response.status_code == 410
        assert b"This survey is closed" in response.content
    assert Response.objects.get().score == 9


def test_the_link_stops_after_the_closing_day(client, owner):
    invitation = InvitationFactory(customer__owner=owner, survey__closes_on=dt.date(2000, 1, 1))
    response = client.get(respond_url(invitation))
    assert response.status_code == 410
    assert b"This survey is closed" in response.content


def test_a_draft_surveys_link_accepts_nothing(client, owner):
    invitation = InvitationFactory(customer__owner=owner, survey__status=Survey.Status.DRAFT)
    assert client.get(respond_url(invitation)).status_code == 410


def test_expired_link(client, invitation, settings):
    settings.SURVEY_TOKEN_MAX_AGE_DAYS = 60
    with mock.patch.object(signing.time, "time", return_value=time.time() - 61 * 86400):
        old = tokens.sign(invitation.token)
    for response in (
        client.get(reverse("surveys_public:respond", args=[old])),
        client.post(reverse("surveys_public:respond", args=[old]), {"score": "9"}),
    ):
        assert response.status_code == 410
        assert b"This link has expired" in response.content
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda signed: signed[:-1] + ("A" if signed[-1] != "A" else "B"),
        lambda signed: "x" + signed,
        lambda signed: signed.split(":")[0],
        lambda signed: "not-a-token",
        lambda signed: signed.replace(":", "%3A", 1),
    ],
)
def test_tampered_links_are_refused_clearly(client, invitation, tamper):
    url = reverse("surveys_public:respond", args=[tamper(tokens.sign(invitation.token))])
    for response in (client.get(url), client.post(url, {"score": "10"})):
        assert response.status_code == 400
        assert b"This link is not valid" in response.content
    assert not Response.objects.exists()


def test_another_invitations_token_with_this_signature_is_refused(client, owner):
    first, second = InvitationFactory.create_batch(2, customer__owner=owner)
    _token, timestamp, signature = tokens.sign(first.token).split(":")
    forged = f"{second.token}:{timestamp}:{signature}"
    response = client.get(reverse("surveys_public:respond", args=[forged]))
    assert response.status_code == 400


def test_a_genuine_link_to_a_deleted_invitation_is_not_found(client, invitation):
    signed = tokens.sign(invitation.token)
    invitation.delete()
    response = client.get(reverse("surveys_public:respond", args=[signed]))
    assert response.status_code == 404
    assert b"no longer exists" in response.content


def test_responding_needs_the_csrf_token(invitation):
    browser = Client(enforce_csrf_checks=True)
    url = respond_url(invitation)
    assert browser.post(url, {"score": "9"}).status_code == 403
    page = browser.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    assert browser.post(url, {"score": "9", "csrfmiddlewaretoken": token}).status_code == 302
    assert Response.objects.get().score == 9


def test_too_many_requests_from_one_address(client, invitation, settings):
    settings.SURVEY_RATE_LIMIT = 3
    url = respond_url(invitation)
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    blocked = client.get(url)
    assert blocked.status_code == 429
    assert b"Too many requests" in blocked.content
    # Another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_detractor_answer_creates_a_follow_up_task_for_the_owner(client, owner):
    invitation = InvitationFactory(customer__owner=owner)
    client.post(respond_url(invitation), {"score": "2", "comment": "Invoice was wrong"})
    task = Activity.objects.get(kind=Activity.Kind.TASK)
    assert task.assignee == owner
    assert task.customer == invitation.customer
    assert task.body == "Invoice was wrong"
    assert "2" in task.subject


def test_unsubscribe_link_sets_the_opt_out_on_post_only(client, invitation):
    url = reverse("surveys_public:unsubscribe", args=[tokens.sign(invitation.token)])
    page = client.get(url)
    assert page.status_code == 200
    invitation.customer.refresh_from_db()
    assert not invitation.customer.marketing_opt_out

    done = client.post(url)
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    invitation.customer.refresh_from_db()
    assert invitation.customer.marketing_opt_out
    assert invitation.customer.activities.filter(kind=Activity.Kind.SYSTEM).exists()


def test_unsubscribe_works_on_old_links_and_closed_surveys(client, owner, settings):
    invitation = InvitationFactory(customer__owner=owner, survey__status=Survey.Status.CLOSED)
    with mock.patch.object(signing.time, "time", return_value=time.time() - 400 * 86400):
        old = tokens.sign(invitation.token)
    assert client.post(reverse("surveys_public:unsubscribe", args=[old])).status_code == 200
    invitation.customer.refresh_from_db()
    assert invitation.customer.marketing_opt_out


def test_tampered_unsubscribe_link_is_refused(client, invitation):
    url = reverse("surveys_public:unsubscribe", args=[tokens.sign(invitation.token) + "x"])
    assert client.post(url).status_code == 400
    invitation.customer.refresh_from_db()
    assert not invitation.customer.marketing_opt_out


def test_public_pages_are_not_cached_and_not_indexed(client, invitation):
    response = client.get(respond_url(invitation))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert b'name="robots" content="noindex' in response.content


def test_csat_page_shows_1_to_5(client, owner):
    invitation = InvitationFactory(customer__owner=owner, survey__kind=Survey.Kind.CSAT)
    content = client.get(respond_url(invitation, score=4)).content.decode()
    assert re.findall(r'type="radio" name="score" value="(\d+)"', content) == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert re.search(r'value="4"[^>]*checked', content)
