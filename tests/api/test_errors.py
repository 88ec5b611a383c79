"""One error body for everything: {"error": {"code", "message", "details"}}."""

import pytest
from rest_framework.test import APIClient

from tests.factories import CustomerFactory


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_validation_errors_list_each_field(api_for, owner):
    response = api_for(owner).post(
        "/api/v1/customers/", {"name": "", "email": "not-an-email"}, format="json"
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"name", "email"}


def test_a_services_validation_error_has_the_same_shape(api_for, owner):
    response = api_for(owner).post(
        "/api/v1/customers/", {"name": "Gone", "status": "churned"}, format="json"
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["details"] == {"churned_on": ["A churned customer needs a churn date."]}


def test_a_services_permission_error_keeps_its_message(api_for, owner, teammate):
    customer = CustomerFactory(owner=owner)
    response = api_for(owner).patch(
        f"/api/v1/customers/{customer.pk}/", {"owner": teammate.pk}, format="json"
    )
    assert response.status_code == 403
    assert _error(response) == {
        "code": "permission_denied",
        "message": "Only managers can reassign a customer to another owner.",
        "details": {},
    }


def test_not_found_object_and_url(api_for, owner):
    api = api_for(owner)
    assert _error(api.get("/api/v1/customers/999999/"))["code"] == "not_found"
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"
    # In the caller's language, written as UTF-8 like every other API body (not \u escapes).
    chinese = api.get("/api/v1/no-such-thing/", headers={"Accept-Language": "zh-hans"})
    assert "/api/v1/no-such-thing/" in chinese.content.decode()
    assert "\\u" not in chinese.content.decode()
    assert _error(chinese)["message"] != _error(response)["message"]


def test_pages_outside_the_api_keep_html_404(client_for, owner):
    response = client_for(owner).get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_anonymous_gets_401(db):
    response = APIClient().get("/api/v1/orders/")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_method_not_allowed(api_for, owner):
    response = api_for(owner).put("/api/v1/customers/", {}, format="json")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_malformed_json_and_wrong_content_type(api_for, owner):
    api = api_for(owner)
    bad = api.post("/api/v1/customers/", "{nope", content_type="application/json")
    assert bad.status_code == 400
    assert _error(bad)["code"] == "parse_error"
    # Where the body stops being JSON, in words of ours (translated), not the json module's.
    assert _error(bad)["message"] == "The body is not valid JSON (line 1, column 2)."
    latin1 = api.post(
        "/api/v1/customers/", '{"name": "Ä"}'.encode("latin-1"), content_type="application/json"
    )
    assert _error(latin1)["message"] == "The body is not valid JSON text in UTF-8."
    form = api.post(
        "/api/v1/customers/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    assert _error(form)["code"] == "unsupported_media_type"


def test_request_size_limit(api_for, owner, settings):
    settings.API_MAX_REQUEST_BYTES = 100
    response = api_for(owner).post("/api/v1/customers/", {"name": "x" * 200}, format="json")
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"


def test_invalid_filter_is_a_400(api_for, owner):
    response = api_for(owner).get("/api/v1/customers/?status=sleeping")
    assert response.status_code == 400
    assert "status" in _error(response)["details"]


@pytest.mark.parametrize("scope", ["key", "user"])
def test_throttling_per_key_and_per_user(api_for, owner, settings, scope):
    rates = {"key": "100/min", "user": "100/min", "anon": "100/min"}
    rates[scope] = "2/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    first, second = api_for(owner), api_for(owner)  # two keys of the same user
    assert first.get("/api/v1/customers/").status_code == 200
    assert first.get("/api/v1/customers/").status_code == 200
    throttled = first.get("/api/v1/customers/")
    assert throttled.status_code == 429
    error = _error(throttled)
    assert error["code"] == "throttled"
    assert int(throttled["Retry-After"]) == error["details"]["retry_after"] > 0
    # Another key of the same user: free under the per-key rate, not under the per-user one.
    assert second.get("/api/v1/customers/").status_code == (200 if scope == "key" else 429)


def test_a_crash_under_api_is_a_json_500(api_for, owner, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("api.views.customers.customer_list", crash)
    api = api_for(owner)
    api.raise_request_exception = False
    response = api.get("/api/v1/customers/")
    assert response.status_code == 500
    assert _error(response)["code"] == "server_error"
