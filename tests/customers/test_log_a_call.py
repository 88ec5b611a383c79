""" "Log a call" (from Call next and the Overview) opens the activity form with Call chosen
and the numbers to dial beside it."""

import re

import pytest
from django.urls import reverse

from customers.models import Activity
from tests.factories import ContactFactory, CustomerFactory

HTMX = {"HX-Request": "true"}


def _activities(customer):
    return reverse("customers:activities", args=[customer.pk])


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_log_a_call_preselects_call(request, client_for, owner, who):
    customer = CustomerFactory(owner=owner)

    response = client_for(request.getfixturevalue(who)).get(_activities(customer), {"kind": "call"})

    assert response.status_code == 200
    assert response.context["form"]["kind"].value() == Activity.Kind.CALL
    html = response.content.decode()
    assert '<option value="call" selected>' in html
    assert '<option value="note" selected>' not in html
    assert 'id="log-activity"' in html


@pytest.mark.parametrize("kind", ["", "system", "bogus"])
def test_a_kind_the_form_does_not_offer_leaves_the_default(client_for, owner, kind):
    customer = CustomerFactory(owner=owner)

    response = client_for(owner).get(_activities(customer), {"kind": kind})

    assert response.status_code == 200
    assert response.context["form"]["kind"].value() == Activity.Kind.NOTE


def test_a_preselected_call_is_saved_as_a_call(client_for, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(owner)
    form = client.get(_activities(customer), {"kind": "call"}).context["form"]

    client.post(
        _activities(customer),
        {
            "kind": form["kind"].value(),
            "subject": "Asked about the renewal",
            "occurred_at": "2026-03-02T10:00",
        },
    )

    assert customer.activities.get().kind == Activity.Kind.CALL


def test_the_form_shows_the_numbers_to_dial(client_for, owner):
    customer = CustomerFactory(owner=owner, name="Acme Corp", phone="+1 555 0100")
    ContactFactory(customer=customer, name="Ann Lee", role="Buyer", phone="+1 555 0111")
    ContactFactory(customer=customer, name="No Phone", phone="")
    ContactFactory(customer=CustomerFactory(owner=owner), name="Elsewhere", phone="+1 555 0199")

    html = _text(client_for(owner).get(_activities(customer), {"kind": "call"}))

    assert "Phone numbers" in html
    assert '<a href="tel:+15550100">+1 555 0100</a> <span class="muted">Acme Corp</span>' in html
    assert '<a href="tel:+15550111">+1 555 0111</a> <span class="muted">Ann Lee (Buyer)' in html
    assert "No Phone" not in html
    assert "Elsewhere" not in html


def test_the_numbers_stay_when_htmx_redraws_the_form(client_for, owner):
    customer = CustomerFactory(owner=owner, phone="+1 555 0100")

    response = client_for(owner).post(
        _activities(customer), {"kind": "call", "subject": ""}, headers=HTMX
    )

    html = response.content.decode()
    assert "<html" not in html
    assert "tel:+15550100" in html


def test_no_numbers_no_list(client_for, owner):
    customer = CustomerFactory(owner=owner, phone="")

    html = client_for(owner).get(_activities(customer)).content.decode()

    assert "Phone numbers" not in html
