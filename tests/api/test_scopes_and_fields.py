"""API keys narrower than their user (read-only, per resource) and ``?fields=`` selection
(issue 13)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.keys import ApiKey, api_key_create
from api.urls import router
from tests.factories import CustomerFactory

KEYS_URL = reverse("api_pages:keys")


def _client(user, scopes):
    _key, raw = api_key_create(user=user, name="narrow", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _detail_urls(world):
    objects = {
        "customers": world.customer,
        "orders": world.order,
        "products": world.product,
        "campaigns": world.campaign,
        "surveys": world.survey,
        "webhooks": world.webhook,
    }
    for prefix, obj in objects.items():
        yield f"/api/v1/{prefix}/{obj.pk}/"


def test_a_read_only_key_reads_everything_and_changes_nothing(admin_user, world):
    api = _client(admin_user, ["read"])
    for prefix, _viewset, _basename in router.registry:
        if "campaign_pk" in prefix:
            continue
        # (company-metrics needs its period: a 400, but never a refusal.)
        assert api.get(f"/api/v1/{prefix}/").status_code in (200, 400), prefix
    for prefix, _viewset, _basename in router.registry:
        if "campaign_pk" in prefix:
            continue
        response = api.post(f"/api/v1/{prefix}/", {}, format="json")
        assert response.status_code in (403, 405), prefix
    for url in _detail_urls(world):
        assert api.get(url).status_code == 200, url
        assert api.patch(url, {}, format="json").status_code in (403, 405), url
        assert api.delete(url).status_code in (403, 405), url
    assert world.customer.__class__.objects.filter(pk=world.customer.pk).exists()


def test_the_refusal_names_the_missing_scope(admin_user, db):
    response = _client(admin_user, ["read"]).post(
        "/api/v1/customers/", {"name": "Blocked Ltd"}, format="json"
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert "customers:write" in error["message"]


def test_a_key_scoped_to_customers_writes_them_and_reads_nothing_else(admin_user, db):
    api = _client(admin_user, ["customers:write"])
    created = api.post("/api/v1/customers/", {"name": "Scoped Ltd"}, format="json")
    assert created.status_code == 201
    assert api.get("/api/v1/customers/").status_code == 200
    refused = api.get("/api/v1/orders/")
    assert refused.status_code == 403
    assert "orders:read" in refused.json()["error"]["message"]
    assert api.get("/api/v1/scores/").status_code == 403


def test_a_scope_never_makes_a_key_wider_than_its_user(owner, db):
    # A rep may not change model settings; a key saying it may changes nothing.
    api = _client(owner, ["scores:write"])
    assert api.patch("/api/v1/metric-settings/", {}, format="json").status_code == 403


def test_an_unknown_scope_is_refused_at_creation(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_key_create(user=owner, name="x", scopes=["everything"])


def test_the_keys_page_creates_a_narrowed_key_and_shows_its_access(client_for, owner):
    client = client_for(owner)
    page = client.get(KEYS_URL).content.decode()
    assert 'value="customers:read"' in page
    response = client.post(KEYS_URL, {"name": "BI pull", "scopes": ["read"]})
    assert response.status_code == 200
    key = ApiKey.objects.get(user=owner, name="BI pull")
    assert key.scopes == ["read"]
    assert "<code>read</code>" in response.content.decode()
    client.post(KEYS_URL, {"name": "Full"})
    assert ApiKey.objects.get(user=owner, name="Full").scopes == []


def test_the_keys_page_refuses_an_unknown_scope(client_for, owner):
    response = client_for(owner).post(KEYS_URL, {"name": "Bad", "scopes": ["root"]})
    assert response.status_code == 200
    assert not ApiKey.objects.filter(name="Bad").exists()
    assert "has-error" in response.content.decode()


# --- ?fields= ------------------------------------------------------------------------


def test_fields_selects_what_a_list_and_a_detail_send(api_for, owner):
    customer = CustomerFactory(owner=owner, name="Acme", email="buyer@acme.test")
    api = api_for(owner)
    listed = api.get("/api/v1/customers/", {"fields": "id,name"}).json()["results"]
    assert listed == [{"id": customer.pk, "name": "Acme"}]
    detail = api.get(f"/api/v1/customers/{customer.pk}/", {"fields": "email"}).json()
    assert detail == {"email": "buyer@acme.test"}


def test_fields_with_an_expanded_score(api_for, owner):
    from tests.api.factories import ScoreFactory

    customer = CustomerFactory(owner=owner)
    ScoreFactory(customer=customer, tier="A")
    api = api_for(owner)
    row = api.get("/api/v1/customers/", {"fields": "id,score", "expand": "score"}).json()[
        "results"
    ][0]
    assert set(row) == {"id", "score"}
    assert row["score"]["tier"] == "A"


@pytest.mark.parametrize("value", ["nonsense", "id,nonsense", "", " , "])
def test_an_unknown_or_empty_field_is_a_400_listing_the_fields(api_for, owner, value):
    CustomerFactory(owner=owner)
    response = api_for(owner).get("/api/v1/customers/", {"fields": value})
    assert response.status_code == 400
    message = response.json()["error"]["details"]["fields"][0]
    assert "name" in message
    assert "email" in message


def test_fields_is_documented_and_refused_where_nothing_is_listed(api_for, owner):
    api = api_for(owner)
    schema = api.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    assert "fields" in {p["name"] for p in parameters}
    # A write takes no field selection.
    response = api.post("/api/v1/customers/?fields=id", {"name": "X"}, format="json")
    assert response.status_code == 400
