"""Answers that say where the caller stands (rate-limit headers on a refused key and on an
unknown URL, Location on a replayed creation) and requests refused as the schema says."""

import pytest
from rest_framework.test import APIClient

from metrics.models import RecalcRun


def test_a_refused_key_and_an_unknown_url_carry_the_rate_limit_headers(api_for, owner):
    refused = APIClient(HTTP_AUTHORIZATION="Bearer crm_nope").get("/api/v1/customers/")
    assert refused.status_code == 401
    assert refused["RateLimit-Limit"] == "100000"
    assert int(refused["RateLimit-Remaining"]) == 99999
    unknown = api_for(owner).get("/api/v1/no-such-thing/")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert int(unknown["RateLimit-Remaining"]) < 100000


def test_a_replayed_recalculation_says_where_the_run_is(api_for, manager):
    api = api_for(manager)
    first = api.post("/api/v1/recalculations/", HTTP_IDEMPOTENCY_KEY="run-1")
    assert first.status_code == 202
    replay = api.post("/api/v1/recalculations/", HTTP_IDEMPOTENCY_KEY="run-1")
    assert replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    run = RecalcRun.objects.get()
    assert first["Location"] == replay["Location"]
    assert replay["Location"].endswith(f"/api/v1/recalculations/{run.pk}/")


def test_a_creation_answers_with_the_new_objects_url(api_for, owner):
    response = api_for(owner).post("/api/v1/customers/", {"name": "Acme"})
    assert response.status_code == 201
    assert response["Location"].endswith(f"/api/v1/customers/{response.json()['id']}/")


@pytest.mark.parametrize(
    "query", ["status=", "created_since=", "ordering=", "page=abc", "page=0", "tier__in="]
)
def test_an_empty_or_malformed_typed_parameter_is_a_400(api_for, owner, query):
    path = "/api/v1/products/" if query.startswith("page") else "/api/v1/customers/"
    response = api_for(owner).get(f"{path}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_a_number_for_a_text_field_is_a_400(api_for, owner):
    response = api_for(owner).post("/api/v1/customers/", {"name": 12})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"name": ["Not a valid string."]}
