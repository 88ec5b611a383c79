"""One owner's scores in the API (a rep's list, a manager's owner filter) are read along the
indexes led by the owner copied onto the score row (``CustomerScore.customer_owner``), the
valued rows then the blanks (issue 14): the same rows in the same order as a reference
computed here, in every ordering, forwards and backwards, under every filter; a stale copy
only hides a row; the same queries for any page size and depth."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.services import customer_update
from metrics import services
from metrics.models import CustomerScore
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population

pytestmark = pytest.mark.django_db

URL = "/api/v1/scores/"
ORDERINGS = ["-value_score", "-churn_risk", "customer", "computed_at", "-computed_at"]
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SINCE = T0 + dt.timedelta(hours=2)


def _rank(score, ordering):
    """The API's order in Python: a figure highest first with blanks last, ties by id."""
    if ordering in ("-value_score", "-churn_risk"):
        figure = getattr(score, ordering[1:])
        return (figure is None, -(figure or 0), score.pk)
    if ordering == "customer":
        return (score.pk,)
    if ordering == "computed_at":
        return (score.computed_at, score.pk)
    return (-score.computed_at.timestamp(), -score.pk)


# (query, the rows it keeps) for each filter of the list.
FILTERS = [
    ({}, lambda s: True),
    ({"tier": "A"}, lambda s: s.tier == "A"),
    ({"segment": "loyal"}, lambda s: s.segment == "loyal"),
    ({"score_min": 40}, lambda s: s.value_score is not None and s.value_score >= 40),
    ({"score_max": 50}, lambda s: s.value_score is not None and s.value_score <= 50),
    ({"churn_risk_min": 0.2}, lambda s: s.churn_risk is not None and s.churn_risk >= 0.2),
    ({"churn_risk_max": 0.2}, lambda s: s.churn_risk is not None and s.churn_risk <= 0.2),
    ({"updated_since": SINCE.isoformat()}, lambda s: s.computed_at >= SINCE),
]


@pytest.fixture
def book(owner, teammate):
    """Scores written by every path: a full run (leads without a figure among them), the
    factories (ties, blanks of either figure), an owner changed through the service (the
    receiver follows) and by a bulk update followed by ``score_copies_follow``; customers
    of another rep and of nobody."""
    population(8, seed=5, owner=owner)
    population(5, seed=6, owner=teammate)
    for customer in population(3, seed=7):
        customer.owner = None
        customer.save()
    services.full_run_sync(as_of=AS_OF)
    figures = [
        (50.0, 0.2, "A", "loyal"),
        (50.0, 0.2, "B", "loyal"),
        (None, 0.2, "", ""),
        (50.0, None, "B", "lost"),
        (None, None, "", ""),
        (80.0, 0.9, "A", "champions"),
        (50.0, 0.2, "A", "loyal"),
        (None, 0.5, "", ""),
        (0.0, 0.0, "D", "lost"),
    ]
    for n, (value, churn, tier, segment) in enumerate(figures):
        for who in (owner, teammate, None):
            ScoreFactory(
                customer=CustomerFactory(owner=who),
                value_score=value,
                churn_risk=churn,
                tier=tier,
                segment=segment,
                computed_at=T0 + dt.timedelta(hours=n % 4),
            )
    # computed_at of the full run's rows: fixed, with ties, some before SINCE.
    run_rows = CustomerScore.objects.exclude(model_version="test").order_by("pk")
    for n, pk in enumerate(run_rows.values_list("pk", flat=True)):
        CustomerScore.objects.filter(pk=pk).update(computed_at=T0 + dt.timedelta(hours=n % 5))
    moved = Customer.objects.filter(owner=teammate).order_by("pk")
    customer_update(user=None, customer=moved[0], owner=owner)
    bulk = list(moved.values_list("pk", flat=True)[1:3])
    Customer.objects.filter(pk__in=bulk).update(owner=owner)
    services.score_copies_follow(bulk)


def _expected(owners, ordering, keep=lambda s: True):
    """The scores of the customers of ``owners`` (None: everyone's) that ``keep`` keeps,
    in the order the API gives."""
    scores = CustomerScore.objects.select_related("customer")
    if owners is not None:
        scores = scores.filter(customer__owner_id__in=owners)
    rows = [s for s in scores if keep(s)]
    return [s.pk for s in sorted(rows, key=lambda s: _rank(s, ordering))]


def _walk(api, url, params=None, direction="next"):
    """[[customer ids of a page]] from ``url`` following ``direction`` links, and the last
    page's body."""
    pages, body = [], api.get(url, params).json()
    pages.append([row["customer"] for row in body["results"]])
    while body[direction]:
        body = api.get(body[direction]).json()
        pages.append([row["customer"] for row in body["results"]])
    return pages, body


def _forward_and_back(api, params):
    forward, last = _walk(api, URL, params)
    if last["previous"] is None:
        return forward, forward
    back, _first = _walk(api, last["previous"], direction="previous")
    return forward, [*back[::-1], forward[-1]]


VIEWERS = ["rep", "owner=", "owner__in=one", "owner__in=two", "everyone"]


def _viewer(name, api_for, owner, teammate, manager):
    """(client, query, owners whose customers are listed: None for everyone's)."""
    if name == "rep":
        return api_for(owner), {}, [owner.pk]
    if name == "owner=":
        return api_for(manager), {"owner": owner.pk}, [owner.pk]
    if name == "owner__in=one":
        return api_for(manager), {"owner__in": f"{owner.pk},{owner.pk}"}, [owner.pk]
    if name == "owner__in=two":
        return api_for(manager), {"owner__in": f"{owner.pk},{teammate.pk}"}, [owner.pk, teammate.pk]
    return api_for(manager), {}, None


@pytest.mark.parametrize("viewer", VIEWERS)
def test_one_book_reads_the_reference_order_both_ways_under_every_filter(
    book, api_for, owner, teammate, manager, viewer
):
    api, query, owners = _viewer(viewer, api_for, owner, teammate, manager)
    # Every filter for one book (walked apart); the other lists, as one query, unfiltered.
    filters = FILTERS if viewer in ("rep", "owner=", "owner__in=one") else FILTERS[:1]
    for ordering, (where, keep) in itertools.product(ORDERINGS, filters):
        expected = _expected(owners, ordering, keep)
        params = {**query, **where, "ordering": ordering, "page_size": 4}
        forward, back = _forward_and_back(api, params)
        assert list(itertools.chain(*forward)) == expected, (ordering, where)
        assert back == forward, (ordering, where)
        assert all(len(page) == 4 for page in forward[:-1])


def test_a_manager_sees_another_owners_book_apart(book, api_for, manager, owner, teammate):
    api = api_for(manager)
    for ordering in ORDERINGS:
        for user in (owner, teammate):
            params = {"owner": user.pk, "ordering": ordering, "page_size": 4}
            forward, back = _forward_and_back(api, params)
            assert list(itertools.chain(*forward)) == _expected([user.pk], ordering)
            assert back == forward


def test_a_stale_owner_copy_only_hides_the_row(book, api_for, owner, teammate, manager):
    """Owners changed by a plain update, the copies not followed: neither the old owner nor
    the new one (nor a manager's filter by either) lists the customer until they are."""
    mine = Customer.objects.filter(owner=owner).order_by("pk").first()
    theirs = Customer.objects.filter(owner=teammate).order_by("pk").first()
    Customer.objects.filter(pk=mine.pk).update(owner=teammate)
    Customer.objects.filter(pk=theirs.pk).update(owner=owner)
    stale = {mine.pk, theirs.pk}
    lists = [
        (user, api, query)
        for user in (owner, teammate)
        for api, query in (
            (api_for(user), {}),
            (api_for(manager), {"owner": user.pk}),
            (api_for(manager), {"owner__in": user.pk}),
        )
    ]
    for ordering in ORDERINGS:
        for user, api, query in lists:
            expected = [pk for pk in _expected([user.pk], ordering) if pk not in stale]
            params = {**query, "ordering": ordering, "page_size": 3}
            forward, back = _forward_and_back(api, params)
            assert list(itertools.chain(*forward)) == expected, (ordering, query)
            assert back == forward
        # Everyone's list does not read the copies.
        everyone, _last = _walk(api_for(manager), URL, {"ordering": ordering, "page_size": 200})
        assert everyone == [_expected(None, ordering)]

    services.score_copies_follow(stale)
    for ordering in ORDERINGS:
        for user, api, query in lists:
            listed, _last = _walk(api, URL, {**query, "ordering": ordering, "page_size": 200})
            assert listed == [_expected([user.pk], ordering)]


def _queries(api, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        body = api.get(url, params).json()
    return len(captured.captured_queries), body


@pytest.mark.parametrize("viewer", ["rep", "owner="])
def test_the_same_queries_for_any_page_size_and_depth(
    book, api_for, owner, teammate, manager, viewer
):
    """A page reads its rows by one query, two on the page where the blanks begin."""
    api, query, _owners = _viewer(viewer, api_for, owner, teammate, manager)
    _queries(api, URL, query)  # the key's first use, the user's permissions cached
    for ordering in ORDERINGS:
        counts = {}
        for size in (1, 2, 200):
            params = {**query, "ordering": ordering, "page_size": size}
            count, body = _queries(api, URL, params)
            counts[size] = [count]
            while body["next"]:
                count, body = _queries(api, body["next"])
                counts[size].append(count)
            while body["previous"]:
                count, body = _queries(api, body["previous"])
                counts[size].append(count)
        single = min(counts[1])
        # Every row's page forwards, then back to the first.
        assert len(counts[1]) == 2 * len(_expected([owner.pk], ordering)) - 1
        blanks_apart = ordering in ("-value_score", "-churn_risk")
        for size, found in counts.items():
            assert set(found) <= {single, single + blanks_apart}, (ordering, size)
        # The whole book on one page: the valued rows and the blanks.
        assert counts[200] == [single + blanks_apart], ordering


def test_a_score_does_not_show_the_customers_fields_copied_onto_it(api_for, owner):
    customer = CustomerFactory(owner=owner)
    ScoreFactory(customer=customer)
    api = api_for(owner)
    listed = api.get(URL).json()["results"]
    alone = api.get(f"{URL}{customer.pk}/").json()
    for score in (*listed, alone):
        assert score["customer"] == customer.pk
        assert "customer_owner" not in score
        assert "customer_status" not in score
