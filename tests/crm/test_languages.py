"""Choosing the language: the switcher of every page, the choice kept on the user's profile
and following them to a new session, the browser's language until they choose, the
preferences page, and the emails to users written in their language."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from crm.languages import SESSION_KEY
from crm.models import Profile
from customers.services import task_reminders_send
from tests.factories import PASSWORD, TaskFactory

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def switcher(response):
    """The switcher's form: where it posts, the page it comes back to, its options."""
    page = response.content.decode()
    form = re.search(r'<form class="language-switcher[^"]*"[^>]*>.*?</form>', page, re.S)
    assert form, "no language switcher on the page"
    form = form.group(0)
    return {
        "action": re.search(r'action="([^"]+)"', form).group(1),
        "next": re.search(r'name="next" value="([^"]*)"', form).group(1),
        "options": re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', form),
        "selected": re.search(r'<option value="([^"]+)"[^>]*selected', form).group(1),
    }


@pytest.fixture
def rep_client(client_for, owner):
    return client_for(owner)


# --- The switcher ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [reverse("customers:list"), reverse("orders:list"), reverse("preferences")],
)
def test_every_page_has_the_switcher_coming_back_to_itself(rep_client, url):
    response = rep_client.get(url + "?page=1")
    assert response.status_code == 200
    form = switcher(response)
    assert form["action"] == reverse("set_language")
    assert form["next"] == url + "?page=1"
    # Each language in its own name, whatever the page's language.
    assert form["options"] == [("en", "English"), ("zh-hans", "简体中文")]
    assert form["selected"] == "en"


def test_the_login_page_has_the_switcher_and_follows_the_browser(client, db):
    english = client.get(reverse("login"))
    assert switcher(english)["next"] == reverse("login")
    assert html_lang(english) == "en"

    chinese = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.9,en;q=0.5")
    assert html_lang(chinese) == "zh-hans"
    assert chinese["Content-Language"] == "zh-hans"
    assert switcher(chinese)["selected"] == "zh-hans"
    assert "Accept-Language" in chinese["Vary"]
    # Django's own strings prove the page is really rendered in Chinese.
    with translation.override("zh-hans"):
        assert translation.gettext("Password") in chinese.content.decode()


def test_switching_signed_out_sets_the_cookie_only(client, db):
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("login")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert response.cookies[COOKIE].value == "zh-hans"
    assert html_lang(client.get(reverse("login"))) == "zh-hans"
    assert not Profile.objects.exists()


def test_switching_saves_the_profile_and_a_new_session_gets_it(rep_client, owner):
    next_url = reverse("customers:list")
    response = rep_client.post(reverse("set_language"), {"language": "zh-hans", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert Profile.objects.get(user=owner).language == "zh-hans"
    page = rep_client.get(next_url)
    assert html_lang(page) == "zh-hans"
    assert page["Content-Language"] == "zh-hans"

    # Another browser: no cookie, an English Accept-Language; signing in brings the choice.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en")
    elsewhere.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert COOKIE not in elsewhere.cookies
    page = elsewhere.get(next_url)
    assert html_lang(page) == "zh-hans"
    assert page["Content-Language"] == "zh-hans"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in page["Vary"].split(",")}

    # Signed out, the browser decides again.
    elsewhere.post(reverse("logout"))
    assert html_lang(elsewhere.get(reverse("login"))) == "en"


def test_until_they_choose_pages_follow_the_browser(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert html_lang(page) == "zh-hans"
    assert html_lang(client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_the_saved_language_wins_over_the_browser(client_for, owner):
    Profile.objects.create(user=owner, language="zh-hans")
    client = client_for(owner)
    client.cookies[COOKIE] = "en"
    page = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(page) == "zh-hans"


def test_the_language_costs_no_query_per_request(client_for, owner):
    """Read once (at sign-in, here force_login) and kept in the session."""
    Profile.objects.create(user=owner, language="zh-hans")
    client = client_for(owner)
    assert client.session[SESSION_KEY] == "zh-hans"
    with CaptureQueriesContext(connection) as queries:
        assert html_lang(client.get(reverse("customers:list"))) == "zh-hans"
    assert not [q for q in queries if "crm_profile" in q["sql"]]


def test_a_session_without_the_language_reads_it_once(client_for, owner):
    Profile.objects.create(user=owner, language="zh-hans")
    client = client_for(owner)
    session = client.session
    del session[SESSION_KEY]  # a session from before the language was kept there
    session.save()
    for expected_reads in (1, 0):
        with CaptureQueriesContext(connection) as queries:
            assert html_lang(client.get(reverse("customers:list"))) == "zh-hans"
        assert len([q for q in queries if "crm_profile" in q["sql"]]) == expected_reads


@pytest.mark.parametrize("language", ["fr", "zh-Hant", "", "x" * 5000, "en\x00"])
def test_a_language_the_site_does_not_speak_is_refused(rep_client, owner, language):
    response = rep_client.post(
        reverse("set_language"), {"language": language, "next": reverse("customers:list")}
    )
    assert response.status_code == 400
    assert COOKIE not in response.cookies
    assert not Profile.objects.filter(user=owner).exists()


def test_the_switcher_takes_only_a_post(rep_client):
    assert rep_client.get(reverse("set_language"), {"language": "zh-hans"}).status_code == 405


def test_the_switcher_never_sends_to_another_site(client, db):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- The preferences page ----------------------------------------------------------------


def test_preferences_save_the_language_and_the_cookie(rep_client, owner):
    url = reverse("preferences")
    page = rep_client.get(url)
    assert page.status_code == 200
    assert 'value="zh-hans"' in page.content.decode()

    saved = rep_client.post(url, {"language": "zh-hans"})
    assert saved.status_code == 302
    assert saved.cookies[COOKIE].value == "zh-hans"
    assert Profile.objects.get(user=owner).language == "zh-hans"
    assert html_lang(rep_client.get(url)) == "zh-hans"

    # Back to the browser's language: the profile and the cookie forget the choice.
    cleared = rep_client.post(url, {"language": ""})
    assert cleared.status_code == 302
    assert cleared.cookies[COOKIE].value == ""  # deleted
    assert Profile.objects.get(user=owner).language == ""
    assert html_lang(rep_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")) == "zh-hans"
    assert html_lang(rep_client.get(url, HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_preferences_refuse_an_unknown_language(rep_client, owner):
    response = rep_client.post(reverse("preferences"), {"language": "klingon"})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not Profile.objects.filter(user=owner).exists()


def test_preferences_need_a_login(client, db):
    response = client.get(reverse("preferences"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Emails to users ----------------------------------------------------------------------


def test_password_reset_email_is_in_the_requesting_browsers_language(client, owner):
    response = client.post(
        reverse("password_reset"), {"email": owner.email}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    with translation.override("zh-hans"):
        chinese = translation.gettext("Please go to the following page and choose a new password:")
    assert chinese != "Please go to the following page and choose a new password:"
    assert chinese in message.body


def test_task_reminders_are_written_in_each_assignees_language(owner, teammate):
    Profile.objects.create(user=owner, language="zh-hans")
    TaskFactory(assignee=owner, customer__owner=owner)
    TaskFactory(assignee=teammate, customer__owner=teammate)
    rendered = {}

    def remember_language(template, context):
        rendered[context["user"].username] = translation.get_language()
        return "body"

    with mock.patch("customers.services.render_to_string", remember_language):
        assert task_reminders_send(today=dt.date(2027, 1, 1)) == 2
    assert rendered == {owner.username: "zh-hans", teammate.username: "en"}
