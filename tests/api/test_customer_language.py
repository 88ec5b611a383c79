"""A customer's preferred language through the API: read, written, validated."""

import pytest

from customers.models import Customer
from tests.factories import CustomerFactory


def test_the_language_is_read_and_written(api_for, owner):
    api = api_for(owner)
    created = api.post("/api/v1/customers/", {"name": "Acme", "language": "zh-hans"})
    assert created.status_code == 201
    assert created.json()["language"] == "zh-hans"
    customer = Customer.objects.get(pk=created.json()["id"])
    assert customer.language == "zh-hans"

    changed = api.patch(f"/api/v1/customers/{customer.pk}/", {"language": ""})
    assert changed.status_code == 200
    customer.refresh_from_db()
    assert customer.language == ""
    assert api.get(f"/api/v1/customers/{customer.pk}/").json()["language"] == ""


@pytest.mark.parametrize("language", ["fr", "ZH-HANS", "Simplified Chinese", 7, None, "x" * 500])
def test_an_unknown_language_is_a_400_naming_the_field(api_for, owner, language):
    customer = CustomerFactory(owner=owner, language="en")
    response = api_for(owner).patch(f"/api/v1/customers/{customer.pk}/", {"language": language})
    assert response.status_code == 400
    assert "language" in str(response.json())
    customer.refresh_from_db()
    assert customer.language == "en"


def test_the_schema_lists_the_languages(api_for, owner):
    schema = api_for(owner).get("/api/schema/?format=json").json()
    properties = schema["components"]["schemas"]["Customer"]["properties"]
    assert "language" in properties
    assert "zh-hans" in str(schema["components"]["schemas"])
