"""Input the API refuses with its error body rather than crashing on or misreading
(tests/core/test_fuzz.py throws the whole list at every endpoint; these name the cases)."""

import base64

import pytest

from api.parsers import MAX_DEPTH
from customers.models import Contact
from tests.factories import CustomerFactory


def _post(api, path, body):
    return api.post(path, body, content_type="application/json")


def test_json_nested_past_the_limit_is_a_400(api_for, owner):
    api = api_for(owner)
    too_deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    for body in (too_deep, "[" * 1000 + "]" * 1000, '{"name": ' + too_deep + "}"):
        response = _post(api, "/api/v1/customers/", body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "parse_error"


def test_a_lone_surrogate_is_a_400_not_an_error_that_cannot_be_encoded(api_for, owner):
    response = _post(api_for(owner), "/api/v1/customers/", '{"name": "\\ud800", "kind": "\\udfff"}')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("customer", ["1e400", "{pk}.5", "true", "[{pk}]", '"{pk}.0"'])
def test_a_related_id_must_be_a_whole_number(api_for, owner, customer):
    real = CustomerFactory(owner=owner)
    body = '{"customer": ' + customer.format(pk=real.pk) + ', "name": "Ann"}'

    response = _post(api_for(owner), "/api/v1/contacts/", body)

    assert response.status_code == 400
    assert "customer" in response.json()["error"]["details"]
    assert not Contact.objects.exists()


def test_a_malformed_body_is_refused_where_the_endpoint_reads_none(api_for, admin_user):
    response = _post(api_for(admin_user), "/api/v1/recalculations/", "{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize(
    "value", ["Infinity", "-Infinity", "NaN", "1e400", '"\\u0000"', str(2**63), "true"]
)
def test_a_cursor_holding_a_value_no_column_takes_is_a_400(api_for, owner, value):
    CustomerFactory(owner=owner)
    token = '{"o": "-id", "v": [' + value + '], "b": 0}'
    cursor = base64.urlsafe_b64encode(token.encode()).decode()

    response = api_for(owner).get("/api/v1/customers/", {"ordering": "-id", "cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"cursor": ["Invalid cursor."]}
