"""The customer's tabs (overview, contacts, activities), tasks, delete and merge pages."""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from customers.models import Activity, Contact, Customer
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    TagFactory,
    TaskFactory,
)
from tests.orders.factories import OrderFactory

HTMX = {"HX-Request": "true"}
# Far from any day the tests run on, so "overdue" never depends on the clock.
LONG_AGO = dt.date(2000, 1, 3)
FAR_AHEAD = dt.date(2999, 1, 4)


@pytest.fixture
def customer(owner):
    return CustomerFactory(owner=owner, name="Acme Corp")


def _url(name, *args):
    return reverse(f"customers:{name}", args=args)


# --- Overview ---------------------------------------------------------------------------


def test_overview_shows_relations_and_the_latest_five_activities(client_for, owner, customer):
    referrer = CustomerFactory(owner=owner, name="Friendly Referrer")
    campaign = Campaign.objects.create(name="Spring fair", starts_on=dt.date(2026, 3, 1))
    customer.referred_by = referrer
    customer.acquired_by_campaign = campaign
    customer.save()
    customer.tags.add(TagFactory(name="vip"))
    CustomerFactory(owner=owner, referred_by=customer)
    ContactFactory(customer=customer, name="Pat Primary", is_primary=True)
    for day in range(1, 8):
        ActivityFactory(
            customer=customer,
            subject=f"Call {day}",
            occurred_at=dt.datetime(2026, 3, day, tzinfo=dt.UTC),
        )

    response = client_for(owner).get(_url("detail", customer.pk))

    html = response.content.decode()
    assert f'href="{referrer.get_absolute_url()}">Friendly Referrer</a>' in html
    assert "1 customer referred" in html
    assert "Spring fair" in html
    assert "vip" in html
    assert "Pat Primary" in html
    assert [a.subject for a in response.context["latest_activities"]] == [
        "Call 7",
        "Call 6",
        "Call 5",
        "Call 4",
        "Call 3",
    ]
    assert 'aria-current="page">Overview' in html


def test_tabs_link_every_section_including_orders(client_for, owner, customer):
    html = client_for(owner).get(_url("detail", customer.pk)).content.decode()

    for url in [
        _url("contacts", customer.pk),
        reverse("orders:customer_orders", args=[customer.pk]),
        _url("activities", customer.pk),
        _url("history", customer.pk),
        _url("edit", customer.pk),
        _url("merge", customer.pk),
        _url("delete", customer.pk),
    ]:
        assert f'href="{url}"' in html


def test_a_referrer_the_rep_cannot_see_is_named_but_not_linked(
    client_for, owner, teammate, customer
):
    hidden = CustomerFactory(owner=teammate, name="Other Book")
    customer.referred_by = hidden
    customer.save()

    html = client_for(owner).get(_url("detail", customer.pk)).content.decode()

    assert "Other Book" in html
    assert hidden.get_absolute_url() not in html


# --- Contacts ---------------------------------------------------------------------------


def test_add_a_contact_without_javascript(client_for, owner, customer):
    response = client_for(owner).post(
        _url("contacts", customer.pk), {"name": "Ann", "email": "ann@acme.example"}
    )

    assert response.status_code == 302
    assert response.url == _url("contacts", customer.pk)
    assert customer.contacts.get().email == "ann@acme.example"


def test_add_a_contact_with_htmx_returns_the_section(client_for, owner, customer):
    response = client_for(owner).post(_url("contacts", customer.pk), {"name": "Ann"}, headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert 'id="contact-' in html
    assert "Ann" in html


def test_contact_errors_show_inline(client_for, owner, customer):
    response = client_for(owner).post(
        _url("contacts", customer.pk), {"name": "", "email": "not-an-email"}, headers=HTMX
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "email"}
    assert "Enter a valid email address." in response.content.decode()
    assert not customer.contacts.exists()


def test_making_another_contact_primary_demotes_the_first(client_for, owner, customer):
    first = ContactFactory(customer=customer, name="First", is_primary=True)
    second = ContactFactory(customer=customer, name="Second")

    response = client_for(owner).post(
        _url("contact_edit", customer.pk, second.pk),
        {"name": "Second", "is_primary": "on"},
        headers=HTMX,
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_primary
    assert not first.is_primary
    # The whole section is redrawn, because the first contact's badge changed too.
    assert response["HX-Retarget"] == "#contacts"
    assert "<html" not in response.content.decode()


def test_adding_a_new_primary_contact_demotes_the_old_one(client_for, owner, customer):
    old = ContactFactory(customer=customer, is_primary=True)

    client_for(owner).post(_url("contacts", customer.pk), {"name": "New", "is_primary": "on"})

    old.refresh_from_db()
    assert not old.is_primary
    assert customer.contacts.get(is_primary=True).name == "New"


def test_inline_edit_form_is_a_fragment(client_for, owner, customer):
    contact = ContactFactory(customer=customer, name="Ann")

    response = client_for(owner).get(_url("contact_edit", customer.pk, contact.pk), headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith(f'<li id="contact-{contact.pk}"')


def test_delete_a_contact_after_confirmation(client_for, owner, customer):
    contact = ContactFactory(customer=customer, name="Ann")
    client = client_for(owner)
    url = _url("contact_delete", customer.pk, contact.pk)

    confirmation = client.get(url)
    assert "Delete the contact <strong>Ann</strong>?" in confirmation.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()

    response = client.post(url)
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_of_another_customer_is_not_found(client_for, owner, customer):
    other = ContactFactory(customer=CustomerFactory(owner=owner))

    response = client_for(owner).get(_url("contact_edit", customer.pk, other.pk))

    assert response.status_code == 404


# --- Activities and tasks ---------------------------------------------------------------


def test_log_a_call(client_for, owner, customer):
    response = client_for(owner).post(
        _url("activities", customer.pk),
        {
            "kind": "call",
            "subject": "Intro call",
            "body": "Went well",
            "occurred_at": "2026-03-02T09:30",
        },
    )

    assert response.status_code == 302
    call = customer.activities.get()
    assert (call.kind, call.author, call.due_on) == ("call", owner, None)
    assert call.occurred_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_a_task_needs_a_due_date(client_for, owner, customer):
    response = client_for(owner).post(
        _url("activities", customer.pk),
        {"kind": "task", "subject": "Send quote", "occurred_at": "2026-03-02T09:30"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"due_on": ["A task needs a due date."]}
    assert "<html" not in response.content.decode()
    assert not customer.activities.exists()


def test_a_task_is_assigned_to_its_author_by_default(client_for, owner, customer):
    form = client_for(owner).get(_url("activities", customer.pk)).context["form"]
    assert form["assignee"].value() == owner.pk

    client_for(owner).post(
        _url("activities", customer.pk),
        {
            "kind": "task",
            "subject": "Send quote",
            "occurred_at": "2026-03-02T09:30",
            "due_on": "2026-03-09",
        },
    )

    task = customer.activities.get()
    assert task.assignee == owner
    assert task.due_on == dt.date(2026, 3, 9)


def test_manager_assigns_a_task_to_a_rep(client_for, manager, owner, customer):
    client_for(manager).post(
        _url("activities", customer.pk),
        {
            "kind": "task",
            "subject": "Follow up",
            "occurred_at": "2026-03-02T09:30",
            "due_on": "2026-03-09",
            "assignee": owner.pk,
        },
    )

    assert customer.activities.get().assignee == owner


def test_a_note_drops_task_fields(client_for, owner, customer):
    client_for(owner).post(
        _url("activities", customer.pk),
        {
            "kind": "note",
            "subject": "Note",
            "occurred_at": "2026-03-02T09:30",
            "due_on": "2026-03-09",
            "assignee": owner.pk,
        },
    )

    note = customer.activities.get()
    assert note.due_on is None
    assert note.assignee is None


def test_timeline_is_paginated_newest_first(client_for, owner, customer, settings):
    settings.CRM_PAGE_SIZE = 2
    for day in (1, 2, 3):
        ActivityFactory(
            customer=customer,
            subject=f"Day {day}",
            occurred_at=dt.datetime(2026, 3, day, tzinfo=dt.UTC),
        )
    client = client_for(owner)

    first = client.get(_url("activities", customer.pk))
    second = client.get(_url("activities", customer.pk), {"page": 2}, headers=HTMX)

    assert [a.subject for a in first.context["page"].items] == ["Day 3", "Day 2"]
    assert [a.subject for a in second.context["page"].items] == ["Day 1"]
    assert "<html" not in second.content.decode()


def test_toggle_a_task_done_and_open_again(client_for, owner, customer):
    task = TaskFactory(customer=customer)
    client = client_for(owner)
    url = _url("task_toggle", task.pk)
    back = _url("activities", customer.pk)

    response = client.post(url, {"done": "1", "next": back})
    task.refresh_from_db()
    assert response.url == back
    assert task.done
    assert task.done_at is not None

    # Sending "done" twice keeps it done: the state is explicit, not a flip.
    client.post(url, {"done": "1"})
    task.refresh_from_db()
    assert task.done

    client.post(url, {"done": "0"})
    task.refresh_from_db()
    assert not task.done
    assert task.done_at is None


def test_toggle_ignores_a_foreign_next_url(client_for, owner, customer):
    task = TaskFactory(customer=customer)

    response = client_for(owner).post(
        _url("task_toggle", task.pk), {"done": "1", "next": "https://evil.example/"}
    )

    assert response.url == _url("activities", customer.pk)


def test_toggle_with_htmx_redraws_the_timeline_item_or_the_table_row(client_for, owner, customer):
    task = TaskFactory(customer=customer, subject="Send quote")
    client = client_for(owner)
    url = _url("task_toggle", task.pk)

    item = client.post(url, {"done": "1"}, headers={**HTMX, "HX-Target": f"activity-{task.pk}"})
    row = client.post(url, {"done": "0"}, headers={**HTMX, "HX-Target": f"task-{task.pk}"})

    assert item.content.decode().lstrip().startswith(f'<li id="activity-{task.pk}"')
    assert "Reopen" in item.content.decode()
    assert row.content.decode().lstrip().startswith(f'<tr id="task-{task.pk}"')
    assert "Mark done" in row.content.decode()


def test_toggle_is_post_only(client_for, owner, customer):
    task = TaskFactory(customer=customer)

    assert client_for(owner).get(_url("task_toggle", task.pk)).status_code == 405


def test_a_note_cannot_be_toggled(client_for, owner, customer):
    note = ActivityFactory(customer=customer)

    assert client_for(owner).post(_url("task_toggle", note.pk), {"done": "1"}).status_code == 404


def test_my_tasks_lists_my_open_tasks_and_highlights_overdue(client_for, owner, teammate):
    mine = CustomerFactory(owner=owner)
    TaskFactory(customer=mine, subject="Late one", due_on=LONG_AGO)
    TaskFactory(customer=mine, subject="Later one", due_on=FAR_AHEAD)
    TaskFactory(customer=mine, subject="Finished", due_on=LONG_AGO, done=True)
    TaskFactory(customer=CustomerFactory(owner=teammate), subject="Not mine", due_on=LONG_AGO)

    response = client_for(owner).get(_url("my_tasks"))

    html = response.content.decode()
    assert [t.subject for t in response.context["page"].items] == ["Late one", "Later one"]
    late = next(t for t in response.context["page"].items if t.subject == "Late one")
    assert f'<tr id="task-{late.pk}" class="overdue">' in html
    assert html.count('class="badge danger">overdue') == 1
    assert "Mark done" in html


def test_dashboard_still_shows_the_task_table(client_for, owner):
    TaskFactory(customer=CustomerFactory(owner=owner), subject="Call back", due_on=LONG_AGO)

    html = client_for(owner).get(reverse("analytics:dashboard")).content.decode()

    assert "Call back" in html
    assert "overdue" in html
    assert "Mark done" in html


# --- Delete -----------------------------------------------------------------------------


def test_delete_confirmation_lists_what_goes_with_it(client_for, owner, customer):
    ContactFactory.create_batch(2, customer=customer)
    ActivityFactory(customer=customer)

    html = client_for(owner).get(_url("delete", customer.pk)).content.decode()

    for text in ["2 contacts", "1 activity or task", "Delete customer"]:
        assert text in html
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_customer_with_orders_is_archived_not_deleted(client_for, owner, customer):
    OrderFactory(customer=customer, number="SO-1", ordered_on=dt.date(2026, 3, 1), total="0.00")
    client = client_for(owner)

    html = client.get(_url("delete", customer.pk)).content.decode()
    assert "Set its status to churned instead." in html
    assert "Delete customer</button>" not in html
    assert client.post(_url("delete", customer.pk)).status_code == 200
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_delete_after_confirmation(client_for, owner, customer):
    ContactFactory(customer=customer)

    response = client_for(owner).post(_url("delete", customer.pk), follow=True)

    assert response.redirect_chain[-1][0] == _url("list")
    assert "Customer “Acme Corp” deleted." in response.content.decode()
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.exists()


# --- Merge ------------------------------------------------------------------------------


def test_merge_search_finds_only_visible_duplicates(client_for, owner, teammate, customer):
    CustomerFactory(owner=owner, name="Acme Corporation")
    CustomerFactory(owner=owner, name="Other", external_id="ACME-OLD")
    CustomerFactory(owner=teammate, name="Acme Hidden")

    response = client_for(owner).get(_url("merge", customer.pk), {"q": "acme"}, headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert "Acme Corporation" in html
    assert "Acme Hidden" not in html
    by_external_id = client_for(owner).get(_url("merge", customer.pk), {"q": "acme-old"})
    assert [c.name for c in by_external_id.context["candidates"]] == ["Other"]


def test_merge_confirmation_shows_both_and_what_moves(client_for, owner, customer):
    duplicate = CustomerFactory(owner=owner, name="ACME", phone="+1 555", external_id="E-1")
    customer.phone = ""
    customer.save()
    ContactFactory.create_batch(3, customer=duplicate)
    duplicate.tags.add(TagFactory(name="wholesale"))

    response = client_for(owner).get(_url("merge", customer.pk), {"duplicate": duplicate.pk})

    html = response.content.decode()
    assert "Acme Corp" in html
    assert "ACME" in html
    assert "3 contacts" in html
    assert "wholesale" in html
    copied = {row["label"] for row in response.context["rows"] if row["copied"]}
    assert copied == {"Phone", "External id"}
    assert Customer.objects.filter(pk=duplicate.pk).exists()


def test_merge_via_the_page(client_for, owner, customer):
    duplicate = CustomerFactory(owner=owner, name="ACME")
    contact = ContactFactory(customer=duplicate)

    response = client_for(owner).post(
        _url("merge", customer.pk), {"duplicate": duplicate.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == customer.get_absolute_url()
    assert "“ACME” was merged into “Acme Corp”." in response.content.decode()
    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    contact.refresh_from_db()
    assert contact.customer == customer
    assert customer.activities.filter(kind=Activity.Kind.SYSTEM).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_merge_with_a_customer_the_rep_cannot_see_is_not_found(
    client_for, owner, teammate, customer, method
):
    hidden = CustomerFactory(owner=teammate)

    response = getattr(client_for(owner), method)(
        _url("merge", customer.pk), {"duplicate": hidden.pk}
    )

    assert response.status_code == 404
    assert Customer.objects.filter(pk=hidden.pk).exists()


def test_merge_into_itself_is_refused(client_for, owner, customer):
    response = client_for(owner).post(
        _url("merge", customer.pk), {"duplicate": customer.pk}, follow=True
    )

    assert "A customer cannot be merged into itself." in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_merging_a_customer_it_referred_does_not_make_it_refer_itself(client_for, owner, customer):
    duplicate = CustomerFactory(owner=owner, referred_by=customer)

    client_for(owner).post(_url("merge", customer.pk), {"duplicate": duplicate.pk})

    customer.refresh_from_db()
    assert customer.referred_by is None


def test_manager_merges_customers_of_two_reps(client_for, manager, teammate, customer):
    duplicate = CustomerFactory(owner=teammate)

    client_for(manager).post(_url("merge", customer.pk), {"duplicate": duplicate.pk})

    assert not Customer.objects.filter(pk=duplicate.pk).exists()
