import datetime as dt

import pytest
from django.urls import reverse

from crm.search import global_search
from customers.models import Contact, Customer
from orders.models import Order
from tests.factories import ContactFactory, CustomerFactory
from tests.orders.factories import OrderFactory

DROPDOWN = {"HX-Request": "true", "HX-Target": "global-search-results"}


@pytest.fixture
def data(owner, teammate):
    """The same words on a customer of ``owner`` and one of ``teammate``."""
    mine = CustomerFactory(
        name="Harbor Foods",
        email="buy@harbor.example",
        phone="+1 555 0100",
        owner=owner,
        external_id="ERP-1",
    )
    theirs = CustomerFactory(
        name="Harbor Freight",
        email="ops@freight.example",
        phone="+1 555 0199",
        owner=teammate,
        external_id="ERP-2",
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "my_contact": ContactFactory(customer=mine, name="Ann Harbor", phone="0700 111"),
        "their_contact": ContactFactory(customer=theirs, name="Hal Harbor", phone="0700 222"),
        "my_order": OrderFactory(customer=mine, number="SO-2026-0001", total="0.00"),
        "their_order": OrderFactory(customer=theirs, number="SO-2026-0002", total="0.00"),
    }


def names(group):
    return [str(item) for item in group.items]


def test_rep_finds_only_own_customers_contacts_and_orders(owner, data):
    results = global_search(user=owner, query="harbor")
    assert names(results.customers) == ["Harbor Foods"]
    assert names(results.contacts) == ["Ann Harbor"]
    assert names(global_search(user=owner, query="so-2026").orders) == ["SO-2026-0001"]


def test_manager_finds_everyone(manager, data):
    results = global_search(user=manager, query="HARBOR")
    assert names(results.customers) == ["Harbor Foods", "Harbor Freight"]
    assert names(results.contacts) == ["Ann Harbor", "Hal Harbor"]
    assert names(global_search(user=manager, query="2026-000").orders) == [
        "SO-2026-0002",
        "SO-2026-0001",
    ]


@pytest.mark.parametrize(
    ("query", "customers", "contacts"),
    [
        ("freight.example", ["Harbor Freight"], []),  # email
        ("555 0199", ["Harbor Freight"], []),  # phone
        ("ERP-2", ["Harbor Freight"], []),  # external id, exact
        ("0700 222", [], ["Hal Harbor"]),  # contact phone
    ],
)
def test_fields_searched(manager, data, query, customers, contacts):
    results = global_search(user=manager, query=query)
    assert names(results.customers) == customers
    assert names(results.contacts) == contacts


def test_external_id_matches_whole_ids_only(manager, data):
    assert names(global_search(user=manager, query="ERP").customers) == []


def test_outsider_finds_nothing(outsider, data):
    results = global_search(user=outsider, query="harbor")
    assert results.searched
    assert results.empty


def test_short_query_searches_nothing(manager, data, django_assert_num_queries):
    with django_assert_num_queries(0):
        results = global_search(user=manager, query=" h ")
    assert not results.searched
    assert results.empty


def test_each_group_is_limited_and_says_there_is_more(manager):
    customer = CustomerFactory(name="Zed", owner=manager)
    for n in range(4):
        CustomerFactory(name=f"Acme {n}", owner=manager)
        ContactFactory(customer=customer, name=f"Acme person {n}")
        OrderFactory(customer=customer, number=f"ACME-{n}", total="0.00")
    results = global_search(user=manager, query="acme", limit=3)
    assert len(results.customers.items) == 3
    assert results.customers.has_more
    assert len(results.contacts.items) == 3
    assert results.contacts.has_more
    assert len(results.orders.items) == 3
    assert results.orders.has_more
    results = global_search(user=manager, query="acme", limit=4)
    assert not results.customers.has_more


def test_orders_are_shown_newest_first(manager, django_assert_max_num_queries):
    customer = CustomerFactory(owner=manager)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=(n * 37) % 50) for n in range(30)]
    for n, day in enumerate(days):
        number = f"SO-7{n:03d}" if n % 3 else f"PO-{n:03d}"
        OrderFactory(customer=customer, number=number, ordered_on=day, total="0.00")
    expected = list(
        Order.objects.filter(number__icontains="o-7").order_by("-ordered_on", "-id")[:11]
    )

    global_search(user=manager, query="o-7")  # loads the manager's permissions
    # Whatever the number of matches: at most one query a tier and a field, and two for
    # the containing tier of each kind (its candidates' ids, then their rows).
    with django_assert_max_num_queries(15):
        results = global_search(user=manager, query="o-7")

    assert results.orders.items == expected[:10]
    assert results.orders.has_more
    assert [o.customer.name for o in results.orders.items] == [customer.name] * 10


def test_more_matches_than_candidates_still_shows_a_full_sorted_group(manager, monkeypatch):
    """Past CANDIDATES matches the group shows some of them, in order, and says there are
    more (see crm/search.py)."""
    monkeypatch.setattr("crm.search.CANDIDATES", 12)
    for n in range(30):
        CustomerFactory(name=f"Acme {n:02d} Hardware", owner=manager)
    results = global_search(user=manager, query="hardware")
    names_shown = names(results.customers)
    assert len(names_shown) == 10
    assert names_shown == sorted(names_shown)
    assert results.customers.has_more


def test_whole_then_starting_then_containing_matches(manager):
    for name in ["Big Lewis Ltd", "Lewis", "Lewisham Books", "Alan Lewis", "Lewis & Co"]:
        CustomerFactory(name=name, owner=manager)
    CustomerFactory(name="Zeta Supplies", email="lewis@zeta.example", owner=manager)
    assert names(global_search(user=manager, query="lewis").customers) == [
        "Lewis",  # the whole name
        "Lewis & Co",  # names starting with it, A to Z
        "Lewisham Books",
        "Zeta Supplies",  # its email starts with it
        "Alan Lewis",  # then anywhere in a field, A to Z
        "Big Lewis Ltd",
    ]


def test_a_whole_phone_or_email_comes_first(manager):
    CustomerFactory(name="Able", phone="+1 555 0100 22", owner=manager)
    CustomerFactory(name="Zed", phone="+1 555 0100", owner=manager)
    CustomerFactory(name="Mid", email="mid@zed.example", owner=manager)
    assert names(global_search(user=manager, query="+1 555 0100").customers) == ["Zed", "Able"]
    assert names(global_search(user=manager, query="MID@zed.example").customers) == ["Mid"]


def test_a_whole_order_number_comes_first_and_skips_the_rest(
    manager, django_assert_max_num_queries
):
    customer = CustomerFactory(owner=manager)
    OrderFactory(customer=customer, number="SO-0000012", ordered_on=dt.date(2026, 1, 1))
    OrderFactory(customer=customer, number="SO-00000123", ordered_on=dt.date(2026, 3, 1))
    OrderFactory(customer=customer, number="XSO-0000012", ordered_on=dt.date(2026, 2, 1))
    global_search(user=manager, query="x")  # loads the manager's permissions
    # Customers: external id, three prefixes, contains; contacts: three prefixes, contains;
    # orders: the whole number and its prefix, no contains.
    with django_assert_max_num_queries(11):
        results = global_search(user=manager, query="so-0000012")
    assert names(results.orders) == ["SO-0000012", "SO-00000123"]
    # A part of a number finds it anywhere.
    assert names(global_search(user=manager, query="0000012").orders) == [
        "SO-00000123",
        "XSO-0000012",
        "SO-0000012",
    ]


def test_a_rep_never_finds_a_teammates_customer_by_any_tier(owner, data):
    for query in ["Harbor Freight", "harbor f", "ops@freight.example", "+1 555 0199", "freight"]:
        results = global_search(user=owner, query=query)
        assert "Harbor Freight" not in names(results.customers), query
        assert "Hal Harbor" not in names(results.contacts), query
    assert names(global_search(user=owner, query="SO-2026-0002").orders) == []
    assert names(global_search(user=owner, query="2026-0002").orders) == []


def test_search_box_is_in_the_top_bar(client_for, owner):
    content = client_for(owner).get(reverse("analytics:dashboard")).content.decode()
    assert f'action="{reverse("search")}"' in content
    assert 'hx-target="#global-search-results"' in content


def test_anonymous_is_sent_to_login(db, client_for):
    response = client_for(None).get(reverse("search"), {"q": "harbor"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_outsider_page_shows_no_results(client_for, outsider, data):
    response = client_for(outsider).get(reverse("search"), {"q": "harbor"})
    assert response.status_code == 200
    assert "Nothing matches" in response.content.decode()


def test_results_page_groups_and_links_without_js(client_for, owner, data):
    content = client_for(owner).get(reverse("search"), {"q": "harbor"}).content.decode()
    assert "<html" in content
    assert data["mine"].get_absolute_url() in content
    assert "Ann Harbor" in content
    assert "Harbor Freight" not in content
    assert "Hal Harbor" not in content
    content = client_for(owner).get(reverse("search"), {"q": "SO-2026"}).content.decode()
    assert data["my_order"].get_absolute_url() in content
    assert "SO-2026-0002" not in content


def test_results_page_asks_for_two_characters(client_for, owner, data):
    content = client_for(owner).get(reverse("search"), {"q": "h"}).content.decode()
    assert "Type at least 2 characters." in content
    assert "Harbor Foods" not in content


def test_dropdown_is_a_fragment_with_a_link_to_all_results(client_for, owner, data):
    response = client_for(owner).get(reverse("search"), {"q": "harbor"}, headers=DROPDOWN)
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "Harbor Foods" in content
    assert "Harbor Freight" not in content
    assert f"{reverse('search')}?q=harbor" in content


def test_dropdown_is_empty_for_an_empty_query(client_for, owner):
    response = client_for(owner).get(reverse("search"), {"q": ""}, headers=DROPDOWN)
    assert response.content.decode().strip() == ""


def test_two_characters_match_the_start_three_match_anywhere(manager, data):
    assert names(global_search(user=manager, query="ha").customers) == [
        "Harbor Foods",
        "Harbor Freight",
    ]
    assert names(global_search(user=manager, query="ar").customers) == []
    assert names(global_search(user=manager, query="arb").customers) == [
        "Harbor Foods",
        "Harbor Freight",
    ]
    assert names(global_search(user=manager, query="SO").orders) == [
        "SO-2026-0002",
        "SO-2026-0001",
    ]


def _tier(row, *, query, fields, whole_first=()):
    """Where ``row`` stands for ``query``: 0 found whole (``whole_first``), 1 a field is the
    query, 2 a field starts with it, 3 a field contains it; None for no match."""
    upper = query.upper()
    if row in whole_first:
        return 0
    values = [str(getattr(row, field)).upper() for field in fields]
    if upper in values:
        return 1
    if any(value.startswith(upper) for value in values):
        return 2
    return 3 if any(upper in value for value in values) else None


def _reference(rows, *, query, fields, sort, whole_first=(), limit=10):
    """What the search should show, in Python: whole matches (``whole_first``), then the
    rows with a field that is the query, then those with a field starting with it, then
    those containing it, each tier in the group's order. Exact while no field has more
    prefix matches than the group's room and no group more than CANDIDATES matches."""

    def tier(row):
        return _tier(row, query=query, fields=fields, whole_first=whole_first)

    matches = sorted(
        (row for row in rows if tier(row) is not None), key=lambda row: (tier(row), sort(row))
    )
    return matches[:limit], len(matches) > limit


def _assert_shows(group, rows, *, candidates, query, fields, sort, whole_first=()):
    """``group`` shows ``_reference``'s rows. When more rows contain the query than the
    search reads as candidates, the database picks which: then the rows shown all match,
    in the group's order, those found whole or by their start are the reference's, and the
    group says that more match."""
    expected = _reference(rows, query=query, fields=fields, sort=sort, whole_first=whole_first)

    def tier(row):
        return _tier(row, query=query, fields=fields, whole_first=whole_first)

    wanted, _more = expected
    # The containing tier reads its candidates among the matches the earlier tiers left.
    found_before = [row for row in wanted if tier(row) < 3]
    left = [row for row in rows if tier(row) is not None and row not in found_before]
    if len(left) <= candidates:
        assert (group.items, group.has_more) == expected
        return
    shown = group.items
    ranks = [(tier(row), sort(row)) for row in shown]
    assert None not in [rank for rank, _key in ranks]
    assert ranks == sorted(ranks)
    assert [row for row in shown if tier(row) < 3] == found_before
    assert (len(shown), group.has_more) == (len(wanted), True)


@pytest.fixture
def book(owner, teammate):
    """Rep and teammate customers alike whose names, emails, phones, contacts and order
    numbers hold "son" anywhere, and the same email on several of them."""
    words = ["Johnson", "Sonic", "Mason", "Wilson", "Ason", "Sonya", "Harbor", "Person"]
    for n in range(48):
        word = words[n % len(words)]
        customer = CustomerFactory(
            name=f"{word} {n:02d} Trading",
            email="wilson@shared.example" if n % 7 == 0 else f"{word.lower()}.{n}@x.example",
            phone=f"+1 555 {n:04d}",
            owner=owner if n % 3 else teammate,
            external_id=f"EXT-{n}",
        )
        ContactFactory(
            customer=customer,
            name=f"{words[(n + 3) % len(words)]} Contact {n:02d}",
            email=f"a.wilson@shared.example{n % 2 or ''}",
        )
        OrderFactory(
            customer=customer,
            number=f"SON-{n:04d}" if n % 4 == 0 else f"SO-{n:05d}",
            ordered_on=dt.date(2026, 1, 1) + dt.timedelta(days=(n * 11) % 40),
            total="0.00",
        )


@pytest.mark.parametrize("candidates", [500, 30])
@pytest.mark.parametrize("query", ["son", "wilson@shared.example", "Wilson 11 Trading"])
def test_a_reps_results_are_their_books_matches_in_order(
    owner, book, query, candidates, monkeypatch, django_assert_max_num_queries
):
    """A rep's customers and contacts read from their own rows, at most CANDIDATES of
    each: the same results as their book's matches in the group's order."""
    monkeypatch.setattr("crm.search.CANDIDATES", candidates)
    global_search(user=owner, query="xx")  # loads the rep's permissions
    # Whatever matches: at most one query a tier and a field, two for each containing tier.
    with django_assert_max_num_queries(15):
        results = global_search(user=owner, query=query)

    customers = list(Customer.objects.filter(owner=owner))
    contacts = list(Contact.objects.filter(customer__owner=owner))
    orders = list(Order.objects.filter(customer__owner=owner))

    def by_name(row):
        return (row.name, row.pk)

    _assert_shows(
        results.customers,
        customers,
        candidates=candidates,
        query=query,
        fields=("name", "email", "phone"),
        sort=by_name,
        whole_first=[row for row in customers if row.external_id == query],
    )
    _assert_shows(
        results.contacts,
        contacts,
        candidates=candidates,
        query=query,
        fields=("name", "email", "phone"),
        sort=by_name,
    )
    _assert_shows(
        results.orders,
        orders,
        candidates=candidates,
        query=query,
        fields=("number",),
        sort=lambda row: (-row.ordered_on.toordinal(), -row.pk),
    )
    assert results.customers.items  # the query finds something of the rep's
