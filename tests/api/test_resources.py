"""What each resource does, beyond who may call it (test_permissions.py). The API adds no
rules of its own: these check that it hands over to the services and selectors."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Activity, Customer
from metrics.models import RecalcRun
from orders.models import Order
from surveys.models import Survey
from tests.api.factories import RecalcRunFactory, ScoreFactory
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory, TagFactory, TaskFactory
from tests.orders.factories import ExchangeRateFactory, OrderFactory, ProductFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory

# --- Customers ---------------------------------------------------------------------------


def test_customer_create_and_change_through_the_services(api_for, owner, teammate):
    TagFactory(name="VIP")
    api = api_for(owner)
    created = api.post(
        "/api/v1/customers/",
        {"name": "Acme", "owner": teammate.pk, "tags": ["vip", "new", "New"], "external_id": ""},
        format="json",
    ).json()
    customer = Customer.objects.get(pk=created["id"])
    assert customer.owner == owner  # a rep owns what they create
    assert created["tags"] == ["VIP", "new"]  # matched case-insensitively, deduplicated
    assert customer.external_id is None

    changed = api.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"status": "churned", "churned_on": "2026-05-01", "tags": []},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["status"] == "churned"
    assert changed.json()["tags"] == []
    assert changed.json()["churned_on"] == "2026-05-01"


def test_customer_timestamps_and_money_formats(api_for, owner):
    CustomerFactory(owner=owner, acquisition_cost_override=Decimal("12.5"))
    row = api_for(owner).get("/api/v1/customers/").json()["results"][0]
    assert row["acquisition_cost_override"] == "12.50"
    assert row["created_at"] == "2026-01-01T00:00:00Z"


def test_manager_reassigns(api_for, manager, owner, teammate):
    customer = CustomerFactory(owner=owner)
    response = api_for(manager).patch(
        f"/api/v1/customers/{customer.pk}/", {"owner": teammate.pk}, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.owner == teammate


def test_customer_filters_come_from_the_selector(api_for, owner):
    CustomerFactory(owner=owner, name="Acme", status=Customer.Status.LEAD)
    CustomerFactory(owner=owner, name="Bolt", status=Customer.Status.ACTIVE)
    scored = CustomerFactory(owner=owner, name="Core")
    ScoreFactory(customer=scored, tier="A")
    api = api_for(owner)

    def names(query):
        return [c["name"] for c in api.get(f"/api/v1/customers/?{query}").json()["results"]]

    assert names("status=lead") == ["Acme"]
    assert names("search=bol") == ["Bolt"]
    assert names("tier=A") == ["Core"]
    assert names("ordering=name") == ["Acme", "Bolt", "Core"]


def test_referrer_stays_valid_even_if_not_visible(api_for, owner, teammate):
    referrer = CustomerFactory(owner=teammate)
    customer = CustomerFactory(owner=owner, referred_by=referrer)
    api = api_for(owner)
    kept = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"referred_by": referrer.pk}, format="json"
    )
    assert kept.status_code == 200
    other = CustomerFactory(owner=teammate)
    refused = api.patch(
        f"/api/v1/customers/{customer.pk}/", {"referred_by": other.pk}, format="json"
    )
    assert refused.status_code == 400


def test_primary_contact_moves(api_for, owner):
    customer = CustomerFactory(owner=owner)
    api = api_for(owner)
    first = api.post(
        "/api/v1/contacts/", {"customer": customer.pk, "name": "A", "is_primary": True}
    ).json()
    api.post("/api/v1/contacts/", {"customer": customer.pk, "name": "B", "is_primary": True})
    assert api.get(f"/api/v1/contacts/{first['id']}/").json()["is_primary"] is False


def test_tasks_need_a_due_date_and_can_be_done(api_for, owner):
    customer = CustomerFactory(owner=owner)
    api = api_for(owner)
    missing = api.post(
        "/api/v1/activities/", {"customer": customer.pk, "kind": "task", "subject": "Call"}
    )
    assert missing.status_code == 400
    assert "due_on" in missing.json()["error"]["details"]
    task = api.post(
        "/api/v1/activities/",
        {"customer": customer.pk, "kind": "task", "subject": "Call", "due_on": "2026-03-10"},
    ).json()
    assert task["assignee"] == owner.pk
    assert task["author"] == owner.pk
    done = api.patch(f"/api/v1/activities/{task['id']}/", {"done": True}).json()
    assert done["done"] is True
    assert done["done_at"]
    assert api.get("/api/v1/activities/?open_tasks=true").json()["results"] == []


def test_system_events_are_listed_but_not_logged_by_hand(api_for, owner):
    customer = CustomerFactory(owner=owner)
    Activity.objects.create(customer=customer, kind=Activity.Kind.SYSTEM, subject="Merged")
    api = api_for(owner)
    assert api.get("/api/v1/activities/").json()["results"][0]["kind"] == "system"
    refused = api.post(
        "/api/v1/activities/", {"customer": customer.pk, "kind": "system", "subject": "x"}
    )
    assert refused.status_code == 400


def test_only_tasks_are_marked_done(api_for, owner):
    note = TaskFactory(customer=CustomerFactory(owner=owner), kind=Activity.Kind.NOTE)
    response = api_for(owner).patch(f"/api/v1/activities/{note.pk}/", {"done": True})
    assert response.status_code == 400


# --- Orders ------------------------------------------------------------------------------


@pytest.fixture
def goods(owner):
    return CustomerFactory(owner=owner), ProductFactory(list_price=Decimal("100.00"))


def test_order_totals_come_from_the_service(api_for, owner, goods):
    customer, product = goods
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=Decimal("1.1"))
    response = api_for(owner).post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "ordered_on": "2026-03-01",
            "currency": "EUR",
            "lines": [
                {"product": product.pk, "quantity": 3, "unit_price": "100", "discount": "10.00"}
            ],
        },
    )
    assert response.status_code == 201
    order = response.json()
    assert (order["subtotal"], order["total"], order["total_base"]) == (
        "300.00",
        "290.00",
        "319.00",
    )
    assert order["number"].startswith("SO-")
    assert order["status"] == "placed"
    assert order["lines"][0]["unit_price"] == "100.00"


def test_order_line_errors_and_retired_products(api_for, owner, goods):
    customer, product = goods
    retired = ProductFactory(active=False)
    response = api_for(owner).post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "ordered_on": "2026-03-01",
            "lines": [
                {"product": product.pk, "quantity": 0},
                {"product": retired.pk, "quantity": 1},
            ],
        },
    )
    assert response.status_code == 400
    lines = response.json()["error"]["details"]["lines"]
    assert set(lines) == {"0", "1"}


def test_order_patch_keeps_what_is_left_out(api_for, owner, goods):
    customer, product = goods
    order = OrderFactory(customer=customer, lines=[(product, 2)], note="old")
    api = api_for(owner)
    changed = api.patch(f"/api/v1/orders/{order.pk}/", {"note": "new"}).json()
    assert (changed["note"], changed["total"], len(changed["lines"])) == ("new", "200.00", 1)
    relined = api.patch(
        f"/api/v1/orders/{order.pk}/", {"lines": [{"product": product.pk, "quantity": 5}]}
    ).json()
    assert relined["total"] == "500.00"
    assert relined["note"] == "new"


def test_status_changes_follow_the_life_cycle(api_for, owner, goods):
    customer, product = goods
    order = OrderFactory(customer=customer, lines=[(product, 1)])
    api = api_for(owner)
    assert api.post(f"/api/v1/orders/{order.pk}/status/", {"status": "paid"}).status_code == 200
    refused = api.post(f"/api/v1/orders/{order.pk}/status/", {"status": "draft"})
    assert refused.status_code == 400
    assert refused.json()["error"]["details"]["non_field_errors"]
    refund = api.post(f"/api/v1/orders/{order.pk}/refund/", {"amount": "100.00"}).json()
    assert refund["status"] == "refunded"
    assert refund["refunded_total"] == "100.00"
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED


def test_order_filters(api_for, owner, goods):
    customer, product = goods
    OrderFactory(customer=customer, lines=[(product, 1)], ordered_on=dt.date(2026, 1, 5))
    late = OrderFactory(customer=customer, lines=[(product, 1)], ordered_on=dt.date(2026, 4, 5))
    rows = api_for(owner).get("/api/v1/orders/?date_from=2026-04-01").json()["results"]
    assert [row["id"] for row in rows] == [late.pk]


def test_costs_are_converted(api_for, owner, goods):
    customer, _product = goods
    cost = (
        api_for(owner)
        .post(
            "/api/v1/customer-costs/",
            {
                "customer": customer.pk,
                "kind": "service",
                "incurred_on": "2026-03-01",
                "amount": "5",
            },
        )
        .json()
    )
    assert (cost["amount"], cost["currency"], cost["amount_base"]) == ("5.00", "USD", "5.00")


def test_products_are_written_by_admins(api_for, admin_user):
    api = api_for(admin_user)
    product = api.post(
        "/api/v1/products/",
        {"sku": "P-1", "name": "Pen", "list_price": "2.50", "unit_cost": "1.00"},
    ).json()
    assert product["list_price"] == "2.50"
    assert api.get("/api/v1/products/?search=P-1").json()["results"][0]["id"] == product["id"]
    duplicate = api.post(
        "/api/v1/products/", {"sku": "P-1", "name": "x", "list_price": "1", "unit_cost": "1"}
    )
    assert duplicate.status_code == 400
    assert "sku" in duplicate.json()["error"]["details"]


# --- Campaigns and surveys ----------------------------------------------------------------


def test_campaign_with_spend(api_for, admin_user):
    api = api_for(admin_user)
    campaign = api.post(
        "/api/v1/campaigns/",
        {"name": "Spring", "channel": "email", "starts_on": "2026-03-01", "budget": "1000"},
    ).json()
    url = f"/api/v1/campaigns/{campaign['id']}/spend-entries/"
    entry = api.post(url, {"spent_on": "2026-03-02", "amount": "250.00"}).json()
    assert entry["campaign"] == campaign["id"]
    assert [row["id"] for row in api.get(url).json()["results"]] == [entry["id"]]
    backwards = api.patch(f"/api/v1/campaigns/{campaign['id']}/", {"ends_on": "2026-01-01"})
    assert backwards.status_code == 400
    assert api.get("/api/v1/campaigns/999999/spend-entries/").status_code == 404


def test_spend_entries_belong_to_their_campaign(api_for, admin_user):
    from tests.campaigns.factories import SpendEntryFactory

    entry = SpendEntryFactory()
    other = CampaignFactory()
    url = f"/api/v1/campaigns/{other.pk}/spend-entries/{entry.pk}/"
    assert api_for(admin_user).get(url).status_code == 404


def test_survey_gets_default_wording(api_for, admin_user):
    api = api_for(admin_user)
    survey = api.post("/api/v1/surveys/", {"name": "Q3", "kind": "csat"}).json()
    assert survey["status"] == "draft"
    assert survey["question"]
    assert Survey.objects.get(pk=survey["id"]).created_by == admin_user
    nps_trigger = api.post(
        "/api/v1/surveys/", {"name": "x", "kind": "nps", "trigger_days_after_paid": 3}
    )
    assert nps_trigger.status_code == 400


def test_answers_are_scoped_to_the_reps_customers(api_for, owner, teammate):
    mine = ResponseFactory(invitation=InvitationFactory(customer=CustomerFactory(owner=owner)))
    ResponseFactory(invitation=InvitationFactory(customer=CustomerFactory(owner=teammate)), score=2)
    api = api_for(owner)
    rows = api.get("/api/v1/responses/").json()["results"]
    assert [(r["id"], r["band"]) for r in rows] == [(mine.pk, "good")]
    assert api.get("/api/v1/responses/?score_max=5").json()["results"] == []
    assert len(api.get("/api/v1/invitations/").json()["results"]) == 1
    assert "token" not in api.get("/api/v1/invitations/").json()["results"][0]


# --- Metrics -----------------------------------------------------------------------------


def test_score_filters(api_for, owner):
    high = ScoreFactory(
        customer=CustomerFactory(owner=owner), tier="A", value_score=90, churn_risk=0.8
    )
    low = ScoreFactory(customer=CustomerFactory(owner=owner), tier="C", value_score=10)
    api = api_for(owner)

    def ids(query):
        return [row["customer"] for row in api.get(f"/api/v1/scores/?{query}").json()["results"]]

    assert ids("tier=C") == [low.pk]
    assert ids("score_max=50") == [low.pk]
    assert ids("churn_risk_min=0.5") == [high.pk]
    assert ids("segment=champions") == []
    assert api.get("/api/v1/scores/?score_min=101").status_code == 400


def test_company_metrics_of_a_period(api_for, owner, goods):
    customer, product = goods
    OrderFactory(customer=customer, lines=[(product, 2)], ordered_on=dt.date(2026, 3, 1))
    api = api_for(owner)
    metrics = api.get("/api/v1/company-metrics/?start=2026-03-01&end=2026-04-01").json()
    assert metrics["revenue"] == "200.00"
    assert metrics["new_customers"] == 1
    assert metrics["spend"] is None
    assert metrics["company_figures"] is False
    assert api.get("/api/v1/company-metrics/?start=2026-04-01&end=2026-03-01").status_code == 400
    assert api.get("/api/v1/company-metrics/").status_code == 400


def test_recalculation_202_then_409_while_running(
    api_for, admin_user, django_capture_on_commit_callbacks
):
    api = api_for(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        started = api.post("/api/v1/recalculations/")
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert started["Location"].endswith(f"/api/v1/recalculations/{run_id}/")
    assert RecalcRun.objects.get(pk=run_id).trigger == RecalcRun.Trigger.API
    busy = api.post("/api/v1/recalculations/")
    assert busy.status_code == 409
    assert busy.json()["error"]["details"] == {"run": run_id}
    progress = api.get(f"/api/v1/recalculations/{run_id}/").json()
    assert (progress["status"], progress["percent"]) == ("queued", 0)


def test_model_fits_filter_by_run(api_for, manager):
    from tests.api.factories import ModelFitFactory

    fit = ModelFitFactory()
    ModelFitFactory(run=RecalcRunFactory(), kind="gamma_gamma")
    rows = api_for(manager).get(f"/api/v1/model-fits/?run={fit.run_id}").json()["results"]
    assert [row["id"] for row in rows] == [fit.pk]
    assert rows[0]["params"]["r"] == 0.24
