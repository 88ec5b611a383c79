"""My open tasks a keyset page at a time, soonest due first (customers.selectors.TASKS_ORDER):
every task once, in order, through ties on the day, whoever or whatever made it; the same
queries on every page; a cursor not made here shows the first page."""

import datetime as dt

import pytest
from django.urls import reverse

from customers import services
from customers.models import Activity
from surveys import services as survey_services
from tests.factories import CustomerFactory, TaskFactory
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk
from tests.surveys.factories import NOW, InvitationFactory, SurveyFactory

URL = reverse("customers:my_tasks")
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def tasks(owner, teammate, manager):
    """The rep's open tasks, made every way a task is made; around them, tasks that are not
    theirs to do, done, or on a customer they no longer see."""
    mine = CustomerFactory(owner=owner, name="Mine Ltd")
    made = [
        TaskFactory(customer=mine, due_on=DAY + dt.timedelta(days=days), subject=f"Task {i}")
        for i, days in enumerate([2, 0, 1, 0, 2, 3, 0])
    ]
    # On the customer's page, by the rep, and by a manager for the rep (author not assignee).
    made.append(
        services.activity_create(
            user=owner, customer=mine, kind="task", subject="Call back", due_on=DAY
        )
    )
    made.append(
        services.activity_create(
            user=manager, customer=mine, kind="task", subject="For you", due_on=DAY, assignee=owner
        )
    )
    # The CRM's own follow-up of a detractor's answer: no author.
    invitation = InvitationFactory(survey=SurveyFactory(), customer=mine)
    answer = survey_services.response_submit(
        invitation=invitation, score=1, comment="Bad.", now=NOW
    )
    made.append(answer.follow_up_task)
    # A task without a due date, which no page makes but the table allows: last.
    made.append(TaskFactory(customer=mine, due_on=None, subject="Someday"))

    TaskFactory(customer=mine, due_on=DAY, done=True)
    TaskFactory(customer=mine, due_on=DAY, assignee=teammate)
    TaskFactory(customer=CustomerFactory(owner=teammate), due_on=DAY, assignee=owner)
    return made


def _soonest_first(tasks):
    due = sorted((t for t in tasks if t.due_on), key=lambda t: (t.due_on, t.pk))
    return [t.pk for t in due] + sorted(t.pk for t in tasks if t.due_on is None)


def test_walking_my_tasks_shows_each_once_soonest_first_in_the_same_queries(
    client_for, owner, tasks, settings
):
    settings.CRM_PAGE_SIZE = 3
    assert {t.author_id for t in tasks} >= {owner.pk, None}

    pages = walk(client_for(owner), URL)

    assert pages.ids == _soonest_first(tasks)
    assert [len(page) for page in pages.pages] == [3, 3, 3, 2]
    # Every page with one after it, the first and the deepest, runs the same queries (the
    # last reads the tasks without a date too: one query more).
    assert len(set(pages.queries[:-1])) == 1, pages.queries
    assert "Someday" in pages.html[-1]


def test_the_pager_swaps_the_task_list_with_htmx(client_for, owner, tasks, settings):
    settings.CRM_PAGE_SIZE = 4

    pages = walk(client_for(owner), URL, target="my-tasks")

    assert pages.ids == _soonest_first(tasks)
    assert all("<h1>" not in html and "<table" in html for html in pages.html)
    # Marking a task done without JavaScript comes back to the page it was on.
    assert f'name="next" value="{URL}?cursor=' in pages.html[1]


def test_a_cursor_not_made_here_shows_the_first_page(client_for, owner, tasks, settings):
    settings.CRM_PAGE_SIZE = 3

    assert_cursors_not_ours_show_the_first_page(client_for(owner), URL, _soonest_first(tasks)[:3])


def test_no_open_tasks_says_so(client_for, owner):
    TaskFactory(customer=CustomerFactory(owner=owner), done=True)

    html = client_for(owner).get(URL).content.decode()

    assert "No open tasks. Nice work." in html
    assert 'rel="next"' not in html
    assert Activity.objects.open_tasks().count() == 0
