"""The customer list a keyset page at a time (issue 14): walking every page forward and
back shows every customer once, in the sort's order, for every sort both ways, with ties
and blanks (customers without a score, or with a score lacking that figure); a cursor
that is not ours shows the first page; "jump to" starts the list at a value (its field and
its errors: test_list_jump.py)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from customers.services import customer_update
from metrics.models import CustomerScore
from metrics.services import score_copies_follow
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory, TagFactory

URL = reverse("customers:list")
DAY = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)

# (name, days after DAY it was created, score, churn risk, revenue); "no score" customers
# have no score row at all. Ties on every key, and blanks on each score figure.
PEOPLE = [
    ("Delta", 0, 70.0, 0.2, Decimal("300.00")),
    ("Alpha", 1, 70.0, 0.5, Decimal("100.00")),
    ("Echo", 1, None, None, Decimal("0.00")),
    ("Bravo", 2, 40.0, 0.5, Decimal("300.00")),
    ("Alpha", 0, 90.0, None, None),
    ("Charlie", 3, "no score", None, None),
    ("Foxtrot", 2, 10.0, 0.9, Decimal("50.00")),
    ("Golf", 4, "no score", None, None),
    ("Bravo", 5, 40.0, 0.1, Decimal("100.00")),
    ("Hotel", 3, None, 0.7, None),
]
SORT_KEYS = {
    "name": lambda person: person["name"],
    "created": lambda person: person["created_at"],
    "score": lambda person: person["score"],
    "churn": lambda person: person["churn"],
    "revenue": lambda person: person["revenue"],
}
SORTS = [f"{prefix}{key}" for key in SORT_KEYS for prefix in ("", "-")]


@pytest.fixture
def people(owner):
    made = []
    for name, days, score, churn, revenue in PEOPLE:
        customer = CustomerFactory(owner=owner, name=name, created_at=DAY + dt.timedelta(days))
        scored = score != "no score"
        if scored:
            ScoreFactory(customer=customer, value_score=score, churn_risk=churn, revenue=revenue)
        made.append(
            {
                "pk": customer.pk,
                "name": name,
                "created_at": customer.created_at,
                "score": score if scored else None,
                "churn": churn if scored else None,
                "revenue": revenue if scored else None,
            }
        )
    return made


def _expected(people, sort):
    """The list's order: by the key, ties by id, the same direction; blanks last by id."""
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.removeprefix("-")]
    valued = sorted(
        (p for p in people if key(p) is not None),
        key=lambda p: (key(p), p["pk"]),
        reverse=descending,
    )
    blanks = sorted(
        (p for p in people if key(p) is None), key=lambda p: p["pk"], reverse=descending
    )
    return [p["pk"] for p in valued + blanks]


def _pks(response):
    return [customer.pk for customer in response.context["page"].items]


def _walk(client, sort, direction, first_query):
    """Every page from ``first_query`` following the ``direction`` cursor ("next_cursor"
    or "previous_cursor"), the cursors read from the page's links."""
    pages = []
    response = client.get(URL, first_query)
    while True:
        assert response.status_code == 200
        pages.append(_pks(response))
        cursor = getattr(response.context["page"], direction)
        if not cursor:
            return pages
        assert f"cursor={cursor}" in response.content.decode(), "the pager links to it"
        response = client.get(URL, {"sort": sort, "cursor": cursor})


@pytest.mark.parametrize("sort", SORTS)
def test_walking_every_page_forward_and_back_shows_everyone_once_in_order(
    client_for, owner, people, sort, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    expected = _expected(people, sort)

    forward = _walk(client, sort, "next_cursor", {"sort": sort})
    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == 3 for page in forward[:-1])

    # Back from the last page: the same pages, the first one whole.
    last = client.get(URL, {"sort": sort, "cursor": _last_cursor(client, sort)})
    back = _walk(client, sort, "previous_cursor", {"sort": sort, "cursor": _cursor_of(last)})
    assert [pk for page in reversed(back) for pk in page] == expected
    assert back[-1] == expected[:3]


def _last_cursor(client, sort):
    """The cursor that leads to the last page (the "next" link of the one before it)."""
    response = client.get(URL, {"sort": sort})
    cursor = ""
    while response.context["page"].next_cursor:
        cursor = response.context["page"].next_cursor
        response = client.get(URL, {"sort": sort, "cursor": cursor})
    return cursor


def _cursor_of(response):
    match = re.search(r"cursor=([^&\"]+)", response.request["QUERY_STRING"])
    return match.group(1)


def test_the_first_page_has_no_way_back_and_the_last_no_way_on(client_for, owner, people, settings):
    settings.CRM_PAGE_SIZE = 4
    client = client_for(owner)

    first = client.get(URL, {"sort": "name"})
    html = first.content.decode()

    assert not first.context["page"].has_previous
    assert 'rel="prev"' not in html
    assert "First page" not in html
    last = client.get(URL, {"sort": "name", "cursor": _last_cursor(client, "name")})
    assert 'rel="next"' not in last.content.decode()
    assert "First page" in last.content.decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "junk",
        "",
        "a.b",
        "W10.AAAA",  # looks like ours, signature wrong
        "\u00e9\u00e9.\u00e9",
        "x" * 5000,
    ],
)
def test_a_cursor_not_made_here_shows_the_first_page(client_for, owner, people, settings, cursor):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)

    response = client.get(URL, {"sort": "-score", "cursor": cursor})

    assert response.status_code == 200
    assert _pks(response) == _expected(people, "-score")[:3]


def test_a_tampered_cursor_or_one_of_another_sort_shows_the_first_page(
    client_for, owner, people, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    cursor = client.get(URL, {"sort": "name"}).context["page"].next_cursor
    payload, signature = cursor.rsplit(".", 1)

    tampered = client.get(URL, {"sort": "name", "cursor": f"{payload}x.{signature}"})
    other_sort = client.get(URL, {"sort": "-created", "cursor": cursor})

    assert _pks(tampered) == _expected(people, "name")[:3]
    assert _pks(other_sort) == _expected(people, "-created")[:3]


@pytest.mark.parametrize(
    ("sort", "start", "first"),
    [
        ("name", "c", "Charlie"),  # a letter, either case
        ("name", "Bz", "Charlie"),
        ("-name", "B", "Bravo"),  # descending: the names starting with it come first
        ("-score", "50", 40.0),
        ("score", "50", 70.0),
        ("-churn", "60", 0.5),  # a percentage
        ("churn", "60", 0.7),
        ("-revenue", "200", Decimal("100.00")),
        ("revenue", "200", Decimal("300.00")),
    ],
)
def test_jump_to_starts_at_the_first_value_there(client_for, owner, people, sort, start, first):
    client = client_for(owner)
    field = {"name": "name", "score": "score", "churn": "churn", "revenue": "revenue"}[
        sort.removeprefix("-")
    ]
    by_pk = {p["pk"]: p for p in people}

    response = client.get(URL, {"sort": sort, "from": start})

    assert by_pk[_pks(response)[0]][field] == first
    html = response.content.decode()
    assert re.search(rf'<input type="\w+" name="from" value="{start}" form="customer-jump"', html)
    assert response.context["page"].has_previous


def test_a_descending_jump_by_name_leaves_out_the_next_letter_itself(client_for, owner):
    for name in ("Mona", "N", "Nadia"):
        CustomerFactory(owner=owner, name=name)
    client = client_for(owner)

    response = client.get(URL, {"sort": "-name", "from": "m"})

    assert [c.name for c in response.context["page"].items] == ["Mona"]
    assert response.context["page"].has_previous


def test_jump_to_a_date_and_back_to_a_whole_first_page(client_for, owner, people, settings):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    expected = _expected(people, "-created")

    response = client.get(URL, {"sort": "-created", "from": "2026-03-03"})

    created = {p["pk"]: p["created_at"] for p in people}
    assert created[_pks(response)[0]].date() == dt.date(2026, 3, 3)
    assert (
        _pks(response) == [pk for pk in expected if created[pk].date() <= dt.date(2026, 3, 3)][:3]
    )
    # Back from a jump: the rows just before it, then the first page, whole, where only
    # part of a page was left.
    back = client.get(URL, {"sort": "-created", "cursor": response.context["page"].previous_cursor})
    position = expected.index(_pks(response)[0])
    assert _pks(back) == expected[position - 3 : position]
    top = client.get(URL, {"sort": "-created", "cursor": back.context["page"].previous_cursor})
    assert _pks(top) == expected[:3]
    assert not top.context["page"].has_previous


def test_a_jump_to_the_largest_revenue_there_is_lands_on_the_blanks(client_for, owner, people):
    response = client_for(owner).get(URL, {"sort": "revenue", "from": "99999999999999.99"})

    blanks = [p["pk"] for p in people if p["revenue"] is None]
    assert response.status_code == 200
    assert _pks(response) == sorted(blanks)


def test_a_jump_past_the_end_says_so_and_leads_back(client_for, owner, people):
    response = client_for(owner).get(URL, {"sort": "name", "from": "Zulu"})

    html = response.content.decode()
    assert response.context["page"].items == []
    assert "No customers from this point on." in html
    assert 'href="?sort=name" hx-get="?sort=name"' in html
    assert "Back to the first page" in html


def test_the_pager_and_the_jump_keep_the_filters(client_for, owner, people, settings):
    settings.CRM_PAGE_SIZE = 2
    client = client_for(owner)

    response = client.get(URL, {"region": "North", "tier": "B", "sort": "-score"})

    html = response.content.decode()
    cursor = response.context["page"].next_cursor
    assert f'href="?region=North&amp;tier=B&amp;sort=-score&amp;cursor={cursor}"' in html
    for name, value in (("region", "North"), ("tier", "B"), ("sort", "-score")):
        assert f'form="customer-jump" name="{name}" value="{value}"' in html
    # The header links start the new order at its top: no cursor, no jump.
    assert 'href="?region=North&amp;tier=B&amp;sort=name"' in html


def test_htmx_paging_swaps_only_the_results(client_for, owner, people, settings):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    cursor = client.get(URL, {"sort": "name"}).context["page"].next_cursor

    response = client.get(URL, {"sort": "name", "cursor": cursor}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-target="#customer-results"' in html
    assert 'rel="prev"' in html


def test_the_page_where_the_blanks_begin_reads_one_query_more_never_more(
    client_for, owner, people, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    client.get(URL, {"sort": "-score"})
    counts = []
    response = client.get(URL, {"sort": "-score"})
    while True:
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"sort": "-score", "cursor": cursor})
        counts.append(len(queries))

    # -score: 90, 70, 70 | 40, 40, 10 | blanks (4)
    assert max(counts) - min(counts) <= 1


# --- Whole list, one owner's book, a tier: the plans of issue 14 -----------------------
# A rep's list and the owner filter walk the book's scores (the owner copy); a manager's
# list walks the score index; blanks come in two parts (a score lacking the figure, no
# score row at all), each read by its own query; a tier filter reads its blanks whole.


def _walk_with(client, query, direction="next_cursor"):
    pages = []
    response = client.get(URL, query)
    while True:
        assert response.status_code == 200
        pages.append(_pks(response))
        cursor = getattr(response.context["page"], direction)
        if not cursor:
            return pages, response
        response = client.get(URL, {**query, "cursor": cursor})


def _walk_both_ways(client, query):
    forward, last = _walk_with(client, query)
    back_from = {**query, "cursor": last.context["page"].previous_cursor}
    back, _first = (
        _walk_with(client, back_from, "previous_cursor") if len(forward) > 1 else ([], None)
    )
    return [pk for page in forward for pk in page], [
        pk for page in reversed(back) for pk in page
    ] + forward[-1]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("flagged", [False, True], ids=["unflagged", "flagged-scored"])
@pytest.mark.parametrize("only_owner", [False, True], ids=["everyone", "owner-filter"])
def test_a_manager_walks_everyone_or_one_owner_in_order(
    client_for, manager, owner, teammate, people, sort, flagged, only_owner, settings
):
    settings.CRM_PAGE_SIZE = 3
    others = []
    for name, score in (("Zulu", 55.0), ("Yankee", None), ("Xray", "no score")):
        customer = CustomerFactory(owner=teammate, name=name, created_at=DAY)
        if score != "no score":
            ScoreFactory(customer=customer, value_score=score, churn_risk=score and 0.3)
        others.append(
            {
                "pk": customer.pk,
                "name": name,
                "created_at": customer.created_at,
                "score": None if score == "no score" else score,
                "churn": 0.3 if isinstance(score, float) else None,
                "revenue": None,
            }
        )
    if flagged:
        # What a full run leaves: every customer with a score row is known to have one.
        Customer.objects.filter(score__isnull=False).update(is_scored=True)
    query = {"sort": sort, **({"owner": owner.pk} if only_owner else {})}
    expected = _expected(people if only_owner else people + others, sort)

    forward, backward = _walk_both_ways(client_for(manager), query)

    assert forward == expected
    assert backward == expected


@pytest.mark.parametrize("sort", ["-score", "score", "-churn", "churn", "-revenue", "revenue"])
def test_a_tier_filter_walks_its_customers_with_their_blanks_last(
    client_for, manager, owner, people, sort, settings
):
    settings.CRM_PAGE_SIZE = 2
    # Tier A: some of the scored people, one of them without a value score (a blank).
    tier_a = {p["pk"] for p in people if p["name"] in ("Alpha", "Bravo", "Hotel", "Echo")}
    CustomerScore.objects.filter(customer_id__in=tier_a).update(tier="A")
    in_tier = [p for p in people if p["pk"] in tier_a]

    forward, backward = _walk_both_ways(client_for(manager), {"sort": sort, "tier": "A"})

    assert forward == _expected(in_tier, sort)
    assert backward == forward


def test_a_jump_past_the_valued_rows_under_a_tier_reads_the_blanks_whole(
    client_for, manager, people
):
    # Jumping below every tier B score lands on the tier's blanks: none here but Echo and
    # Hotel's kind (a score without a value), read with one query per kind of blank.
    response = client_for(manager).get(URL, {"sort": "-score", "tier": "B", "from": "0"})

    scored = {score.customer_id for score in CustomerScore.objects.all()}
    blanks = sorted(
        (p["pk"] for p in people if p["pk"] in scored and p["score"] is None), reverse=True
    )
    assert _pks(response) == blanks


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("flagged", [False, True], ids=["unflagged", "flagged-scored"])
def test_a_status_filter_walks_its_customers_in_order_whatever_the_sort(
    client_for, manager, owner, people, sort, flagged, settings
):
    settings.CRM_PAGE_SIZE = 2
    leads = {p["pk"] for p in people if p["name"] in ("Alpha", "Bravo", "Echo", "Golf", "Hotel")}
    # Through the services, as a person does: the score row's copy follows.
    for customer in Customer.objects.filter(pk__in=leads):
        customer_update(user=manager, customer=customer, status=Customer.Status.LEAD)
    if flagged:
        Customer.objects.filter(score__isnull=False).update(is_scored=True)
    expected = _expected([p for p in people if p["pk"] in leads], sort)

    forward, backward = _walk_both_ways(client_for(manager), {"sort": sort, "status": "lead"})
    assert forward == expected
    assert backward == expected

    # One of them becomes a customer: listed under its new status only.
    moved = Customer.objects.get(pk=expected[0])
    customer_update(user=manager, customer=moved, status=Customer.Status.ACTIVE)
    forward, _backward = _walk_both_ways(client_for(manager), {"sort": sort, "status": "lead"})
    assert forward == expected[1:]
    active, _backward = _walk_both_ways(client_for(manager), {"sort": sort, "status": "active"})
    assert moved.pk in active


@pytest.mark.parametrize("sort", ["-score", "churn", "-revenue"])
def test_a_book_by_a_score_figure_follows_the_owner_copy_and_a_stale_one_only_hides(
    client_for, manager, owner, teammate, people, sort, settings
):
    settings.CRM_PAGE_SIZE = 3
    moved = Customer.objects.get(pk=_expected(people, sort)[0])
    # Reassigned by a plain update, which sends no signal: the score row's copy is stale.
    Customer.objects.filter(pk=moved.pk).update(owner=teammate)

    mine, _back = _walk_both_ways(client_for(owner), {"sort": sort})
    theirs, _back = _walk_both_ways(client_for(teammate), {"sort": sort})
    assert moved.pk not in mine  # the customer's own owner decides
    assert moved.pk not in theirs  # the stale copy hides it, never shows it elsewhere

    score_copies_follow([moved.pk])
    theirs, _back = _walk_both_ways(client_for(teammate), {"sort": sort})
    by_filter, _back = _walk_both_ways(client_for(manager), {"sort": sort, "owner": teammate.pk})
    assert theirs == by_filter == [moved.pk]


@pytest.mark.parametrize("sort", ["-score", "score", "-churn", "revenue"])
@pytest.mark.parametrize("narrowed_by", ["region", "tag", "status"])
def test_a_books_score_sort_under_a_customer_filter_walks_in_order(
    client_for, owner, teammate, people, sort, narrowed_by, settings
):
    """A rep's score sort reads their scores in order, each customer checked apart
    (customers.selectors.customer_list_valued), the list's own filters on the customers
    kept; under a tag the few are found first and sorted. The same rows either way."""
    settings.CRM_PAGE_SIZE = 2
    kept = [p for n, p in enumerate(people) if n % 3]
    picked = Customer.objects.filter(pk__in=[p["pk"] for p in kept])
    if narrowed_by == "region":
        picked.update(region="Europe")
        query = {"region": "Europe"}
    elif narrowed_by == "tag":
        vip = TagFactory(name="VIP")
        for customer in picked:
            customer.tags.add(vip)
        query = {"tag": "VIP"}
    else:
        picked.update(status=Customer.Status.ACTIVE)
        Customer.objects.exclude(pk__in=picked).update(status=Customer.Status.LEAD)
        query = {"status": "active"}
    # A teammate's customer with the same region, tag and status, and a score: never listed.
    theirs = CustomerFactory(owner=teammate, name="Theirs", region="Europe")
    ScoreFactory(customer=theirs, value_score=50.0, churn_risk=0.5, revenue=Decimal("10"))
    if narrowed_by == "tag":
        theirs.tags.add(vip)

    forward, backward = _walk_both_ways(client_for(owner), {"sort": sort, **query})

    assert forward == backward == _expected(kept, sort)


@pytest.mark.parametrize(
    "query", [{"tier": "A"}, {"segment": "champions"}, {"churn_risk": "low"}], ids=str
)
def test_a_book_filtered_by_a_score_figure_follows_the_owner_copy(
    client_for, manager, owner, teammate, people, query, settings
):
    settings.CRM_PAGE_SIZE = 2
    scored = [p["pk"] for p in people if p["score"] is not None]
    CustomerScore.objects.filter(customer_id__in=scored).update(
        tier="A", segment="champions", churn_risk=0.1
    )
    everyone, _back = _walk_both_ways(client_for(owner), query)
    assert sorted(everyone) == sorted(scored)
    response = client_for(owner).get(URL, query)
    assert f"{len(scored)} results" in response.content.decode()

    # Reassigned by a plain update, which sends no signal: the score row's copy is stale.
    moved = scored[0]
    Customer.objects.filter(pk=moved).update(owner=teammate)
    mine, _back = _walk_both_ways(client_for(owner), query)
    theirs, _back = _walk_both_ways(client_for(teammate), query)
    assert moved not in mine  # the customer's own owner decides
    assert moved not in theirs  # the stale copy hides it, never shows it elsewhere

    score_copies_follow([moved])
    theirs, _back = _walk_both_ways(client_for(teammate), query)
    by_filter, _back = _walk_both_ways(client_for(manager), {**query, "owner": teammate.pk})
    assert theirs == by_filter == [moved]


@pytest.mark.parametrize(
    ("sort", "row"),
    [
        (
            "-churn",
            '("metrics_customerscore"."churn_risk", "metrics_customerscore"."customer_id") <',
        ),
        ("name", '("customers_customer"."name", "customers_customer"."id") >'),
    ],
)
def test_a_page_after_the_first_starts_at_its_row_of_the_index(
    client_for, owner, people, settings, sort, row
):
    """(key, id) beyond the cursor's as one row comparison, the bound of the index scan;
    "beyond, or tied and beyond by id" read every tied row first (issue 14). SQLite writes
    the longer form, which Django makes of the same condition."""
    if connection.vendor != "postgresql":
        pytest.skip("a row comparison on PostgreSQL")
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)
    cursor = client.get(URL, {"sort": sort}).context["page"].next_cursor
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"sort": sort, "cursor": cursor})
    assert response.status_code == 200
    assert any(row in query["sql"] for query in queries.captured_queries)
