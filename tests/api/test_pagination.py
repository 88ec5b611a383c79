"""Cursor pagination: stable under inserts, both directions, any ordering offered; and
page-number pagination for the small collections. Neither counts rows."""

import base64
import datetime as dt
import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.factories import DeliveryFactory, ScoreFactory, WebhookFactory
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory
from tests.orders.factories import CustomerCostFactory, OrderFactory, ProductFactory
from tests.surveys.factories import InvitationFactory


def _flat(pages):
    return list(itertools.chain.from_iterable(pages))


def _walk(api, url, direction="next"):
    """Every page from ``url`` on, following ``direction`` links: [[row ids of a page]]."""
    pages = []
    while url:
        body = api.get(url).json()
        pages.append([row.get("id", row.get("customer")) for row in body["results"]])
        url = body[direction]
    return pages


def _walk_counting(api, url):
    """``_walk`` of the next links of a keyset list, and the queries each page ran."""
    pages, queries = [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            body = api.get(url).json()
        queries.append(len(captured))
        assert "page=" not in (body["next"] or "")
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    return pages, queries


def test_pages_cover_every_row_once(api_for, manager):
    customers = CustomerFactory.create_batch(7)
    pages = _walk(api_for(manager), "/api/v1/customers/?page_size=3")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert _flat(pages) == sorted((c.pk for c in customers), reverse=True)


def test_stable_while_rows_are_inserted_between_pages(api_for, manager):
    original = CustomerFactory.create_batch(6)
    api = api_for(manager)
    seen = []
    url = "/api/v1/customers/?page_size=2&ordering=name"
    inserted = 0
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        # New rows before, among and after the ones still to come.
        for name in ("Customer 0000a", "Customer 0003a", "ZZZ"):
            CustomerFactory(name=f"{name}{inserted}")
        inserted += 1
        url = body["next"]
    originals = [pk for pk in seen if pk in {c.pk for c in original}]
    assert originals == [c.pk for c in sorted(original, key=lambda c: c.name)]
    assert len(seen) == len(set(seen))


def test_orders_by_date_then_id_across_equal_dates(api_for, owner):
    product = ProductFactory()
    customer = CustomerFactory(owner=owner)
    days = [dt.date(2026, 3, d) for d in (1, 2, 2, 2, 3, 2, 1)]
    orders = [OrderFactory(customer=customer, ordered_on=day, lines=[(product, 1)]) for day in days]
    api = api_for(owner)
    pages = _walk(api, "/api/v1/orders/?page_size=2")
    expected = [o.pk for o in sorted(orders, key=lambda o: (o.ordered_on, o.pk), reverse=True)]
    assert _flat(pages) == expected
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 2), lines=[(product, 1)])
    # An order inserted at a date already passed does not shift later pages.
    ascending = _walk(api, "/api/v1/orders/?page_size=3&ordering=ordered_on")
    assert len(_flat(ascending)) == 8


def test_previous_links_walk_back_the_same_pages(api_for, manager):
    CustomerFactory.create_batch(7)
    api = api_for(manager)
    forward = _walk(api, "/api/v1/customers/?page_size=3")
    last_url = "/api/v1/customers/?page_size=3"
    for _ in range(len(forward) - 1):
        last_url = api.get(last_url).json()["next"]
    backward = _walk(api, last_url, direction="previous")
    assert backward == list(reversed(forward))
    assert api.get("/api/v1/customers/?page_size=3").json()["previous"] is None


def test_nullable_orderings_list_blanks_last(api_for, manager):
    """Scores without a value sort last, and the cursor still crosses into them."""
    values = [80.0, None, 20.0, 80.0, None, 55.5]
    scores = [ScoreFactory(customer=CustomerFactory(), value_score=v) for v in values]
    pages = _walk(api_for(manager), "/api/v1/scores/?page_size=2&ordering=-value_score")
    ranked = sorted(scores, key=lambda s: (s.value_score is None, -(s.value_score or 0), s.pk))
    assert _flat(pages) == [s.pk for s in ranked]


@pytest.mark.parametrize(
    ("ordering", "field"), [("-value_score", "value_score"), ("-churn_risk", "churn_risk")]
)
@pytest.mark.parametrize("viewer", ["rep", "manager, owner filter", "manager, everyone"])
def test_one_owners_scores_walk_in_order_both_ways_blanks_last(
    api_for, owner, teammate, manager, ordering, field, viewer
):
    """A rep's scores (and the owner filter) are walked along the owner copy's index, the
    valued rows then the blanks (issue 14): the same pages, in the same order, either way.
    Everyone's are read in parts after a position (the rows tied with it, those beyond its
    value, the blanks), the next key running the other way: ties span pages here."""
    values = [80.0, None, 20.0, 80.0, None, 55.5, 0.0, 80.0]
    mine = [ScoreFactory(customer=CustomerFactory(owner=owner), **{field: v}) for v in values]
    theirs = ScoreFactory(customer=CustomerFactory(owner=teammate), **{field: 99.0})
    api, query = {
        "rep": (api_for(owner), ""),
        "manager, owner filter": (api_for(manager), f"&owner={owner.pk}"),
        "manager, everyone": (api_for(manager), ""),
    }[viewer]
    if viewer == "manager, everyone":
        mine.append(theirs)

    forward = _walk(api, f"/api/v1/scores/?page_size=2&ordering={ordering}{query}")
    ranked = sorted(
        mine, key=lambda s: (getattr(s, field) is None, -(getattr(s, field) or 0), s.pk)
    )
    assert _flat(forward) == [s.pk for s in ranked]
    last = api.get(f"/api/v1/scores/?page_size=2&ordering={ordering}{query}").json()
    while last["next"]:
        last = api.get(last["next"]).json()
    back = _walk(api, last["previous"], direction="previous")
    assert _flat(back[::-1]) + [row["customer"] for row in last["results"]] == [
        s.pk for s in ranked
    ]


def test_everyones_scores_after_a_tie_are_read_by_ranges_of_the_index(api_for, manager):
    """Each part of a page after a position is one range of the index (the tie's rest by
    id, the values beyond, the blanks): no OR of them, which the database read from the
    tie's first row (118 ms for a manager at 1M, issue 14)."""
    for value in (0.9, 0.9, 0.9, 0.5, None):
        ScoreFactory(customer=CustomerFactory(), churn_risk=value)
    api = api_for(manager)
    second = api.get("/api/v1/scores/?page_size=2&ordering=-churn_risk").json()["next"]
    with CaptureQueriesContext(connection) as queries:
        rows = api.get(second).json()["results"]
    assert [row["churn_risk"] for row in rows] == [0.9, 0.5]
    reads = [q["sql"] for q in queries.captured_queries if "metrics_customerscore" in q["sql"]]
    assert reads
    assert not any(" OR " in sql for sql in reads)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.urlsafe_b64encode(b'{"o": "-id", "v": [], "b": 0}').decode(),
        base64.urlsafe_b64encode(b'{"o": "name", "v": [1], "b": 0}').decode(),
        base64.urlsafe_b64encode(json.dumps({"o": "-id", "v": ["x"], "b": 0}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"o": "-id", "v": [[1]], "b": 0}).encode()).decode(),
    ],
)
def test_tampered_cursors_are_400(api_for, manager, cursor):
    CustomerFactory()
    response = api_for(manager).get(f"/api/v1/customers/?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("query", ["ordering=email", "page_size=0", "page_size=201"])
def test_bad_ordering_or_size_is_400(api_for, manager, query):
    response = api_for(manager).get(f"/api/v1/customers/?{query}")
    assert response.status_code == 400


def test_page_numbers_for_small_collections(api_for, manager):
    ProductFactory.create_batch(5)
    api = api_for(manager)
    first = api.get("/api/v1/products/?page_size=2").json()
    assert first["previous"] is None
    assert "page=2" in first["next"]
    third = api.get("/api/v1/products/?page_size=2&page=3").json()
    assert len(third["results"]) == 1
    assert third["next"] is None
    assert "page=2" in third["previous"]
    assert api.get("/api/v1/products/?page=9").json()["results"] == []


# The lists that grow with the customers page by cursor too (issue 14): a rep's own rows
# alone, every row once in the default order (ties on the date broken by id), the same
# queries at every depth.
DAY = dt.date(2026, 3, 1)
GROWING = {
    "customer-costs": (
        lambda customer, n: CustomerCostFactory(
            customer=customer, incurred_on=DAY + dt.timedelta(days=n % 3)
        ),
        lambda row: (row.incurred_on, row.pk),
    ),
    "invitations": (
        lambda customer, n: InvitationFactory(
            customer=customer,
            created_at=dt.datetime(2026, 3, 1 + n % 3, tzinfo=dt.UTC),
        ),
        lambda row: (row.created_at, row.pk),
    ),
    "activities": (
        lambda customer, n: ActivityFactory(
            customer=customer,
            occurred_at=dt.datetime(2026, 3, 1 + n % 3, tzinfo=dt.UTC),
        ),
        lambda row: (row.occurred_at, row.pk),
    ),
}


@pytest.mark.parametrize("resource", GROWING)
def test_lists_that_grow_with_the_customers_page_by_cursor(
    api_for, manager, owner, teammate, resource
):
    make, key = GROWING[resource]
    mine, theirs = CustomerFactory(owner=owner), CustomerFactory(owner=teammate)
    rows = [make(mine if n % 4 else theirs, n) for n in range(11)]
    url = f"/api/v1/{resource}/?page_size=2"

    for user, expected in ((manager, rows), (owner, [r for r in rows if r.customer == mine])):
        api = api_for(user)
        pages, queries = _walk_counting(api, url)
        newest_first = sorted(expected, key=key, reverse=True)
        assert _flat(pages) == [row.pk for row in newest_first]
        assert len(set(queries[1:])) == 1, queries  # after the first: the same at any depth
        assert api.get(f"{url}&page=2").status_code == 400


def test_contacts_page_by_cursor_each_customers_together_the_primary_first(
    api_for, manager, owner, teammate
):
    """Contacts grow with the customers (839,000 at a million): by keyset along the index
    (customer, -is_primary, id), the order the list always had; a rep's alone."""
    mine = [CustomerFactory(owner=owner) for _ in range(3)]
    theirs = CustomerFactory(owner=teammate)
    contacts = [
        ContactFactory(customer=customer, is_primary=(n == 1))
        for customer in (*mine, theirs)
        for n in range(3)
    ]
    url = "/api/v1/contacts/?page_size=2"
    for user, expected in (
        (manager, contacts),
        (owner, [c for c in contacts if c.customer in mine]),
    ):
        api = api_for(user)
        pages, queries = _walk_counting(api, url)
        ordered = sorted(expected, key=lambda c: (c.customer_id, not c.is_primary, c.pk))
        assert _flat(pages) == [c.pk for c in ordered]
        assert len(set(queries[1:])) == 1, queries  # after the first: the same at any depth
        newest = _walk(api, f"{url}&ordering=-id")
        assert _flat(newest) == sorted((c.pk for c in expected), reverse=True)
        assert api.get(f"{url}&page=2").status_code == 400
    # The primary flag in a tampered cursor that is no flag is a 400, not a 500.
    for flag, status in (("yes", 400), (7, 400), (None, 200), (True, 200)):
        token = json.dumps({"o": "customer", "v": [mine[0].pk, flag, 1], "b": 0})
        cursor = base64.urlsafe_b64encode(token.encode()).decode()
        response = api_for(manager).get(f"/api/v1/contacts/?cursor={cursor}")
        assert response.status_code == status, (flag, response.content)


def test_a_webhooks_deliveries_page_by_cursor_newest_first(api_for, admin_user):
    """A webhook's log keeps every delivery for good: by keyset along (webhook, created_at,
    id), the same queries at any depth; another webhook's deliveries never show."""
    hook, other = WebhookFactory(), WebhookFactory()
    days = [dt.datetime(2026, 3, 1 + n % 3, tzinfo=dt.UTC) for n in range(7)]
    mine = [DeliveryFactory(webhook=hook, created_at=day) for day in days]
    DeliveryFactory(webhook=other)
    api = api_for(admin_user)
    url = f"/api/v1/webhooks/{hook.pk}/deliveries/?page_size=2"
    pages, queries = _walk_counting(api, url)
    newest = sorted(mine, key=lambda d: (d.created_at, d.pk), reverse=True)
    assert _flat(pages) == [d.pk for d in newest]
    assert len(set(queries[1:])) == 1, queries
    assert api.get(f"{url}&page=2").status_code == 400
    oldest = _walk(api, f"{url}&ordering=id")
    assert _flat(oldest) == sorted(d.pk for d in mine)
    # The webhooks themselves are still paged by number.
    assert "page=2" in api.get("/api/v1/webhooks/?page_size=1").json()["next"]
