"""The customer pages: who may open what (a matrix over every view), and the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from customers.models import Activity, Contact, Customer
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    TagFactory,
    TaskFactory,
)

LOGIN_URL = "/accounts/login/"


@pytest.fixture
def customer(owner):
    return CustomerFactory(owner=owner, name="Acme Corp")


def _anonymous_redirected(response):
    return response.status_code == 302 and response.url.startswith(LOGIN_URL)


# --- Permission matrix ----------------------------------------------------------------

# What each persona gets on a page about the ``owner``'s customer.
CUSTOMER_PAGE_OUTCOMES = [
    (None, "login"),
    ("outsider", 403),
    ("owner", 200),
    ("teammate", 404),
    ("manager", 200),
    ("admin_user", 200),
]


def _contact_url(name):
    def url(customer):
        contact = ContactFactory(customer=customer)
        return reverse(f"customers:{name}", args=[customer.pk, contact.pk])

    return url


def _merge_confirm_url(customer):
    duplicate = CustomerFactory(owner=customer.owner, name="Acme Corporation")
    return reverse("customers:merge", args=[customer.pk]) + f"?duplicate={duplicate.pk}"


CUSTOMER_PAGES = {
    "detail": lambda c: reverse("customers:detail", args=[c.pk]),
    "edit": lambda c: reverse("customers:edit", args=[c.pk]),
    "delete": lambda c: reverse("customers:delete", args=[c.pk]),
    "merge": lambda c: reverse("customers:merge", args=[c.pk]) + "?q=acme",
    "merge_confirm": _merge_confirm_url,
    "contacts": lambda c: reverse("customers:contacts", args=[c.pk]),
    "contact_edit": _contact_url("contact_edit"),
    "contact_delete": _contact_url("contact_delete"),
    "activities": lambda c: reverse("customers:activities", args=[c.pk]),
    "history": lambda c: reverse("customers:history", args=[c.pk]),
}


# Not named "page": that is pytest-playwright's fixture, and would drag in a browser.
@pytest.mark.parametrize("view", CUSTOMER_PAGES)
@pytest.mark.parametrize(("persona", "expected"), CUSTOMER_PAGE_OUTCOMES)
def test_customer_page_permissions(request, client_for, customer, view, persona, expected):
    url = CUSTOMER_PAGES[view](customer)
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).get(url)

    if expected == "login":
        assert _anonymous_redirected(response)
    else:
        assert response.status_code == expected


GLOBAL_PAGES = ["customers:list", "customers:create", "customers:my_tasks"]


@pytest.mark.parametrize("view", GLOBAL_PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [(None, "login"), ("outsider", 403), ("owner", 200), ("manager", 200), ("admin_user", 200)],
)
def test_global_page_permissions(request, db, client_for, view, persona, expected):
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).get(reverse(view))

    if expected == "login":
        assert _anonymous_redirected(response)
    else:
        assert response.status_code == expected


# Writes: what each persona's POST does to the owner's customer ("done": it happened).
WRITE_OUTCOMES = [
    (None, "login"),
    ("outsider", 403),
    ("owner", "done"),
    ("teammate", 404),
    ("manager", "done"),
    ("admin_user", "done"),
]


def _toggle_task(customer):
    task = TaskFactory(customer=customer)
    url = reverse("customers:task_toggle", args=[task.pk])
    return url, {"done": "1"}, lambda: Activity.objects.get(pk=task.pk).done


def _add_contact(customer):
    url = reverse("customers:contacts", args=[customer.pk])
    return url, {"name": "Ann"}, lambda: customer.contacts.filter(name="Ann").exists()


def _delete_contact(customer):
    contact = ContactFactory(customer=customer)
    url = reverse("customers:contact_delete", args=[customer.pk, contact.pk])
    return url, {}, lambda: not Contact.objects.filter(pk=contact.pk).exists()


def _log_note(customer):
    url = reverse("customers:activities", args=[customer.pk])
    data = {"kind": "note", "subject": "Met at fair", "occurred_at": "2026-03-01T10:00"}
    return url, data, lambda: customer.activities.filter(subject="Met at fair").exists()


def _edit(customer):
    url = reverse("customers:edit", args=[customer.pk])
    data = {"name": "Renamed", "kind": "company", "status": "active", "owner": customer.owner_id}
    return url, data, lambda: Customer.objects.get(pk=customer.pk).name == "Renamed"


def _delete(customer):
    url = reverse("customers:delete", args=[customer.pk])
    return url, {}, lambda: not Customer.objects.filter(pk=customer.pk).exists()


def _merge(customer):
    duplicate = CustomerFactory(owner=customer.owner)
    url = reverse("customers:merge", args=[customer.pk])
    return (
        url,
        {"duplicate": duplicate.pk},
        lambda: not Customer.objects.filter(pk=duplicate.pk).exists(),
    )


WRITES = {
    "task_toggle": _toggle_task,
    "contact_add": _add_contact,
    "contact_delete": _delete_contact,
    "activity_log": _log_note,
    "edit": _edit,
    "delete": _delete,
    "merge": _merge,
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(("persona", "expected"), WRITE_OUTCOMES)
def test_write_permissions(request, client_for, customer, write, persona, expected):
    url, data, happened = WRITES[write](customer)
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).post(url, data)

    if expected == "login":
        assert _anonymous_redirected(response)
    elif expected == "done":
        assert response.status_code == 302
    else:
        assert response.status_code == expected
    assert happened() == (expected == "done")


# --- The list ---------------------------------------------------------------------------


def _names(response):
    return [c.name for c in response.context["page"].items]


@pytest.fixture
def two_books(owner, teammate):
    vip = TagFactory(name="vip")
    mine = CustomerFactory(owner=owner, name="Alpha Mine", region="North", status="active")
    theirs = CustomerFactory(owner=teammate, name="Alpha Theirs", region="North", status="active")
    mine.tags.add(vip)
    theirs.tags.add(vip)
    return mine, theirs


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "alpha"},
        {"q": "Alpha Theirs"},
        {"status": "active"},
        {"region": "North"},
        {"tag": "vip"},
        {"sort": "-owner"},
    ],
)
def test_rep_never_sees_a_teammates_customers(client_for, owner, two_books, query):
    _mine, theirs = two_books
    response = client_for(owner).get(reverse("customers:list"), query)

    assert response.status_code == 200
    expected = [] if query.get("q") == "Alpha Theirs" else ["Alpha Mine"]
    assert _names(response) == expected
    assert f'href="{theirs.get_absolute_url()}"' not in response.content.decode()


def test_owner_filter_is_ignored_for_a_rep(client_for, owner, teammate, two_books):
    response = client_for(owner).get(reverse("customers:list"), {"owner": teammate.pk})

    assert _names(response) == ["Alpha Mine"]
    assert 'name="owner"' not in response.content.decode()


def test_manager_sees_everyone_and_can_filter_by_owner(client_for, manager, teammate, two_books):
    client = client_for(manager)

    assert _names(client.get(reverse("customers:list"))) == ["Alpha Mine", "Alpha Theirs"]
    filtered = client.get(reverse("customers:list"), {"owner": teammate.pk})
    assert _names(filtered) == ["Alpha Theirs"]
    assert 'name="owner"' in filtered.content.decode()


def test_search_matches_email_and_external_id(client_for, owner):
    CustomerFactory(owner=owner, name="Beta", email="buyer@beta.example")
    CustomerFactory(owner=owner, name="Gamma", external_id="ERP-77")
    client = client_for(owner)

    assert _names(client.get(reverse("customers:list"), {"q": "beta.example"})) == ["Beta"]
    assert _names(client.get(reverse("customers:list"), {"q": "erp-77"})) == ["Gamma"]


def test_columns_sort_both_ways_and_keep_the_filters(client_for, owner):
    for name in ["Bravo", "Alpha", "Charlie"]:
        CustomerFactory(owner=owner, name=name, region="North")
    client = client_for(owner)

    ascending = client.get(reverse("customers:list"), {"region": "North", "sort": "name"})
    descending = client.get(reverse("customers:list"), {"region": "North", "sort": "-name"})

    assert _names(ascending) == ["Alpha", "Bravo", "Charlie"]
    assert _names(descending) == ["Charlie", "Bravo", "Alpha"]
    # The Name header reverses the current order and keeps the region filter.
    assert 'href="?region=North&amp;sort=-name"' in ascending.content.decode()
    assert 'href="?region=North&amp;sort=name"' in descending.content.decode()


def test_list_pages(client_for, owner, settings):
    settings.CRM_PAGE_SIZE = 2
    for name in ["A", "B", "C"]:
        CustomerFactory(owner=owner, name=name)
    client = client_for(owner)

    first = client.get(reverse("customers:list"), {"sort": "name"})
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("customers:list"), {"sort": "name", "cursor": cursor})

    assert _names(first) == ["A", "B"]
    assert f'href="?sort=name&amp;cursor={cursor}"' in first.content.decode()
    assert _names(second) == ["C"]


def test_list_runs_no_count_query(client_for, owner):
    CustomerFactory(owner=owner, name="A")
    client = client_for(owner)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("customers:list"))

    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def _region_queries(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if 'DISTINCT "customers_customer"."region"' in q["sql"]
    ]


def _region_options(response):
    html = response.content.decode()
    return html[html.index('name="region"') :].split("</select>")[0]


def test_a_managers_region_filter_is_cached_until_a_new_region_appears(
    client_for, manager, owner, django_capture_on_commit_callbacks
):
    CustomerFactory(owner=owner, region="North")
    client = client_for(manager)
    url = reverse("customers:list")

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(_region_queries(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    assert _region_queries(queries) == []  # not over every customer on every page
    assert "<option>North</option>" in _region_options(second)

    # Another customer in a known region keeps the list; a new region replaces it.
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_create(user=manager, name="Northern", region="North")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert _region_queries(queries) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_update(
            user=manager, customer=Customer.objects.get(name="Northern"), region="South"
        )
    with CaptureQueriesContext(connection) as queries:
        third = client.get(url)
    assert len(_region_queries(queries)) == 1
    assert "<option>South</option>" in _region_options(third)


def test_a_reps_region_filter_is_cached_until_a_region_of_theirs_appears(
    client_for, manager, owner, teammate, django_capture_on_commit_callbacks
):
    """Kept per owner; dropped when a write brings the rep a region their list lacks: a
    customer made, edited or reassigned to them (the customer post_save, whichever path
    saved it), or written in bulk (the API's batch, the CSV import, the demo loader)."""
    CustomerFactory(owner=owner, region="North")
    client = client_for(owner)
    url = reverse("customers:list")

    def regions_read():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(_region_queries(queries)), _region_options(response)

    assert regions_read()[0] == 1
    assert regions_read()[0] == 0
    with django_capture_on_commit_callbacks(execute=True):
        CustomerFactory(owner=teammate, region="South")  # not theirs
        services.customer_create(user=owner, name="Northern", region="North")
    assert regions_read()[0] == 0
    theirs = CustomerFactory(owner=teammate, region="West")
    with django_capture_on_commit_callbacks(execute=True):
        services.customer_update(user=manager, customer=theirs, owner=owner)
    count, options = regions_read()
    assert count == 1
    assert "<option>West</option>" in options
    assert "South" not in options
    with django_capture_on_commit_callbacks(execute=True):
        services.customers_save_bulk(
            user=manager, creates=[{"name": "Eastern", "region": "East", "owner": owner}]
        )
    count, options = regions_read()
    assert count == 1
    assert "<option>East</option>" in options
    with django_capture_on_commit_callbacks(execute=True):
        services.regions_changed()  # a bulk load: every list is read again
    assert regions_read()[0] == 1


def test_a_rep_sees_the_regions_of_their_own_customers_only(client_for, owner, teammate):
    CustomerFactory(owner=owner, region="North")
    CustomerFactory(owner=teammate, region="South")
    options = _region_options(client_for(owner).get(reverse("customers:list")))
    assert "North" in options
    assert "South" not in options


def test_the_results_say_how_many_and_offer_to_clear_the_filters(client_for, owner, settings):
    settings.CRM_PAGE_SIZE = 2
    for name in ["Alpha 1", "Alpha 2", "Alpha 3", "Beta"]:
        CustomerFactory(owner=owner, name=name)
    client = client_for(owner)

    # The count and the link are in the fragment htmx swaps, so they follow every keystroke.
    filtered = client.get(reverse("customers:list"), {"q": "alpha"}, headers={"HX-Request": "true"})
    unfiltered = client.get(reverse("customers:list")).content.decode()

    assert "3 results" in filtered.content.decode()
    assert '<a href="/customers/">Clear filters</a>' in filtered.content.decode()
    assert "4 results" in unfiltered
    assert "Clear filters" not in unfiltered


def test_the_count_stops_at_the_cap(client_for, owner, settings, monkeypatch):
    settings.CRM_PAGE_SIZE = 2
    monkeypatch.setattr("core.pagination.COUNT_CAP", 3)
    CustomerFactory.create_batch(5, owner=owner)

    with CaptureQueriesContext(connection) as queries:
        html = client_for(owner).get(reverse("customers:list")).content.decode()

    assert "3+ results" in html
    [count] = [q["sql"].upper() for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "LIMIT 4" in count


def test_a_rep_gets_no_owner_column_a_manager_does(client_for, owner, manager):
    CustomerFactory(owner=owner, name="Alpha")
    url = reverse("customers:list")

    rep_page = client_for(owner).get(url)
    manager_page = client_for(manager).get(url)

    # Every row of a rep's list is their own: the column would repeat their name.
    assert rep_page.context["show_owner"] is False
    assert '<th scope="col">Owner</th>' not in rep_page.content.decode()
    assert manager_page.context["show_owner"] is True
    assert '<th scope="col">Owner</th>' in manager_page.content.decode()


def test_scores_risks_and_dates_sort_highest_first_on_the_first_click(client_for, owner):
    CustomerFactory(owner=owner)
    client = client_for(owner)

    unsorted = client.get(reverse("customers:list")).content.decode()
    by_score = client.get(reverse("customers:list"), {"sort": "-score"}).content.decode()

    for column in ["score", "churn", "created", "revenue"]:
        assert f'href="?sort=-{column}"' in unsorted
    assert 'href="?sort=score"' in by_score  # the second click reverses


def test_empty_states_tell_no_customers_from_no_match(client_for, owner):
    client = client_for(owner)
    assert "No customers yet." in client.get(reverse("customers:list")).content.decode()

    CustomerFactory(owner=owner, name="Alpha")
    response = client.get(reverse("customers:list"), {"q": "zzz"})
    assert "No customers match these filters." in response.content.decode()


def test_list_shows_the_columns_and_a_new_button(client_for, owner):
    customer = CustomerFactory(owner=owner, name="Alpha", email="a@alpha.example", region="West")
    customer.tags.add(TagFactory(name="vip"))

    html = client_for(owner).get(reverse("customers:list")).content.decode()

    assert f'href="{customer.get_absolute_url()}">Alpha</a>' in html
    for text in ["Active", "West", "a@alpha.example", "vip", "New customer"]:
        assert text in html


def test_htmx_search_gets_only_the_results(client_for, owner):
    CustomerFactory(owner=owner, name="Alpha")
    CustomerFactory(owner=owner, name="Beta")

    response = client_for(owner).get(
        reverse("customers:list"), {"q": "alp"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "<html" not in html
    assert "Alpha" in html
    assert "Beta" not in html
    assert 'name="status"' not in html  # the filters are not re-sent


def test_back_button_restore_gets_the_whole_page(client_for, owner):
    response = client_for(owner).get(
        reverse("customers:list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_search_box_is_wired_for_search_as_you_type(client_for, owner):
    html = client_for(owner).get(reverse("customers:list")).content.decode()

    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert 'hx-target="#customer-results"' in html
