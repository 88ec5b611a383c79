"""Creating and editing customers through the pages, and the History tab."""

import datetime as dt

import pytest
from django.urls import reverse

from customers.models import Customer, Tag
from tests.factories import CustomerFactory, TagFactory

CREATE_URL = reverse("customers:create")


def _form_data(**overrides):
    return {"name": "Acme", "kind": "company", "status": "lead", **overrides}


def _edit_url(customer):
    return reverse("customers:edit", args=[customer.pk])


def _errors(response):
    return response.context["form"].errors


def test_rep_creates_a_customer_with_new_and_existing_tags(client_for, owner):
    TagFactory(name="VIP")

    response = client_for(owner).post(
        CREATE_URL, _form_data(tags="vip, wholesale, , wholesale", region="North"), follow=True
    )

    customer = Customer.objects.get(name="Acme")
    assert response.redirect_chain[-1][0] == customer.get_absolute_url()
    assert "Customer “Acme” created." in response.content.decode()
    assert customer.owner == owner
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "wholesale"]
    assert Tag.objects.count() == 2


def test_the_owner_field_is_only_for_users_who_may_reassign(client_for, owner, manager):
    assert 'name="owner"' not in client_for(owner).get(CREATE_URL).content.decode()
    assert 'name="owner"' in client_for(manager).get(CREATE_URL).content.decode()


def test_a_forged_owner_is_ignored_on_create(client_for, owner, teammate):
    client_for(owner).post(CREATE_URL, _form_data(owner=teammate.pk))

    assert Customer.objects.get(name="Acme").owner == owner


def test_a_forged_owner_is_ignored_on_edit(client_for, owner, teammate):
    customer = CustomerFactory(owner=owner)

    response = client_for(owner).post(_edit_url(customer), _form_data(owner=teammate.pk))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == owner
    assert customer.name == "Acme"


def test_manager_reassigns_a_customer(client_for, manager, owner, teammate):
    customer = CustomerFactory(owner=owner)

    client_for(manager).post(_edit_url(customer), _form_data(owner=teammate.pk))

    customer.refresh_from_db()
    assert customer.owner == teammate


def test_manager_creates_for_another_owner(client_for, manager, teammate):
    client_for(manager).post(CREATE_URL, _form_data(owner=teammate.pk))

    assert Customer.objects.get(name="Acme").owner == teammate


def test_required_name_is_reported_on_its_field(client_for, owner):
    response = client_for(owner).post(CREATE_URL, _form_data(name=""))

    assert response.status_code == 200
    assert "name" in _errors(response)
    assert "This field is required." in response.content.decode()
    assert not Customer.objects.exists()


def test_churned_without_a_date_is_reported_on_the_churn_date(client_for, owner):
    customer = CustomerFactory(owner=owner)

    response = client_for(owner).post(_edit_url(customer), _form_data(status="churned"))

    assert _errors(response) == {"churned_on": ["A churned customer needs a churn date."]}
    html = response.content.decode()
    field_start = html.index('id="id_churned_on"')
    assert html.index("A churned customer needs a churn date.") > field_start


def test_churn_date_on_an_active_customer_is_refused(client_for, owner):
    response = client_for(owner).post(
        CREATE_URL, _form_data(status="active", churned_on="2026-01-31")
    )

    assert _errors(response) == {"status": ["Only a churned customer has a churn date or reason."]}


def test_churned_with_a_date_saves(client_for, owner):
    customer = CustomerFactory(owner=owner)

    client_for(owner).post(
        _edit_url(customer),
        _form_data(status="churned", churned_on="2026-01-31", churn_reason="Price"),
    )

    customer.refresh_from_db()
    assert customer.churned_on == dt.date(2026, 1, 31)
    assert customer.churn_reason == "Price"


def test_duplicate_external_id_gets_a_clear_message(client_for, owner, teammate):
    CustomerFactory(owner=teammate, external_id="ERP-1")

    response = client_for(owner).post(CREATE_URL, _form_data(external_id="ERP-1"))

    assert _errors(response) == {"external_id": ["Another customer already has this external id."]}


def test_empty_external_ids_do_not_collide(client_for, owner):
    client = client_for(owner)
    client.post(CREATE_URL, _form_data(name="One", external_id=""))
    client.post(CREATE_URL, _form_data(name="Two", external_id=""))

    assert list(Customer.objects.values_list("external_id", flat=True)) == [None, None]


def test_negative_acquisition_cost_is_refused(client_for, owner):
    response = client_for(owner).post(CREATE_URL, _form_data(acquisition_cost_override="-1"))

    assert _errors(response) == {
        "acquisition_cost_override": ["Ensure this value is greater than or equal to 0."]
    }


def test_referrer_by_number_or_external_id(client_for, owner):
    referrer = CustomerFactory(owner=owner, external_id="REF-1")
    client = client_for(owner)

    client.post(CREATE_URL, _form_data(name="By number", referred_by=str(referrer.pk)))
    client.post(CREATE_URL, _form_data(name="By external id", referred_by="REF-1"))

    assert Customer.objects.get(name="By number").referred_by == referrer
    assert Customer.objects.get(name="By external id").referred_by == referrer


def test_a_referrer_the_rep_cannot_see_is_refused(client_for, owner, teammate):
    hidden = CustomerFactory(owner=teammate, external_id="REF-2")
    client = client_for(owner)

    by_number = client.post(CREATE_URL, _form_data(referred_by=str(hidden.pk)))
    by_external_id = client.post(CREATE_URL, _form_data(referred_by="REF-2"))

    for response in (by_number, by_external_id):
        assert "No customer you can see" in _errors(response)["referred_by"][0]
    assert not Customer.objects.filter(name="Acme").exists()


def test_an_unchanged_hidden_referrer_does_not_block_editing(client_for, owner, teammate):
    hidden = CustomerFactory(owner=teammate)
    customer = CustomerFactory(owner=owner, referred_by=hidden)
    client = client_for(owner)

    form_page = client.get(_edit_url(customer))
    assert form_page.context["form"]["referred_by"].value() == hidden.pk
    response = client.post(_edit_url(customer), _form_data(referred_by=str(hidden.pk)))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.referred_by == hidden


def test_a_customer_cannot_refer_itself(client_for, owner):
    customer = CustomerFactory(owner=owner)

    response = client_for(owner).post(_edit_url(customer), _form_data(referred_by=customer.pk))

    assert _errors(response) == {"referred_by": ["A customer cannot refer itself."]}


def test_edit_form_shows_current_values(client_for, owner):
    customer = CustomerFactory(owner=owner, name="Acme", industry="Retail")
    customer.tags.add(TagFactory(name="b"), TagFactory(name="a"))

    form = client_for(owner).get(_edit_url(customer)).context["form"]

    assert form["name"].value() == "Acme"
    assert form["industry"].value() == "Retail"
    assert form["tags"].value() == "a, b"


def test_htmx_submit_with_errors_gets_the_form_only(client_for, owner):
    response = client_for(owner).post(
        CREATE_URL, _form_data(name=""), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith("<form")
    assert "This field is required." in html


def test_htmx_submit_that_saves_redirects_the_browser(client_for, owner):
    response = client_for(owner).post(CREATE_URL, _form_data(), headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == Customer.objects.get(name="Acme").get_absolute_url()


# --- History ----------------------------------------------------------------------------


def test_history_shows_an_edit_with_who_made_it(client_for, owner, manager, teammate):
    customer = CustomerFactory(owner=owner, name="Old name", status="lead")
    client = client_for(manager)
    client.post(
        _edit_url(customer), _form_data(name="New name", status="active", owner=teammate.pk)
    )

    html = client.get(reverse("customers:history", args=[customer.pk])).content.decode()

    assert "Maria" in html  # the manager's name, who made the change
    assert "<del>Old name</del> → <ins>New name</ins>" in html
    assert "<del>Lead</del> → <ins>Active</ins>" in html
    assert "<del>Olivia</del> → <ins>Tom</ins>" in html  # owners by name, not id


def test_history_lists_contact_changes_too_newest_first(client_for, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(owner)
    client.post(reverse("customers:contacts", args=[customer.pk]), {"name": "Ann"})
    contact = customer.contacts.get()
    client.post(
        reverse("customers:contact_edit", args=[customer.pk, contact.pk]),
        {"name": "Ann Smith", "is_primary": "on"},
    )

    entries = client.get(reverse("customers:history", args=[customer.pk])).context["entries"]

    assert [(e.subject, e.action) for e in entries] == [
        ("Contact: Ann Smith", "changed"),
        ("Contact: Ann", "created"),
        ("Customer", "created"),
    ]
    assert [(c.label, c.old, c.new) for c in entries[0].changes] == [
        ("Primary contact", "no", "yes"),
        ("Name", "Ann", "Ann Smith"),
    ]
    assert entries[0].record.history_user == owner


def test_history_pages(client_for, owner, settings):
    settings.CRM_PAGE_SIZE = 2
    customer = CustomerFactory(owner=owner, name="v0")
    for n in range(1, 4):
        customer.name = f"v{n}"
        customer.save()
    client = client_for(owner)
    url = reverse("customers:history", args=[customer.pk])

    first = client.get(url).context
    second = client.get(url, {"page": 2}).context

    assert [e.changes[0].new for e in first["entries"]] == ["v3", "v2"]
    assert first["page"].has_next
    assert [e.changes[0].new for e in second["entries"][:1]] == ["v1"]
    assert [e.action for e in second["entries"]] == ["changed", "created"]
    assert not second["page"].has_next


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_history_hides_the_name_of_a_referrer_the_user_cannot_see(
    request, client_for, owner, teammate, persona
):
    hidden = CustomerFactory(owner=teammate, name="Secret Referrer")
    customer = CustomerFactory(owner=owner)
    customer.referred_by = hidden
    customer.save()

    response = client_for(request.getfixturevalue(persona)).get(
        reverse("customers:history", args=[customer.pk])
    )

    shown = "Secret Referrer" in response.content.decode()
    assert shown == (persona == "manager")


def test_history_says_where_the_orders_history_is(client_for, owner):
    """Five orders and no change to the customer (a bulk load writes no history): the tab
    says orders keep their own history and links the Orders tab, not a bare "No recorded
    changes"."""
    from tests.orders.factories import OrderFactory

    customer = CustomerFactory(owner=owner)
    customer.history.all().delete()
    for day in range(1, 6):
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, day), total="10.00")

    html = client_for(owner).get(reverse("customers:history", args=[customer.pk])).content.decode()

    orders_tab = reverse("orders:customer_orders", args=[customer.pk])
    assert f'Orders keep their own history: open an order from the <a href="{orders_tab}">' in html
    assert "No recorded changes to the customer or its contacts." in html
