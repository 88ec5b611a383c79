"""The query string is strict: an unknown parameter is a 400 naming it, never silently
ignored (issue 13: ``orders/?updated_since=…``, ``tier__in``, ``fields``, ``expand`` returned
everything); and ``created_since`` / ``updated_since`` on every collection that keeps those
times, a sync paging through the changes by (updated_at, id)."""

import datetime as dt
import itertools
import re

import pytest
from django.utils import timezone

from api.urls import router
from customers.models import Customer
from metrics.models import CustomerScore
from orders.models import Order
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _list_urls(world):
    """Every list route of the router, and the two collections outside it."""
    for prefix, _viewset, _basename in router.registry:
        yield "/api/v1/" + prefix.replace(r"(?P<campaign_pk>\d+)", str(world.campaign.pk)) + "/"
    yield "/api/v1/metric-settings/"


def _allowed(response):
    """The parameters a 400 for an unknown one says the endpoint takes."""
    message = next(iter(response.json()["error"]["details"].values()))[0]
    if message.endswith("takes none."):
        return set()
    return set(re.search(r"takes: (.*)\.$", message).group(1).split(", "))


def _documented(schema, url):
    for path, operations in schema["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", path)
        if re.fullmatch(pattern, url) and "get" in operations:
            parameters = operations["get"].get("parameters", [])
            return {p["name"] for p in parameters if p["in"] == "query"}
    raise AssertionError(f"{url} is not in the schema")


def test_every_list_refuses_an_unknown_parameter_and_takes_what_it_documents(
    api_for, admin_user, world
):
    api = api_for(admin_user)
    schema = api.get("/api/schema/?format=json").json()
    urls = list(_list_urls(world))
    assert len(urls) == len(router.registry) + 1
    for url in urls:
        # (expand and tier__in were the examples; customers and scores take them now.)
        response = api.get(url, {"colour": "red", "colour__in": "red,blue"})
        assert response.status_code == 400, url
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert set(error["details"]) == {"colour", "colour__in"}, url
        assert _allowed(response) == _documented(schema, url), url


def test_every_detail_refuses_any_parameter(api_for, admin_user, world):
    api = api_for(admin_user)
    for prefix, viewset, _basename in router.registry:
        if not hasattr(viewset, "retrieve"):
            continue
        base = prefix.replace(r"(?P<campaign_pk>\d+)", str(world.campaign.pk))
        response = api.get(f"/api/v1/{base}/1/", {"colour": "red"})
        assert response.status_code == 400, prefix
        # Every detail selects fields; a customer may also embed its score (expand=score).
        allowed = {"fields", "expand"} if prefix == "customers" else {"fields"}
        assert _allowed(response) == allowed, prefix
    deliveries = api.get(f"/api/v1/webhooks/{world.webhook.pk}/deliveries/", {"since": "x"})
    assert deliveries.status_code == 400
    assert _allowed(deliveries) == {"cursor", "ordering", "page_size", "status"}


def test_the_named_parameter_is_in_the_message(api_for, owner):
    response = api_for(owner).get("/api/v1/orders/?updated_sinse=2026-01-01T00:00:00Z")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert list(details) == ["updated_sinse"]
    assert "updated_since" in details["updated_sinse"][0]


def test_a_write_refuses_query_parameters_too(api_for, owner):
    response = api_for(owner).post("/api/v1/customers/?dry_run=1", {"name": "A"}, format="json")
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_the_documented_parameters_still_work(api_for, owner):
    CustomerFactory(owner=owner, name="Acme")
    api = api_for(owner)
    for query in ("search=acme&page_size=5&ordering=name", "status=active&tier=A"):
        assert api.get(f"/api/v1/customers/?{query}").status_code == 200, query


# --- created_since / updated_since ----------------------------------------------------------


def _at(model, row, **times):
    model.objects.filter(pk=row.pk).update(**times)  # auto_now would overwrite a save


def _walk(api, url):
    pages = []
    while url:
        body = api.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    return pages


def test_updated_since_pages_through_the_changes_oldest_first(api_for, owner):
    customers = CustomerFactory.create_batch(6, owner=owner)
    minutes = [5, -10, 1, 1, 3, 1]  # three changed in the same instant
    for customer, minute in zip(customers, minutes, strict=True):
        _at(Customer, customer, updated_at=T0 + dt.timedelta(minutes=minute))
    api = api_for(owner)

    pages = _walk(api, "/api/v1/customers/?updated_since=2026-03-01T09:00:00Z&page_size=2")

    changed = sorted((m, c.pk) for c, m in zip(customers, minutes, strict=True) if m >= 0)
    assert list(itertools.chain(*pages)) == [pk for _minute, pk in changed]
    assert [len(page) for page in pages] == [2, 2, 1]


def test_a_row_changed_while_paging_comes_again_at_the_end(api_for, owner):
    customers = CustomerFactory.create_batch(4, owner=owner)
    for i, customer in enumerate(customers):
        _at(Customer, customer, updated_at=T0 + dt.timedelta(minutes=i))
    api = api_for(owner)
    first = api.get("/api/v1/customers/?updated_since=2026-03-01T09:00:00Z&page_size=2").json()
    assert [row["id"] for row in first["results"]] == [customers[0].pk, customers[1].pk]
    _at(Customer, customers[0], updated_at=T0 + dt.timedelta(hours=1))
    rest = _walk(api, first["next"])
    assert list(itertools.chain(*rest)) == [customers[2].pk, customers[3].pk, customers[0].pk]


def test_created_since_and_a_time_zone_offset(api_for, owner):
    old, new = CustomerFactory.create_batch(2, owner=owner)
    _at(Customer, old, created_at=T0 - dt.timedelta(days=1))
    _at(Customer, new, created_at=T0)
    api = api_for(owner)
    # 10:00 at +01:00 is 09:00Z ("+" encoded, as in any query string).
    rows = api.get("/api/v1/customers/?created_since=2026-03-01T10:00:00%2B01:00").json()
    assert [row["id"] for row in rows["results"]] == [new.pk]


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "1"]
)
def test_a_malformed_moment_is_a_400(api_for, owner, value):
    response = api_for(owner).get("/api/v1/orders/", {"updated_since": value})
    assert response.status_code == 400
    assert "updated_since" in response.json()["error"]["details"]


def test_orders_changed_since(api_for, owner):
    customer = CustomerFactory(owner=owner)
    old, changed = OrderFactory(customer=customer), OrderFactory(customer=customer)
    _at(Order, old, updated_at=T0 - dt.timedelta(days=1), created_at=T0 - dt.timedelta(days=9))
    _at(Order, changed, updated_at=T0, created_at=T0 - dt.timedelta(days=9))
    api = api_for(owner)
    updated = api.get("/api/v1/orders/?updated_since=2026-03-01T09:00:00Z").json()["results"]
    assert [row["id"] for row in updated] == [changed.pk]
    assert api.get("/api/v1/orders/?created_since=2026-03-01T00:00:00Z").json()["results"] == []


def test_an_explicit_ordering_wins_over_the_sync_order(api_for, owner):
    customer = CustomerFactory(owner=owner)
    orders = [OrderFactory(customer=customer) for _ in range(3)]
    for i, order in enumerate(orders):
        _at(Order, order, updated_at=T0 + dt.timedelta(minutes=i))
    rows = (
        api_for(owner)
        .get("/api/v1/orders/?updated_since=2026-03-01T09:00:00Z&ordering=-updated_at")
        .json()["results"]
    )
    assert [row["id"] for row in rows] == [o.pk for o in reversed(orders)]


def test_scores_recalculated_since(api_for, owner):
    stale = ScoreFactory(customer=CustomerFactory(owner=owner))
    fresh = ScoreFactory(customer=CustomerFactory(owner=owner))
    CustomerScore.objects.filter(pk=stale.pk).update(computed_at=T0 - dt.timedelta(days=1))
    CustomerScore.objects.filter(pk=fresh.pk).update(computed_at=T0)
    rows = api_for(owner).get("/api/v1/scores/?updated_since=2026-03-01T09:00:00Z").json()
    assert [row["customer"] for row in rows["results"]] == [fresh.customer_id]


def test_created_since_on_a_page_numbered_list(api_for, owner):
    from customers.models import Contact
    from tests.factories import ContactFactory

    customer = CustomerFactory(owner=owner)
    old, new = ContactFactory(customer=customer), ContactFactory(customer=customer)
    _at(Contact, old, created_at=T0 - dt.timedelta(days=1))
    _at(Contact, new, created_at=timezone.now())
    rows = api_for(owner).get("/api/v1/contacts/?created_since=2026-03-01T09:00:00Z").json()
    assert [row["id"] for row in rows["results"]] == [new.pk]


def test_a_merge_counts_as_a_change_of_what_it_moves(api_for, owner, manager):
    from customers.services import customer_merge

    survivor, duplicate = CustomerFactory.create_batch(2, owner=owner)
    referred = CustomerFactory(owner=owner, referred_by=duplicate)
    order = OrderFactory(customer=duplicate)
    _at(Order, order, updated_at=T0 - dt.timedelta(days=1))
    _at(Customer, referred, updated_at=T0 - dt.timedelta(days=1))
    since = timezone.now().isoformat()

    customer_merge(user=None, survivor=survivor, duplicate=duplicate)  # the system

    api = api_for(manager)
    orders = api.get("/api/v1/orders/", {"updated_since": since}).json()["results"]
    assert [row["id"] for row in orders] == [order.pk]
    customers = api.get("/api/v1/customers/", {"updated_since": since}).json()["results"]
    assert referred.pk in [row["id"] for row in customers]
