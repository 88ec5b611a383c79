"""A customer's preferred language: set in the customer form, shown on the customer, kept by
a merge. (The API: tests/api/test_customer_language.py; CSV: tests/dataio.)"""

import re

from django.urls import reverse

from customers import services
from customers.models import Customer
from tests.factories import CustomerFactory


def _form_data(**overrides):
    return {"name": "Acme", "kind": "company", "status": "lead", **overrides}


def test_a_new_customer_speaks_the_site_default():
    assert Customer(name="Acme").language == ""


def test_the_form_offers_the_sites_languages_and_saves_the_choice(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("customers:create")).content.decode()
    select = re.search(r'<select name="language".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "en", "zh-hans"]

    response = client.post(reverse("customers:create"), _form_data(language="zh-hans"))
    assert response.status_code == 302
    customer = Customer.objects.get(name="Acme")
    assert customer.language == "zh-hans"
    detail = client.get(customer.get_absolute_url()).content.decode()
    assert "Simplified Chinese" in detail

    edit = reverse("customers:edit", args=[customer.pk])
    assert 'value="zh-hans" selected' in client.get(edit).content.decode()
    client.post(edit, _form_data(language=""))
    customer.refresh_from_db()
    assert customer.language == ""


def test_the_form_refuses_an_unknown_language(client_for, owner):
    response = client_for(owner).post(reverse("customers:create"), _form_data(language="xx"))
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not Customer.objects.exists()


def test_a_merge_keeps_a_language_the_survivor_lacks(owner):
    survivor = CustomerFactory(owner=owner, language="")
    duplicate = CustomerFactory(owner=owner, language="zh-hans")
    services.customer_merge(user=None, survivor=survivor, duplicate=duplicate)
    survivor.refresh_from_db()
    assert survivor.language == "zh-hans"
