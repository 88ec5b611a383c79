import csv
import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils.formats import reset_format_cache

from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

SURVEY_PAGES = {
    # name: (url name, needs an admin, extra request headers)
    "list": ("surveys:list", False, {}),
    "detail": ("surveys:detail", False, {}),
    "comments": ("surveys:comments", False, {}),
    "export": ("surveys:export", False, {}),
    "create": ("surveys:create", True, {}),
    "edit": ("surveys:edit", True, {}),
    "audience": ("surveys:audience", True, {}),
    "send": ("surveys:send", True, {}),
    "progress": ("surveys:progress", True, {"HTTP_HX_REQUEST": "true"}),
    "retry": ("surveys:retry", True, {}),
    "close": ("surveys:close", True, {}),
}
PERSONAS = ["outsider", "owner", "manager", "admin_user"]


def page_url(name, survey):
    url_name = SURVEY_PAGES[name][0]
    if name in ("list", "create"):
        return reverse(url_name)
    return reverse(url_name, args=[survey.pk])


@pytest.fixture
def survey(owner):
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    ResponseFactory(
        invitation=InvitationFactory(survey=survey, customer__owner=owner), score=3, comment="Meh"
    )
    return survey


@pytest.mark.parametrize("page", SURVEY_PAGES)
def test_anonymous_is_sent_to_login(client, survey, page):
    response = client.get(page_url(page, survey))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", SURVEY_PAGES)
def test_survey_pages_by_role(request, client_for, survey, page, persona):
    user = request.getfixturevalue(persona)
    _url_name, admin_only, headers = SURVEY_PAGES[page]
    response = client_for(user).get(page_url(page, survey), **headers)
    if persona == "outsider":
        expected = 403
    elif persona == "admin_user":
        expected = 200
    else:
        expected = 403 if admin_only else 200
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "whose", "expected"),
    [
        ("outsider", "owner", 404),
        ("owner", "owner", 200),
        ("teammate", "owner", 404),
        ("manager", "owner", 200),
        ("admin_user", "owner", 200),
    ],
)
def test_customer_surveys_tab_by_role(request, client_for, survey, persona, whose, expected):
    customer = survey.invitations.get().customer
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("surveys:customer_surveys", args=[customer.pk])
    )
    assert response.status_code == expected


def test_customer_surveys_tab_anonymous(client, survey):
    customer = survey.invitations.get().customer
    response = client.get(reverse("surveys:customer_surveys", args=[customer.pk]))
    assert response.status_code == 302


def test_customer_tab_shows_history_with_answers(client_for, owner, survey):
    customer = survey.invitations.get().customer
    InvitationFactory(customer=customer, survey__name="Never answered")
    response = client_for(owner).get(reverse("surveys:customer_surveys", args=[customer.pk]))
    content = response.content.decode()
    assert survey.name in content
    assert "Never answered" in content
    assert "Meh" in content
    assert "no answer" in content
    assert 'aria-current="page">Surveys' in content


def test_nav_link_for_roles_only(client_for, owner, outsider):
    assert b">Surveys</a>" in client_for(owner).get(reverse("analytics:dashboard")).content
    assert b">Surveys</a>" not in client_for(outsider).get(reverse("analytics:dashboard")).content


def test_rep_sees_only_their_customers_in_results_comments_and_export(
    client_for, owner, teammate, survey
):
    ResponseFactory(
        invitation=InvitationFactory(survey=survey, customer__owner=teammate, customer__name="T"),
        score=10,
        comment="Not yours",
    )
    client = client_for(owner)
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "your customers only" in detail
    comments = client.get(reverse("surveys:comments", args=[survey.pk])).content.decode()
    assert "Meh" in comments
    assert "Not yours" not in comments
    export = client.get(reverse("surveys:export", args=[survey.pk]))
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Meh" in text
    assert "Not yours" not in text


def test_create_then_audience_then_send(
    client_for, admin_user, owner, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    invalid = client.post(reverse("surveys:create"), {"name": "", "kind": "nps"})
    assert invalid.status_code == 200
    assert b"This field is required" in invalid.content

    created = client.post(
        reverse("surveys:create"), {"name": "Autumn NPS", "kind": "nps", "send_reminder": "on"}
    )
    survey = Survey.objects.get(name="Autumn NPS")
    assert created["Location"] == reverse("surveys:audience", args=[survey.pk])

    CustomerFactory(owner=owner, region="North", email="north@example.com")
    CustomerFactory(owner=owner, region="South", email="south@example.com")
    audience_url = reverse("surveys:audience", args=[survey.pk])
    preview = client.post(
        audience_url,
        {"mode": "filters", "status": "active", "region": "North"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200
    assert b"1 customer will be emailed" in preview.content
    assert b"<html" not in preview.content
    survey.refresh_from_db()
    assert survey.audience == {"mode": "filters", "status": "active"}

    saved = client.post(
        audience_url, {"mode": "filters", "status": "active", "region": "North", "action": "save"}
    )
    assert saved.status_code == 302
    survey.refresh_from_db()
    assert survey.audience["region"] == "North"

    confirm = client.get(reverse("surveys:send", args=[survey.pk]))
    assert b"1 customer will be emailed" in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("surveys:send", args=[survey.pk]), {"send_at": ""})
    assert sent.status_code == 302
    assert [m.to for m in mail.outbox] == [["north@example.com"]]
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN

    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "1 of 1 emails sent" in detail
    assert "every 1s" not in detail


def test_audience_list_reports_unknown_entries(client_for, admin_user, owner):
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    CustomerFactory(owner=owner, email="known@example.com")
    upload = SimpleUploadedFile("list.csv", b"email\nknown@example.com\nghost@example.com\n")
    response = client_for(admin_user).post(
        reverse("surveys:audience", args=[survey.pk]),
        {"mode": "list", "entries": "ERP-0", "upload": upload},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "1 customer will be emailed" in content
    assert "2 entries of the list match no customer" in content
    assert "ghost@example.com" in content
    assert "ERP-0" in content


def test_empty_list_is_an_inline_error(client_for, admin_user):
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    response = client_for(admin_user).post(
        reverse("surveys:audience", args=[survey.pk]),
        {"mode": "list", "entries": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    response = client_for(admin_user).post(
        reverse("surveys:audience", args=[survey.pk]), {"mode": "list", "entries": " "}
    )
    assert response.status_code == 200
    assert b"Paste or upload at least one" in response.content


def test_progress_polls_while_sending(client_for, admin_user, owner):
    survey = SurveyFactory(status=Survey.Status.SENDING)
    InvitationFactory.create_batch(3, survey=survey, customer__owner=owner)
    InvitationFactory(survey=survey, customer__owner=owner, state=Invitation.State.PENDING)
    client = client_for(admin_user)

    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in detail
    fragment = client.get(reverse("surveys:progress", args=[survey.pk]), HTTP_HX_REQUEST="true")
    assert b"3 of 4 emails sent" in fragment.content
    assert b"<html" not in fragment.content

    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.OPEN)
    fragment = client.get(reverse("surveys:progress", args=[survey.pk]), HTTP_HX_REQUEST="true")
    assert b"every 1s" not in fragment.content
    # Without htmx the progress URL is just the survey page.
    assert client.get(reverse("surveys:progress", args=[survey.pk])).status_code == 302


def test_close_asks_first(client_for, admin_user):
    survey = SurveyFactory()
    client = client_for(admin_user)
    confirm = client.get(reverse("surveys:close", args=[survey.pk]))
    assert b"Close the survey" in confirm.content
    survey.refresh_from_db()
    assert survey.status == Survey.Status.OPEN
    client.post(reverse("surveys:close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED


def test_retry_requeues_failed(client_for, admin_user, owner, django_capture_on_commit_callbacks):
    survey = SurveyFactory()
    InvitationFactory(
        survey=survey, customer__owner=owner, state=Invitation.State.FAILED, sent_at=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(reverse("surveys:retry", args=[survey.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert survey.invitations.get().state == Invitation.State.SENT


def test_results_page_shows_numbers_and_bars(client_for, manager, owner):
    survey = SurveyFactory()
    for score in (10, 10, 9, 7, 3):
        ResponseFactory(
            invitation=InvitationFactory(survey=survey, customer__owner=owner), score=score
        )
    content = client_for(manager).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert '<dd class="big">40</dd>' in content  # 60% promoters - 20% detractors
    assert "Promoters" in content
    assert "60.0%" in content
    assert 'class="bar-fill stack-good" width="100%"' in content
    assert "5 of 5 delivered" in content
    by_week = client_for(manager).get(reverse("surveys:detail", args=[survey.pk]) + "?period=week")
    assert b"Week of" in by_week.content


def test_comments_page_filters_with_htmx(client_for, manager, owner):
    survey = SurveyFactory()
    for score, comment in ((10, "Brilliant"), (2, "Broken invoice")):
        ResponseFactory(
            invitation=InvitationFactory(survey=survey, customer__owner=owner),
            score=score,
            comment=comment,
        )
    url = reverse("surveys:comments", args=[survey.pk])
    response = client_for(manager).get(url + "?band=bad", HTTP_HX_REQUEST="true")
    assert b"Broken invoice" in response.content
    assert b"Brilliant" not in response.content
    assert b"<html" not in response.content
    response = client_for(manager).get(url + "?q=brill")
    assert b"Brilliant" in response.content
    assert b"Broken" not in response.content


def test_csv_export_streams_safe_cells_with_a_bom(client_for, manager, owner):
    """The same writer as the customer and order exports (core.csv): a byte order mark so
    Excel reads the accented names as UTF-8, formula-like cells neutralised, streamed."""
    survey = SurveyFactory()
    ResponseFactory(
        invitation=InvitationFactory(
            survey=survey, customer__owner=owner, customer__name="Crème Brûlée GmbH"
        ),
        score=6,
        comment='=HYPERLINK("http://evil")',
    )
    response = client_for(manager).get(reverse("surveys:export", args=[survey.pk]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="survey-{survey.pk}-responses.csv"'
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Customer", "External id", "Email"]
    assert rows[1][0] == "Crème Brûlée GmbH"
    assert rows[1][6:9] == ["6", "Detractors", '\'=HYPERLINK("http://evil")']
    assert b"\n=" not in body
    assert b",=" not in body


def test_sent_survey_edit_form_only_offers_closing_date_and_reminder(client_for, admin_user):
    survey = SurveyFactory()
    response = client_for(admin_user).get(reverse("surveys:edit", args=[survey.pk]))
    content = response.content.decode()
    assert 'name="closes_on"' in content
    assert 'name="question"' not in content
    response = client_for(admin_user).post(
        reverse("surveys:edit", args=[survey.pk]), {"closes_on": "2026-12-31"}
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert str(survey.closes_on) == "2026-12-31"


def test_sending_to_nobody_is_refused_on_the_page(client_for, admin_user, owner):
    CustomerFactory(owner=owner, email="")  # matches the audience, has no address
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    client = client_for(admin_user)
    page = client.get(reverse("surveys:send", args=[survey.pk])).content.decode()
    assert "0 customers will be emailed" in page
    assert "so the survey cannot be sent" in page
    assert "Send the survey" not in page
    # A POST anyway (an old tab) is refused with the reason, and nothing is scheduled.
    refused = client.post(reverse("surveys:send", args=[survey.pk]), {"send_at": ""})
    assert refused.status_code == 200
    assert "No customer of this audience can be emailed" in refused.content.decode()
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT


@pytest.mark.parametrize(
    ("send_reminder", "said", "not_said"),
    [
        (True, "get one reminder 7 days later", "No reminder is sent"),
        (False, "No reminder is sent", "one reminder"),
    ],
)
def test_the_send_page_says_whether_a_reminder_follows(
    client_for, admin_user, owner, send_reminder, said, not_said
):
    CustomerFactory(owner=owner)
    survey = SurveyFactory(status=Survey.Status.DRAFT, send_reminder=send_reminder)
    page = client_for(admin_user).get(reverse("surveys:send", args=[survey.pk])).content.decode()
    text = page.replace("&#x27;", "'")
    assert said in text
    assert not_said not in text
    assert "Send the survey" in page


def test_a_margin_needs_enough_answers(client_for, manager, owner, teammate):
    """Breakdown rows (and the whole survey) with few answers say so instead of "± 0"."""
    survey = SurveyFactory()
    for _ in range(2):
        ResponseFactory(
            invitation=InvitationFactory(survey=survey, customer__owner=teammate), score=10
        )
    for score in [10] * 20 + [8] * 10 + [3] * 10:
        ResponseFactory(
            invitation=InvitationFactory(survey=survey, customer__owner=owner), score=score
        )
    page = client_for(manager).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "± 0" not in page
    # Breakdown rows by their number of answers (the owner table has one row per owner).
    row = r'<tr><td>[^<]*</td><td class="num"[^>]*>(\d+)</td>(.*?)</tr>'
    rows = re.findall(row, page, flags=re.S)
    few = [cells for count, cells in rows if count == "2"]
    enough = [cells for count, cells in rows if count == "40"]
    assert few
    assert enough
    assert all("too few answers" in cells and "±" not in cells for cells in few)
    assert all("± " in cells and "too few answers" not in cells for cells in enough)


def test_a_scheduled_time_ends_with_one_full_stop(client_for, admin_user):
    survey = SurveyFactory(
        status=Survey.Status.SCHEDULED,
        scheduled_for=dt.datetime(2026, 6, 1, 4, 27, tzinfo=dt.UTC),
    )
    # Django's own English formats ("4:27 a.m."); the cache of formats is reset on the way
    # in and out, since changing FORMAT_MODULE_PATH does not reset it.
    reset_format_cache()
    try:
        with override_settings(FORMAT_MODULE_PATH=[]):
            page = client_for(admin_user).get(reverse("surveys:detail", args=[survey.pk]))
    finally:
        reset_format_cache()
    page = page.content.decode()
    assert re.search(r"4:27\Wa\.m\.", page)
    assert "a.m.." not in page
