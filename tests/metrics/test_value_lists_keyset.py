"""Call next and the high-value detractors page by keyset (issue 14): walked forwards by
each page's Next link and back by each Previous link, every customer comes once, in the
list's order, through ties of the amount at stake and of the value score, blanks, and as
a manager, an owner filter or a rep; a cursor not ours is the first page."""

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core import signing
from django.urls import reverse

from core.pagination import Position, cursor_for, read_cursor
from metrics.selectors_customer import CALL_NEXT_ORDER, DETRACTORS_ORDER
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk

# (loss value, churn risk, value score): equal amounts at stake (100 x 0.6 = 60 x 1.0),
# equal scores among them, blanks of both, and a zero at stake.
CALLS = [
    ("100", 0.6, 80.0),
    ("60", 1.0, 80.0),
    ("100", 0.6, 80.0),
    ("100", 0.6, None),
    ("60", 1.0, 90.0),
    ("200", 0.9, 70.0),
    (None, 0.7, 95.0),
    (None, 0.8, None),
    (None, 0.9, 95.0),
    ("0", 0.5, 99.0),
    ("0", 0.9, 10.0),
    ("500", 0.55, None),
    ("300", 0.7, 85.0),
]


def _expected_calls(scores):
    def key(score):
        stake = None if score.loss_value is None else float(score.loss_value) * score.churn_risk
        return (
            stake is None,
            -(stake or 0),
            score.value_score is None,
            -(score.value_score or 0),
            score.pk,
        )

    return [score.pk for score in sorted(scores, key=key)]


@pytest.fixture
def calls(db, owner, teammate):
    made = []
    for n, (loss, risk, value) in enumerate(CALLS):
        customer = CustomerFactory(owner=owner if n % 3 else teammate)
        made.append(
            ScoreFactory(
                customer=customer,
                tier="A" if n % 2 else "B",
                loss_value=None if loss is None else Decimal(loss),
                churn_risk=risk,
                previous_churn_risk=0.1,
                value_score=value,
            )
        )
    # Never listed: a rising churn risk of tier C, a low and falling one of tier A.
    ScoreFactory(customer=CustomerFactory(owner=owner), tier="C", churn_risk=0.9, loss_value=1)
    ScoreFactory(
        customer=CustomerFactory(owner=owner),
        tier="A",
        churn_risk=0.2,
        previous_churn_risk=0.4,
        loss_value=Decimal(900),
    )
    return made


def assert_pages_cost_the_same(queries):
    """Every page the first page's queries, but where the blanks begin: one more, the
    blanks' own read (core.pagination.Keyset), on the page ending the rows with a value
    and, when it ends with them, the next."""
    first = queries[0]
    assert set(queries) <= {first, first + 1}, queries


def _walk_back(client, url, last_page):
    """The ids of each page from the one whose page object is ``last_page`` back to the
    first, by each page's Previous cursor, each in its order."""
    pages, page = [], last_page
    while page.has_previous:
        sep = "&" if "?" in url else "?"
        page = client.get(f"{url}{sep}cursor={quote(page.previous_cursor)}").context["page"]
        pages.append([row.pk for row in page.items])
    return pages[::-1]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("who", ["manager", "owner", "manager filtering by owner"])
def test_call_next_walks_every_customer_once_in_order_forwards_and_back(
    request, client_for, owner, calls, settings, size, who
):
    settings.CRM_PAGE_SIZE = size
    user = request.getfixturevalue(who.split()[0])
    url = reverse("metrics:call_next")
    listed = calls
    if who != "manager":
        listed = [score for score in calls if score.customer.owner_id == owner.pk]
        if who.endswith("owner"):
            url += f"?owner={owner.pk}"
    client = client_for(user)
    client.get(url)  # the session's first request reads what it keeps

    forwards = walk(client, url)

    assert forwards.ids == _expected_calls(listed)
    assert_pages_cost_the_same(forwards.queries)
    last = client.get(url).context["page"]
    for _ in forwards.pages[1:]:
        sep = "&" if "?" in url else "?"
        last = client.get(f"{url}{sep}cursor={quote(last.next_cursor)}").context["page"]
    assert _walk_back(client, url, last) == forwards.pages[:-1]


def test_call_next_answers_a_cursor_not_ours_with_its_first_page(
    client_for, manager, calls, settings
):
    settings.CRM_PAGE_SIZE = 4
    client = client_for(manager)
    url = reverse("metrics:call_next")

    assert_cursors_not_ours_show_the_first_page(client, url, _expected_calls(calls)[:4])
    # An old page number is the first page too, never a 404.
    response = client.get(url, {"page": 10**6})
    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].items] == _expected_calls(calls)[:4]


def test_a_cursor_carries_the_second_key_and_is_refused_without_it():
    position = Position(60.0, 7, 80.0)

    cursor = cursor_for(CALL_NEXT_ORDER, position, forward=True)

    assert read_cursor(CALL_NEXT_ORDER, cursor) == (position, True)
    without = signing.Signer(salt="core.pagination.cursor", sep=".").sign_object(
        ["call-next", 60.0, 7, 1], compress=True
    )
    assert read_cursor(CALL_NEXT_ORDER, without) is None
    other = cursor_for(DETRACTORS_ORDER, position, forward=True)
    assert read_cursor(CALL_NEXT_ORDER, other) is None
    # A keyset without a second key reads its cursors as before.
    bare = Position(60.0, 7)
    assert read_cursor(DETRACTORS_ORDER, cursor_for(DETRACTORS_ORDER, bare, forward=False)) == (
        bare,
        False,
    )


@pytest.fixture
def detractors(db, owner, teammate):
    made = []
    for n, value in enumerate([80.0, 80.0, None, 95.0, 80.0, 10.0, None, 60.0]):
        customer = CustomerFactory(owner=owner if n % 2 else teammate)
        made.append(ScoreFactory(customer=customer, value_score=value, nps_category="detractor"))
    ScoreFactory(customer=CustomerFactory(owner=owner), nps_category="promoter")
    ScoreFactory(customer=CustomerFactory(owner=owner), tier="C", nps_category="detractor")
    return made


@pytest.mark.parametrize("who", ["manager", "owner"])
def test_detractors_walk_every_customer_once_in_order(
    request, client_for, owner, detractors, settings, who
):
    settings.CRM_PAGE_SIZE = 3
    # A tier without a value score is none the engine writes: never listed.
    listed = [score for score in detractors if score.value_score is not None]
    if who == "owner":
        listed = [score for score in listed if score.customer.owner_id == owner.pk]
    expected = [score.pk for score in sorted(listed, key=lambda s: (-s.value_score, s.pk))]
    client = client_for(request.getfixturevalue(who))
    client.get(reverse("metrics:detractors"))

    forwards = walk(client, reverse("metrics:detractors"), target="#value-list")

    assert forwards.ids == expected
    assert len(set(forwards.queries)) == 1, forwards.queries
