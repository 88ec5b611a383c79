"""Surveys speak the customer's language: the invitation and reminder emails, and the public
pages the email links to (until the respondent switches). What the CRM writes down for the
owner stays in the owner's language.

The assertions hold whether or not the Chinese catalogue is compiled: they look at the
language that was active while each text was rendered (the emails' Content-Language and
<html lang>, the pages' <html lang> and Content-Language, gettext patched to note it)."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from crm.models import Profile
from surveys import emails, services, tokens
from surveys.models import Survey
from tests.factories import CustomerFactory
from tests.surveys.factories import NOW, InvitationFactory

DAY = dt.timedelta(days=1)
COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(text):
    return re.search(r'<html lang="([^"]+)"', text).group(1)


def respond_url(invitation):
    return reverse("surveys_public:respond", args=[tokens.sign(invitation.token)])


@pytest.fixture
def rendered_in():
    """{template name: [active language at each rendering]} of the survey emails."""
    languages = {}
    real = emails.render_to_string

    def render(template, context):
        languages.setdefault(template, []).append(translation.get_language())
        return real(template, context)

    with mock.patch("surveys.emails.render_to_string", render):
        yield languages


def _send(admin_user):
    survey = services.survey_create(user=admin_user, name="NPS", kind="nps")
    services.survey_schedule(user=admin_user, survey=survey, now=NOW)
    services.survey_start(survey_id=survey.pk, now=NOW)
    services.invitations_send_batch(survey_id=survey.pk, now=NOW)
    return {message.to[0]: message for message in mail.outbox}


# --- Emails --------------------------------------------------------------------------------


def test_each_invitation_is_written_in_its_customers_language(admin_user, owner, rendered_in):
    CustomerFactory(owner=owner, email="li@example.com", language="zh-hans")
    CustomerFactory(owner=owner, email="ann@example.com", language="en")
    CustomerFactory(owner=owner, email="any@example.com", language="")

    # Whoever sends (here a Chinese-speaking admin's request) does not decide the language.
    with translation.override("zh-hans"):
        sent = _send(admin_user)

    languages = {to: message.extra_headers["Content-Language"] for to, message in sent.items()}
    assert languages == {
        "li@example.com": "zh-hans",
        "ann@example.com": "en",
        "any@example.com": settings.LANGUAGE_CODE,
    }
    html, _type = sent["li@example.com"].alternatives[0]
    assert html_lang(html) == "zh-hans"
    assert sorted(rendered_in["surveys/email/invitation.txt"]) == ["en", "en", "zh-hans"]
    assert sorted(rendered_in["surveys/email/invitation.html"]) == ["en", "en", "zh-hans"]
    assert translation.get_language() == settings.LANGUAGE_CODE  # the override ended


def test_the_subject_is_written_in_the_customers_language(owner, settings):
    settings.SURVEY_REMINDER_DAYS = 7
    invitation = InvitationFactory(
        customer__owner=owner, customer__language="zh-hans", sent_at=NOW - 8 * DAY
    )
    with mock.patch("surveys.emails._", lambda text: f"[{translation.get_language()}] {text}"):
        assert services.reminders_send(now=NOW) == 1
    (reminder,) = mail.outbox
    assert reminder.to == [invitation.email]
    assert reminder.subject == "[zh-hans] Reminder: A quick question"
    assert reminder.extra_headers["Content-Language"] == "zh-hans"


def test_an_unknown_stored_language_falls_back_to_the_default(owner):
    """A language removed from LANGUAGES after customers were given it."""
    invitation = InvitationFactory(customer__owner=owner, customer__language="fr")
    message = emails.invitation_message(invitation)
    assert message.extra_headers["Content-Language"] == settings.LANGUAGE_CODE


# --- The public pages ------------------------------------------------------------------------


@pytest.fixture
def chinese_invitation(owner):
    return InvitationFactory(
        customer__owner=owner, customer__language="zh-hans", survey__closes_on=None
    )


def test_the_survey_page_speaks_the_customers_language(chinese_invitation):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(respond_url(chinese_invitation))
    assert page.status_code == 200
    assert html_lang(page.content.decode()) == "zh-hans"
    assert page["Content-Language"] == "zh-hans"


def test_without_a_language_the_survey_page_follows_the_browser(owner):
    invitation = InvitationFactory(customer__owner=owner, customer__language="")
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(respond_url(invitation))
    assert html_lang(page.content.decode()) == "zh-hans"
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(respond_url(invitation))
    assert html_lang(page.content.decode()) == "en"


def test_an_anonymous_respondent_can_switch(chinese_invitation):
    url = respond_url(chinese_invitation)
    respondent = Client()
    page = respondent.get(url).content.decode()
    switcher = re.search(r'<form class="language-switcher.*?</form>', page, re.S).group(0)
    assert f'action="{reverse("set_language")}"' in switcher
    assert f'name="next" value="{url}"' in switcher

    switched = respondent.post(reverse("set_language"), {"language": "en", "next": url})
    assert switched.status_code == 302
    assert switched["Location"] == url
    page = respondent.get(url)
    assert html_lang(page.content.decode()) == "en"
    assert page["Content-Language"] == "en"
    # The thank-you page too, after answering.
    answered = respondent.post(url, {"score": "9"})
    assert html_lang(respondent.get(answered["Location"]).content.decode()) == "en"


def test_a_bad_language_on_the_survey_page_is_a_400(chinese_invitation):
    url = respond_url(chinese_invitation)
    response = Client().post(reverse("set_language"), {"language": "zz", "next": url})
    assert response.status_code == 400


def test_the_thanks_and_problem_pages(chinese_invitation):
    url = respond_url(chinese_invitation)
    respondent = Client(HTTP_ACCEPT_LANGUAGE="en")
    answered = respondent.post(url, {"score": "9"})
    assert html_lang(respondent.get(answered["Location"]).content.decode()) == "zh-hans"
    Survey.objects.filter(pk=chinese_invitation.survey_id).update(closes_on=dt.date(2000, 1, 1))
    closed = respondent.get(url)
    assert closed.status_code == 410
    assert html_lang(closed.content.decode()) == "zh-hans"
    # A link that is no link has no customer: the browser's language.
    invalid = respondent.get(reverse("surveys_public:respond", args=["not-a-token"]))
    assert invalid.status_code == 400
    assert html_lang(invalid.content.decode()) == "en"


def test_the_owners_follow_up_task_is_written_in_the_owners_language(owner):
    Profile.objects.create(user=owner, language="en")
    invitation = InvitationFactory(
        customer__owner=owner, customer__language="zh-hans", survey__closes_on=None
    )
    with mock.patch("surveys.services._", lambda text: f"[{translation.get_language()}] {text}"):
        Client().post(respond_url(invitation), {"score": "2"})
    task = invitation.customer.activities.get()
    assert task.subject.startswith("[en] Follow up on NPS score 2")
