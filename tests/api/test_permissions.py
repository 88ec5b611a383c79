"""Every endpoint and method, for each persona. Expected statuses are listed in persona
order: anonymous, outsider (no role), rep on their own data, another rep on it, manager,
admin. Lists are scoped rather than refused: another rep gets 200 (with nothing of
``owner``'s in it); naming another rep's customer in a body is a 400, reading it a 404."""

import pytest

PERSONAS = ["anonymous", "outsider", "rep_own", "rep_other", "manager", "admin"]

ORDER = {
    "customer": "{customer}",
    "ordered_on": "2026-03-02",
    "lines": [{"product": "{product}", "quantity": 1}],
}

# (method, path, body, "statuses in PERSONAS order")
MATRIX = [
    ("get", "/api/v1/customers/", None, "401 403 200 200 200 200"),
    ("post", "/api/v1/customers/", {"name": "New Co"}, "401 403 201 201 201 201"),
    ("get", "/api/v1/customers/{customer}/", None, "401 403 200 404 200 200"),
    ("patch", "/api/v1/customers/{customer}/", {"phone": "+1 555"}, "401 403 200 404 200 200"),
    # The customer has orders: archived (status churned), never deleted (docs/api.md).
    ("delete", "/api/v1/customers/{customer}/", None, "401 403 409 404 409 409"),
    ("get", "/api/v1/contacts/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/contacts/",
        {"customer": "{customer}", "name": "Ann"},
        "401 403 201 400 201 201",
    ),
    ("get", "/api/v1/contacts/{contact}/", None, "401 403 200 404 200 200"),
    ("patch", "/api/v1/contacts/{contact}/", {"role": "CFO"}, "401 403 200 404 200 200"),
    ("delete", "/api/v1/contacts/{contact}/", None, "401 403 204 404 204 204"),
    ("get", "/api/v1/activities/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/activities/",
        {"customer": "{customer}", "kind": "call", "subject": "Called"},
        "401 403 201 400 201 201",
    ),
    ("get", "/api/v1/activities/{task}/", None, "401 403 200 404 200 200"),
    ("patch", "/api/v1/activities/{task}/", {"done": True}, "401 403 200 404 200 200"),
    ("get", "/api/v1/products/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/products/",
        {"sku": "NEW-1", "name": "New", "list_price": "10.00", "unit_cost": "4.00"},
        "401 403 403 403 403 201",
    ),
    ("get", "/api/v1/products/{product}/", None, "401 403 200 200 200 200"),
    ("patch", "/api/v1/products/{product}/", {"active": False}, "401 403 403 403 403 200"),
    ("get", "/api/v1/orders/", None, "401 403 200 200 200 200"),
    ("post", "/api/v1/orders/", ORDER, "401 403 201 400 201 201"),
    ("post", "/api/v1/orders/bulk/", {"orders": [ORDER]}, "401 403 201 400 201 201"),
    ("get", "/api/v1/orders/{order}/", None, "401 403 200 404 200 200"),
    ("patch", "/api/v1/orders/{order}/", {"note": "Rush"}, "401 403 200 404 200 200"),
    ("post", "/api/v1/orders/{order}/status/", {"status": "paid"}, "401 403 200 404 200 200"),
    (
        "post",
        "/api/v1/orders/{paid_order}/refund/",
        {"amount": "10.00"},
        "401 403 200 404 200 200",
    ),
    ("get", "/api/v1/customer-costs/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/customer-costs/",
        {"customer": "{customer}", "kind": "service", "incurred_on": "2026-03-01", "amount": "5"},
        "401 403 201 400 201 201",
    ),
    ("get", "/api/v1/customer-costs/{cost}/", None, "401 403 200 404 200 200"),
    ("delete", "/api/v1/customer-costs/{cost}/", None, "401 403 204 404 204 204"),
    ("get", "/api/v1/campaigns/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/campaigns/",
        {"name": "Spring", "starts_on": "2026-03-01", "budget": "100.00"},
        "401 403 403 403 403 201",
    ),
    ("get", "/api/v1/campaigns/{campaign}/", None, "401 403 200 200 200 200"),
    ("patch", "/api/v1/campaigns/{campaign}/", {"budget": "5.00"}, "401 403 403 403 403 200"),
    ("delete", "/api/v1/campaigns/{campaign}/", None, "401 403 403 403 403 204"),
    ("get", "/api/v1/campaigns/{campaign}/spend-entries/", None, "401 403 200 200 200 200"),
    (
        "post",
        "/api/v1/campaigns/{campaign}/spend-entries/",
        {"spent_on": "2026-03-01", "amount": "12.50"},
        "401 403 403 403 403 201",
    ),
    (
        "get",
        "/api/v1/campaigns/{campaign}/spend-entries/{spend}/",
        None,
        "401 403 200 200 200 200",
    ),
    (
        "delete",
        "/api/v1/campaigns/{campaign}/spend-entries/{spend}/",
        None,
        "401 403 403 403 403 204",
    ),
    ("get", "/api/v1/surveys/", None, "401 403 200 200 200 200"),
    ("post", "/api/v1/surveys/", {"name": "Q3 NPS", "kind": "nps"}, "401 403 403 403 403 201"),
    ("get", "/api/v1/surveys/{survey}/", None, "401 403 200 200 200 200"),
    ("patch", "/api/v1/surveys/{survey}/", {"send_reminder": False}, "401 403 403 403 403 200"),
    ("get", "/api/v1/invitations/", None, "401 403 200 200 200 200"),
    ("get", "/api/v1/invitations/{invitation}/", None, "401 403 200 404 200 200"),
    ("get", "/api/v1/responses/", None, "401 403 200 200 200 200"),
    ("get", "/api/v1/responses/{response}/", None, "401 403 200 404 200 200"),
    ("get", "/api/v1/scores/", None, "401 403 200 200 200 200"),
    ("get", "/api/v1/scores/{customer}/", None, "401 403 200 404 200 200"),
    (
        "get",
        "/api/v1/company-metrics/?start=2026-01-01&end=2026-07-01",
        None,
        "401 403 200 200 200 200",
    ),
    ("get", "/api/v1/recalculations/", None, "401 403 403 403 200 200"),
    ("post", "/api/v1/recalculations/", None, "401 403 403 403 202 202"),
    ("get", "/api/v1/recalculations/{run}/", None, "401 403 403 403 200 200"),
    ("get", "/api/v1/model-fits/", None, "401 403 403 403 200 200"),
    ("get", "/api/v1/model-fits/{fit}/", None, "401 403 403 403 200 200"),
    ("get", "/api/v1/webhooks/", None, "401 403 403 403 403 200"),
    (
        "post",
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/crm", "events": ["order.created"]},
        "401 403 403 403 403 201",
    ),
    ("get", "/api/v1/webhooks/{webhook}/", None, "401 403 403 403 403 200"),
    ("patch", "/api/v1/webhooks/{webhook}/", {"active": False}, "401 403 403 403 403 200"),
    ("delete", "/api/v1/webhooks/{webhook}/", None, "401 403 403 403 403 204"),
    ("get", "/api/v1/webhooks/{webhook}/deliveries/", None, "401 403 403 403 403 200"),
    ("post", "/api/v1/webhooks/{webhook}/ping/", None, "401 403 403 403 403 202"),
    ("get", "/api/v1/events/", None, "401 403 403 403 403 200"),
    ("get", "/api/v1/deletions/", None, "401 403 200 200 200 200"),
    ("get", "/api/schema/", None, "200 200 200 200 200 200"),
    ("get", "/api/docs/", None, "200 200 200 200 200 200"),
]

CASES = [
    pytest.param(method, path, body, persona, int(status), id=f"{method} {path} {persona}")
    for method, path, body, statuses in MATRIX
    for persona, status in zip(PERSONAS, statuses.split(), strict=True)
]


def _fill(value, ids):
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") else value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "persona", "expected"), CASES)
def test_permission_matrix(
    method,
    path,
    body,
    persona,
    expected,
    world,
    api_for,
    owner,
    teammate,
    outsider,
    manager,
    admin_user,
):
    users = {
        "anonymous": None,
        "outsider": outsider,
        "rep_own": owner,
        "rep_other": teammate,
        "manager": manager,
        "admin": admin_user,
    }
    ids = {name: obj.pk for name, obj in vars(world).items()}
    response = getattr(api_for(users[persona]), method)(
        path.format(**ids), _fill(body, ids), format="json"
    )
    assert response.status_code == expected, response.content[:500]
    if expected >= 400 and path.startswith("/api/v1/"):
        assert set(response.json()["error"]) == {"code", "message", "details"}
