"""Whom to call next (high-value customers slipping away) and the high-value detractors."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_update
from metrics import services
from metrics.explain import percent
from metrics.models import CustomerScore
from surveys.models import Survey
from tests.factories import TaskFactory, UserFactory, persona
from tests.metrics.population import AS_OF, big_spender, population
from tests.shared import shared_rows
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

LOGIN_URL = "/accounts/login/"
EARLIER = dt.date(2026, 8, 1)
PAGES = ["metrics:call_next", "metrics:detractors"]


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _names(response):
    return [score.customer.name for score in response.context["page"].items]


@pytest.mark.parametrize("view", PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [(None, "login"), ("outsider", 403), ("owner", 200), ("manager", 200), ("admin_user", 200)],
)
def test_page_permissions(request, db, client_for, view, persona, expected):
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).get(reverse(view))

    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(LOGIN_URL)
    else:
        assert response.status_code == expected


def test_the_nav_links_to_call_next(client_for, owner):
    html = client_for(owner).get(reverse("customers:list")).content.decode()

    assert f'href="{reverse("metrics:call_next")}">Call next</a>' in html


# --- Call next --------------------------------------------------------------------------


def _score(customer):
    return CustomerScore.objects.get(customer=customer)


@pytest.mark.xdist_group("call-next-book")  # one build of the shared rows
class TestCallNext:
    """Scored on EARLIER and again on AS_OF (BG/NBD not fitted: the inactivity rule sets
    churn risk, so it rises for whoever did not order in between), once for the class
    (tests/shared.py)."""

    @pytest.fixture(scope="class", autouse=True)
    def book_ids(self, django_db_setup, django_db_blocker):
        def build():
            owner, teammate = persona("owner"), persona("teammate")
            population(30, seed=9, owner=UserFactory(username="bg"))
            customers = {
                "Lapsing": big_spender(owner, "Lapsing", last=dt.date(2026, 6, 1)),
                "Sleeping": big_spender(owner, "Sleeping", last=dt.date(2025, 12, 15)),
                "Fresh": big_spender(owner, "Fresh", last=dt.date(2026, 10, 25)),
                "Their lapsing": big_spender(teammate, "Their lapsing", last=dt.date(2026, 6, 1)),
            }
            services.full_run_sync(as_of=EARLIER)
            services.full_run_sync(as_of=AS_OF)
            return {name: customer.pk for name, customer in customers.items()}

        yield from shared_rows(django_db_blocker, build)

    @pytest.fixture
    def book(self, db, book_ids):
        found = Customer.objects.in_bulk(book_ids.values())
        return {name: found[pk] for name, pk in book_ids.items()}

    def test_call_next_lists_slipping_high_value_customers_most_at_stake_first(
        self, client_for, owner, book
    ):
        scores = [_score(book[name]) for name in ("Lapsing", "Sleeping")]
        assert all(s.tier in ("A", "B") for s in scores)
        expected = sorted(scores, key=lambda s: -float(s.loss_value) * s.churn_risk)

        response = client_for(owner).get(reverse("metrics:call_next"))

        assert _names(response) == [s.customer.name for s in expected]

    def test_call_next_says_why(self, client_for, owner, book):
        lapsing = _score(book["Lapsing"])

        html = _text(client_for(owner).get(reverse("metrics:call_next")))

        # Last order 2026-06-01: 61 days before the first run, 153 before the second.
        assert percent(lapsing.previous_churn_risk) == 17
        assert percent(lapsing.churn_risk) == 42
        assert (
            f"Tier {lapsing.tier}, churn risk up from 17% to 42%, last order 153 days ago" in html
        )
        # "Log a call" opens the activity form with Call preselected.
        activities = reverse("customers:activities", args=[book["Lapsing"].pk])
        assert f'href="{activities}?kind=call#log-activity">Log a call</a>' in html

    def test_a_row_shows_the_tier_owner_score_and_amounts_in_the_readers_language(
        self, client_for, manager, owner, book
    ):
        lapsing = _score(book["Lapsing"])
        response = client_for(manager).get(
            reverse("metrics:call_next"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        html = response.content.decode()
        row = next(r for r in html.split("<tr>") if ">Lapsing</a>" in r)

        value = reverse("metrics:customer_value", args=[book["Lapsing"].pk])
        assert f'<a href="{value}">Lapsing</a>' in row
        assert f'<span class="badge tier tier-{lapsing.tier}">{lapsing.tier} 级</span>' in row
        assert f'<td data-label="负责人">{owner.get_full_name() or owner.username}</td>' in row
        assert f'<td class="num" data-label="评分">{round(lapsing.value_score)}</td>' in row
        assert row.count('<td class="num" data-label=') == 3
        assert row.count(">US$") == 2
        assert ">记录电话</a>" in row

    def test_call_next_leaves_out_improving_and_low_value_customers(self, client_for, owner, book):
        fresh = _score(book["Fresh"])
        assert fresh.churn_risk < fresh.previous_churn_risk
        assert fresh.churn_risk < 0.5

        names = _names(client_for(owner).get(reverse("metrics:call_next")))

        assert "Fresh" not in names
        assert all(CustomerScore.objects.get(customer__name=n).tier != "C" for n in names)

    def test_a_rep_sees_only_their_customers_even_when_asking_for_another_owner(
        self, client_for, owner, teammate, book
    ):
        response = client_for(owner).get(reverse("metrics:call_next"), {"owner": teammate.pk})

        assert "Their lapsing" not in _names(response)
        assert "Lapsing" in _names(response)
        assert 'name="owner"' not in response.content.decode()

    def test_a_manager_sees_everyone_and_filters_by_owner(
        self, client_for, manager, teammate, book
    ):
        client = client_for(manager)

        everyone = _names(client.get(reverse("metrics:call_next")))
        theirs = client.get(reverse("metrics:call_next"), {"owner": teammate.pk})

        assert {"Lapsing", "Sleeping", "Their lapsing"} <= set(everyone)
        assert _names(theirs) == ["Their lapsing"]
        assert 'name="owner"' in theirs.content.decode()

    def test_a_book_follows_a_reassignment_and_a_stale_copy_never_shows_anothers_customer(
        self, client_for, owner, teammate, manager, book
    ):
        """One book is read by the owner copied onto the scores (metrics 0022); the
        customers are checked too. A reassignment through the services moves the copy;
        one that bypassed them leaves it stale, which hides the customer from its new
        owner until the next recalculation but never shows it to the former one."""
        customer_update(user=manager, customer=book["Their lapsing"], owner=owner)
        assert _score(book["Their lapsing"]).customer_owner_id == owner.pk
        assert "Their lapsing" in _names(client_for(owner).get(reverse("metrics:call_next")))

        Customer.objects.filter(pk=book["Lapsing"].pk).update(owner=teammate)

        assert _score(book["Lapsing"]).customer_owner_id == owner.pk  # stale
        assert "Lapsing" not in _names(client_for(owner).get(reverse("metrics:call_next")))
        for_teammate = client_for(manager).get(reverse("metrics:call_next"), {"owner": teammate.pk})
        assert "Lapsing" not in _names(for_teammate)

    def test_call_next_pages(self, client_for, owner, book, settings):
        client = client_for(owner)
        everyone = _names(client.get(reverse("metrics:call_next")))
        settings.CRM_PAGE_SIZE = 1

        first = client.get(reverse("metrics:call_next"))
        second = client.get(
            reverse("metrics:call_next"), {"cursor": first.context["page"].next_cursor}
        )

        assert 'rel="next"' in first.content.decode()
        assert _names(first) + _names(second) == everyone

    def test_call_next_htmx_gets_only_the_list(self, client_for, manager, teammate, book):
        response = client_for(manager).get(
            reverse("metrics:call_next"), {"owner": teammate.pk}, headers={"HX-Request": "true"}
        )

        html = response.content.decode()
        assert "<html" not in html
        assert 'name="owner"' not in html
        assert "Their lapsing" in html


def test_call_next_empty_state(client_for, owner):
    response = client_for(owner).get(reverse("metrics:call_next"))

    assert "Nobody to call" in response.content.decode()


# --- High-value detractors ------------------------------------------------------------------


def _nps(customer, score, comment="", day=dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)):
    survey = SurveyFactory(kind=Survey.Kind.NPS)
    invitation = InvitationFactory(survey=survey, customer=customer)
    return ResponseFactory(
        invitation=invitation, score=score, comment=comment, responded_at=day, updated_at=day
    )


@pytest.mark.xdist_group("call-next-detractors")  # one build of the shared rows
class TestDetractors:
    """High-value detractors among 30 others, scored as of AS_OF once for the class
    (tests/shared.py)."""

    @pytest.fixture(scope="class", autouse=True)
    def detractors(self, django_db_setup, django_db_blocker):
        def build():
            owner, teammate = persona("owner"), persona("teammate")
            population(30, seed=6, owner=UserFactory(username="bg"))
            unhappy = big_spender(owner, "Unhappy")
            response = _nps(unhappy, 3, "Deliveries are too slow")
            response.follow_up_task = TaskFactory(customer=unhappy, due_on=dt.date(2026, 6, 8))
            response.save()
            changed = big_spender(owner, "Still unhappy")
            _nps(changed, 2, "Old complaint", day=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
            _nps(changed, 5, "Better, still slow")
            _nps(big_spender(owner, "Happy"), 10, "Great")
            _nps(big_spender(teammate, "Their unhappy"), 1, "Never again")
            small = population(1, seed=99, owner=owner)[0]
            _nps(small, 0, "Small and unhappy")
            services.full_run_sync(as_of=AS_OF)

        yield from shared_rows(django_db_blocker, build)

    def test_detractors_lists_high_value_detractors_with_their_latest_comment(
        self, client_for, owner, detractors
    ):
        response = client_for(owner).get(reverse("metrics:detractors"))
        html = _text(response)

        assert sorted(_names(response)) == ["Still unhappy", "Unhappy"]
        assert "Deliveries are too slow" in html
        assert "Open, due 2026-06-08" in html
        assert "Better, still slow" in html
        assert "Old complaint" not in html
        assert "No task" in html
        assert "Great" not in html
        assert "Never again" not in html

    def test_detractors_read_the_answers_in_one_query(self, client_for, owner, detractors):
        with CaptureQueriesContext(connection) as queries:
            client_for(owner).get(reverse("metrics:detractors"))

        reading_answers = [q for q in queries.captured_queries if "surveys_response" in q["sql"]]
        assert len(reading_answers) == 1

    def test_a_manager_sees_every_owners_detractors(
        self, client_for, manager, teammate, detractors
    ):
        client = client_for(manager)

        assert {"Unhappy", "Still unhappy", "Their unhappy"} <= set(
            _names(client.get(reverse("metrics:detractors")))
        )
        filtered = client.get(reverse("metrics:detractors"), {"owner": teammate.pk})
        assert _names(filtered) == ["Their unhappy"]

    def test_a_done_follow_up_shows_as_done(self, client_for, owner, detractors):
        task = CustomerScore.objects.get(customer__name="Unhappy").customer.activities.get()
        task.done = True
        task.save()

        html = _text(client_for(owner).get(reverse("metrics:detractors")))

        assert "Done" in html
        assert "Open, due 2026-06-08" not in html


def test_detractors_empty_state(client_for, owner):
    response = client_for(owner).get(reverse("metrics:detractors"))

    assert "No tier A or B customer is a detractor." in response.content.decode()
