"""Filters a sync or BI tool expects (issue 13): ``__in`` lists (comma-separated or the
parameter repeated) and ``_min`` / ``_max`` ranges on the common fields, and
``expand=score`` so customers with their value come in one call, not one per customer.
Bad values are a 400 naming the parameter; the user's scope never widens; the number of
queries does not grow with the page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from orders.models import Order
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def _scored(owner, *, tier="B", segment="loyal", value_score=50.0, churn_risk=0.2, **fields):
    customer = CustomerFactory(owner=owner, **fields)
    ScoreFactory(
        customer=customer,
        tier=tier,
        segment=segment,
        value_score=value_score,
        churn_risk=churn_risk,
    )
    return customer


def _error(response, name):
    assert response.status_code == 400, response.content
    details = response.json()["error"]["details"]
    assert list(details) == [name], details
    return details[name]


# --- customers ------------------------------------------------------------------------------


def test_customers_by_lists_of_tier_segment_status_and_region(api_for, owner):
    a = _scored(owner, tier="A", segment="champions", region="North")
    b = _scored(owner, tier="B", segment="loyal", region="South")
    c = _scored(owner, tier="C", segment="new", region="East", status=Customer.Status.CHURNED)
    lead = CustomerFactory(owner=owner, status=Customer.Status.LEAD, region="North")
    api = api_for(owner)
    url = "/api/v1/customers/"

    assert _ids(api.get(url, {"tier__in": "A,B"})) == sorted([a.pk, b.pk])
    assert _ids(api.get(f"{url}?tier__in=A&tier__in=C")) == sorted([a.pk, c.pk])
    assert _ids(api.get(url, {"segment__in": "new, loyal"})) == sorted([b.pk, c.pk])
    assert _ids(api.get(url, {"status__in": "lead,churned"})) == sorted([c.pk, lead.pk])
    assert _ids(api.get(url, {"region__in": "North,East"})) == sorted([a.pk, c.pk, lead.pk])
    # Combined with each other and with the single-value filters.
    assert _ids(api.get(url, {"tier__in": "A,B,C", "region__in": "North"})) == [a.pk]
    assert _ids(api.get(url, {"tier__in": "A,B", "status": "active"})) == sorted([a.pk, b.pk])


def test_customers_by_score_range_and_created_period(api_for, owner):
    low = _scored(owner, value_score=10.0)
    mid = _scored(owner, value_score=50.0)
    high = _scored(owner, value_score=90.0)
    unscored = CustomerFactory(owner=owner)
    for days, customer in enumerate([low, mid, high, unscored]):
        Customer.objects.filter(pk=customer.pk).update(created_at=T0 + dt.timedelta(days=days))
    api = api_for(owner)
    url = "/api/v1/customers/"

    assert _ids(api.get(url, {"score_min": 50})) == sorted([mid.pk, high.pk])
    assert _ids(api.get(url, {"score_max": 50})) == sorted([low.pk, mid.pk])
    assert _ids(api.get(url, {"score_min": 20, "score_max": 60})) == [mid.pk]
    # [created_since, created_before): the end is exclusive.
    period = {"created_since": "2026-03-02T09:00:00Z", "created_before": "2026-03-04T09:00:00Z"}
    assert _ids(api.get(url, period)) == sorted([mid.pk, high.pk])
    assert _ids(api.get(url, {"created_before": "2026-03-01T09:00:00Z"})) == []


def test_customers_by_owners(api_for, owner, teammate, manager):
    mine = CustomerFactory(owner=owner)
    theirs = CustomerFactory(owner=teammate)
    CustomerFactory(owner=manager)
    url = "/api/v1/customers/"
    both = {"owner__in": f"{owner.pk},{teammate.pk}"}

    assert _ids(api_for(manager).get(url, both)) == sorted([mine.pk, theirs.pk])
    # A rep asking for another rep's customers gets none of them, only their own.
    assert _ids(api_for(owner).get(url, both)) == [mine.pk]
    assert _ids(api_for(owner).get(url, {"owner__in": str(teammate.pk)})) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tier__in", "A,Z"),
        ("tier__in", ""),
        ("tier__in", ","),
        ("segment__in", "loyal,vip"),
        ("status__in", "active;lead"),
        ("owner__in", "1,abc"),
        ("owner__in", "0"),
        ("owner__in", "99999999999999999999999"),
        ("owner__in", ",".join(str(n) for n in range(1, 102))),
        ("score_min", "high"),
        ("score_max", "101"),
        ("created_before", "yesterday"),
        ("expand", "orders"),
        ("expand", "score,contacts"),
    ],
)
def test_a_bad_customer_filter_is_a_400_naming_it(api_for, owner, name, value):
    CustomerFactory(owner=owner)
    messages = _error(api_for(owner).get("/api/v1/customers/", {name: value}), name)
    assert messages
    assert all(isinstance(message, str) for message in messages)


def test_the_bad_value_is_in_the_message(api_for, owner):
    messages = _error(api_for(owner).get("/api/v1/customers/", {"tier__in": "A,Z"}), "tier__in")
    assert messages == ['"Z" is not a valid choice.']


def test_the_same_lists_through_an_api_key_in_chinese(api_for, owner):
    # Errors stay under the parameter's name whatever the language (messages are gettext).
    response = api_for(owner).get(
        "/api/v1/customers/", {"status__in": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    _error(response, "status__in")


# --- expand=score ---------------------------------------------------------------------------


def test_expand_score_embeds_the_score_in_the_list_and_the_detail(api_for, owner):
    scored = _scored(owner, tier="A", segment="champions", value_score=91.5, churn_risk=0.6)
    unscored = CustomerFactory(owner=owner)
    api = api_for(owner)

    plain = api.get("/api/v1/customers/").json()["results"]
    assert all("score" not in row for row in plain)

    rows = {
        row["id"]: row
        for row in api.get("/api/v1/customers/", {"expand": "score"}).json()["results"]
    }
    score = rows[scored.pk]["score"]
    assert score["tier"] == "A"
    assert score["segment"] == "champions"
    assert score["value_score"] == 91.5
    assert score["churn_risk"] == 0.6
    assert {"as_of", "computed_at", "predicted_clv"} <= set(score)
    assert rows[unscored.pk]["score"] is None

    detail = api.get(f"/api/v1/customers/{scored.pk}/", {"expand": "score"}).json()
    assert detail["score"] == score
    assert "score" not in api.get(f"/api/v1/customers/{scored.pk}/").json()
    assert api.get(f"/api/v1/customers/{unscored.pk}/?expand=score").json()["score"] is None


def test_expand_with_filters_and_an_unknown_value_on_the_detail(api_for, owner):
    a = _scored(owner, tier="A")
    _scored(owner, tier="C")
    api = api_for(owner)
    rows = api.get("/api/v1/customers/", {"expand": "score", "tier__in": "A"}).json()["results"]
    assert [(row["id"], row["score"]["tier"]) for row in rows] == [(a.pk, "A")]
    _error(api.get(f"/api/v1/customers/{a.pk}/", {"expand": "tags"}), "expand")


def test_a_write_answer_does_not_expand(api_for, owner):
    response = api_for(owner).post("/api/v1/customers/", {"name": "New"}, format="json")
    assert response.status_code == 201
    assert "score" not in response.json()


def _queries(api, url, params):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_expand_score_costs_no_query_per_customer(api_for, owner, django_assert_num_queries):
    api = api_for(owner)
    url = "/api/v1/customers/"
    params = {"expand": "score", "page_size": 100}
    _scored(owner)
    api.get(url, params)  # warm: the key's last use, caches
    one = _queries(api, url, params)
    for _ in range(49):
        _scored(owner)
    with django_assert_num_queries(one):
        response = api.get(url, params)
    assert len(response.json()["results"]) == 50
    assert all(row["score"]["value_score"] == 50.0 for row in response.json()["results"])
    # And expanding costs no query at all over the plain list.
    assert _queries(api, url, {"page_size": 100}) == one


def test_expand_score_on_the_detail_costs_no_query(api_for, owner, django_assert_num_queries):
    customer = _scored(owner)
    api = api_for(owner)
    url = f"/api/v1/customers/{customer.pk}/"
    api.get(url)
    plain = _queries(api, url, {})
    with django_assert_num_queries(plain):
        api.get(url, {"expand": "score"})


def test_filters_cost_no_query_per_row(
    api_for, owner, teammate, manager, django_assert_num_queries
):
    api = api_for(manager)
    url = "/api/v1/customers/"
    params = {
        "tier__in": "A,B",
        "owner__in": f"{owner.pk},{teammate.pk}",
        "status__in": "active",
        "score_min": 1,
        "expand": "score",
    }
    _scored(owner, tier="A")
    api.get(url, params)
    one = _queries(api, url, params)
    for i in range(20):
        _scored(owner if i % 2 else teammate, tier="AB"[i % 2])
    with django_assert_num_queries(one):
        assert len(api.get(url, params).json()["results"]) == 21


def test_order_and_score_filters_cost_no_query_per_row(
    api_for, owner, manager, django_assert_num_queries
):
    api = api_for(manager)
    customer = _scored(owner, tier="A")
    OrderFactory(customer=customer, total="50.00")
    lists = {
        "/api/v1/orders/": {"status__in": "paid,placed", "owner__in": owner.pk, "total_min": 1},
        "/api/v1/scores/": {"tier__in": "A,B", "owner__in": owner.pk, "segment__in": "loyal"},
    }
    counts = {}
    for url, params in lists.items():
        api.get(url, params)
        counts[url] = _queries(api, url, params)
    for _ in range(10):
        OrderFactory(customer=_scored(owner, tier="B"), total="50.00")
    for url, params in lists.items():
        with django_assert_num_queries(counts[url]):
            assert len(api.get(url, params).json()["results"]) == 11, url


# --- orders ---------------------------------------------------------------------------------


def test_orders_by_status_customer_owner_and_total(api_for, owner, teammate, manager):
    first, second = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    other = CustomerFactory(owner=teammate)
    small = OrderFactory(customer=first, total="10.00", status=Order.Status.PAID)
    big = OrderFactory(customer=second, total="500.00", status=Order.Status.CANCELLED)
    placed = OrderFactory(customer=first, total="100.00", status=Order.Status.PLACED)
    theirs = OrderFactory(customer=other, total="100.00", status=Order.Status.PAID)
    api = api_for(owner)
    url = "/api/v1/orders/"

    assert _ids(api.get(url, {"status__in": "paid,cancelled"})) == sorted([small.pk, big.pk])
    assert _ids(api.get(url, {"customer__in": f"{second.pk},{first.pk}"})) == sorted(
        [small.pk, big.pk, placed.pk]
    )
    assert _ids(api.get(url, {"total_min": "100", "total_max": "500.00"})) == sorted(
        [big.pk, placed.pk]
    )
    assert _ids(api.get(url, {"total_max": "99.99"})) == [small.pk]
    # The date range was there already: date_from / date_to, inclusive.
    assert len(_ids(api.get(url, {"date_from": "2026-03-01", "date_to": "2026-03-01"}))) == 3

    # Scoping: another rep's customer or owner id finds nothing of theirs.
    assert _ids(api.get(url, {"customer__in": str(other.pk)})) == []
    assert _ids(api.get(url, {"owner__in": str(teammate.pk)})) == []
    everyone = api_for(manager).get(url, {"owner__in": f"{teammate.pk}"})
    assert _ids(everyone) == [theirs.pk]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status__in", "paid,shipped"),
        ("customer__in", "x"),
        ("owner__in", "-1"),
        ("total_min", "ten"),
        ("total_max", "NaN"),
        ("total_min", "1e400"),
    ],
)
def test_a_bad_order_filter_is_a_400_naming_it(api_for, owner, name, value):
    _error(api_for(owner).get("/api/v1/orders/", {name: value}), name)


# --- scores ---------------------------------------------------------------------------------


def test_scores_by_lists_and_ranges(api_for, owner, teammate, manager):
    a = _scored(owner, tier="A", segment="champions", value_score=90.0, churn_risk=0.1)
    b = _scored(owner, tier="B", segment="loyal", value_score=50.0, churn_risk=0.5)
    c = _scored(teammate, tier="C", segment="new", value_score=10.0, churn_risk=0.9)
    api = api_for(owner)
    url = "/api/v1/scores/"

    def customers(response):
        assert response.status_code == 200, response.content
        return sorted(row["customer"] for row in response.json()["results"])

    assert customers(api.get(url, {"tier__in": "A,C"})) == [a.pk]  # c is not the rep's
    assert customers(api.get(url, {"segment__in": "loyal,champions"})) == sorted([a.pk, b.pk])
    assert customers(api.get(url, {"score_min": 40, "score_max": 60})) == [b.pk]
    assert customers(api.get(url, {"churn_risk_min": 0.3})) == [b.pk]
    assert customers(api.get(url, {"owner__in": str(teammate.pk)})) == []
    managed = api_for(manager).get(url, {"tier__in": "A,C", "owner__in": str(teammate.pk)})
    assert customers(managed) == [c.pk]


@pytest.mark.parametrize(
    ("name", "value"),
    [("tier__in", "D"), ("segment__in", "loyal,,x"), ("owner__in", "1.5")],
)
def test_a_bad_score_filter_is_a_400_naming_it(api_for, owner, name, value):
    _error(api_for(owner).get("/api/v1/scores/", {name: value}), name)


# --- the schema -----------------------------------------------------------------------------


def _parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def test_the_schema_documents_the_filters_and_expand(api_for, owner):
    schema = api_for(owner).get("/api/schema/?format=json").json()

    customers = _parameters(schema, "/api/v1/customers/")
    for name in ("tier__in", "segment__in", "status__in", "owner__in", "region__in", "expand"):
        parameter = customers[name]
        assert parameter["schema"]["type"] == "array", name
        assert parameter["explode"] is False, name
        assert parameter["style"] == "form", name
        assert parameter.get("description"), name
    assert customers["tier__in"]["schema"]["items"]["enum"] == ["A", "B", "C"]
    assert customers["expand"]["schema"]["items"]["enum"] == ["score"]
    assert {"score_min", "score_max", "created_before", "created_since"} <= set(customers)
    assert set(_parameters(schema, "/api/v1/customers/{id}/")) == {"expand", "fields"}

    orders = _parameters(schema, "/api/v1/orders/")
    assert {"status__in", "customer__in", "owner__in", "total_min", "total_max"} <= set(orders)
    scores = _parameters(schema, "/api/v1/scores/")
    assert {"tier__in", "segment__in", "owner__in", "score_min", "churn_risk_max"} <= set(scores)

    customer = schema["components"]["schemas"]["Customer"]
    assert "score" in customer["properties"]
    assert "score" not in customer["required"]
    assert "id" in customer["required"]
    assert "score" not in schema["components"]["schemas"].get("CustomerRequest", {}).get(
        "properties", {}
    )


def test_an_unknown_parameter_lists_the_new_ones(api_for, owner):
    response = api_for(owner).get("/api/v1/customers/", {"tier_in": "A"})
    message = _error(response, "tier_in")[0]
    for name in ("tier__in", "expand", "score_min", "created_before"):
        assert name in message


def test_total_range_takes_decimals(api_for, owner):
    customer = CustomerFactory(owner=owner)
    order = OrderFactory(customer=customer, total="10.50")
    api = api_for(owner)
    assert _ids(api.get("/api/v1/orders/", {"total_min": Decimal("10.50")})) == [order.pk]
    assert _ids(api.get("/api/v1/orders/", {"total_min": "10.51"})) == []
