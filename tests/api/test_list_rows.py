"""The API's lists write their rows without DRF's per-field walk (api/serializers/rows.py):
every list endpoint answers byte for byte what DRF's own ListSerializer answers, for
objects made by every path, in two time zones, with ``fields`` and ``expand``; and each
conversion equals the field's own ``to_representation`` for any value."""

import datetime as dt
import decimal
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from api.serializers.rows import RowListSerializer, converter
from api.urls import router
from metrics import services as metrics_services
from tests.api.factories import DeliveryFactory
from tests.crm.test_creation_paths import (
    AS_OF,
    _created_by_an_import,
    _created_by_pages,
    _created_by_the_api,
    _created_by_the_crm_itself,
    _created_by_the_demo_loader,
)
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

# Every list of the API; {campaign} and {webhook} are filled in with real ids.
LISTS = [
    "customers/",
    "customers/?expand=score",
    "customers/?fields=id,tags,score,owner&expand=score",
    "contacts/",
    "activities/",
    "products/",
    "orders/",
    "orders/?fields=number,lines,total",
    "customer-costs/",
    "campaigns/",
    "campaigns/{campaign}/spend-entries/",
    "surveys/",
    "invitations/",
    "responses/",
    "scores/",
    "scores/?ordering=-value_score",
    "recalculations/",
    "model-fits/",
    "webhooks/",
    "webhooks/{webhook}/deliveries/",
    "jobs/",
    "events/",
    "deletions/",
]


# Its "list" answers one object, the company's figures.
NOT_A_LIST = "company-metrics"


def _list_endpoints():
    return [
        (prefix, viewset)
        for prefix, viewset, _basename in router.registry
        if hasattr(viewset, "list") and prefix != NOT_A_LIST
    ]


def test_every_list_endpoint_is_checked_here():
    listed = {
        prefix.replace("(?P<campaign_pk>\\d+)", "{campaign}") for prefix, _ in _list_endpoints()
    }
    assert listed == {path.split("?")[0].rstrip("/") for path in LISTS if "/deliveries" not in path}


def test_every_list_endpoints_rows_are_written_by_the_row_writer():
    for _prefix, viewset in _list_endpoints():
        assert viewset.serializer_class.Meta.list_serializer_class is RowListSerializer, viewset


@pytest.fixture
def made_by_every_path(db, client_for, owner, manager, admin_user, world):
    product = ProductFactory()
    _created_by_pages(client_for(owner), product)
    _created_by_the_api(client_for(owner), product)
    _created_by_an_import(owner)
    _created_by_the_demo_loader()
    _created_by_the_crm_itself()
    metrics_services.full_run_sync(as_of=AS_OF)
    DeliveryFactory(webhook=world.webhook)
    api = client_for(admin_user)
    doomed = CustomerFactory(owner=owner, external_id="GONE-1")
    assert api.delete(f"/api/v1/customers/{doomed.pk}/").status_code == 204
    order = {"customer": world.customer.pk, "ordered_on": "2026-10-04", "lines": []}
    order["lines"] = [{"product": product.pk, "quantity": 3, "unit_price": "1.5"}]
    job = api.post("/api/v1/orders/bulk/?async=true", {"orders": [order]}, "application/json")
    assert job.status_code == 202, job.content
    return world


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"])
def test_each_list_answers_what_drfs_own_list_serializer_answers(
    made_by_every_path, client_for, owner, manager, admin_user, settings, monkeypatch, zone
):
    settings.TIME_ZONE = zone
    world = made_by_every_path
    paths = [
        "/api/v1/" + path.format(campaign=world.campaign.pk, webhook=world.webhook.pk)
        for path in LISTS
    ]
    answers = {}
    for own in (True, False):
        if not own:
            monkeypatch.setattr(
                RowListSerializer, "to_representation", serializers.ListSerializer.to_representation
            )
        for user in (admin_user, manager, owner):
            client = client_for(user)
            for path in paths:
                response = client.get(path)
                answers.setdefault((user.username, path), []).append(
                    (response.status_code, response.content)
                )
    rows = 0
    for (username, path), (ours, drfs) in answers.items():
        assert ours == drfs, (username, path)
        if ours[0] == 200:
            rows += len(response_rows(ours[1]))
    assert rows > 200  # the lists were not empty


def response_rows(content):
    return json.loads(content)["results"]


def test_a_customers_page_is_written_by_the_row_writer(client_for, manager, world, monkeypatch):
    calls = []
    real = RowListSerializer.to_representation
    monkeypatch.setattr(
        RowListSerializer,
        "to_representation",
        lambda self, data: calls.append(1) or real(self, data),
    )
    response = client_for(manager).get(reverse("api:customer-list"))
    assert response.status_code == 200
    assert response.json()["results"]
    assert calls


# --- Each conversion against the field's own ---------------------------------------------

ZONES = ["UTC", "Asia/Shanghai", "America/St_Johns", "Pacific/Chatham"]


def _same(field, value):
    fast = converter(field)
    try:
        expected = ("ok", field.to_representation(value))
    except Exception as error:  # noqa: BLE001 (the same failure either way)
        expected = ("error", type(error))
    try:
        got = ("ok", fast(value))
    except Exception as error:  # noqa: BLE001
        got = ("error", type(error))
    assert got == expected, (field, value)


decimals = st.one_of(
    st.integers(0, 6).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(-(10**14), 10**14),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@given(
    value=decimals,
    max_digits=st.one_of(st.none(), st.integers(1, 20)),
    places=st.one_of(st.none(), st.integers(0, 6)),
    rounding=st.sampled_from([None, decimal.ROUND_HALF_UP, decimal.ROUND_DOWN]),
    coerce=st.sampled_from([None, True, False]),
)
@settings(max_examples=400, deadline=None)
def test_a_decimal_converts_as_drfs_decimal_field(value, max_digits, places, rounding, coerce):
    field = serializers.DecimalField(
        max_digits=max_digits, decimal_places=places, rounding=rounding, coerce_to_string=coerce
    )
    _same(field, value)


@given(value=st.dates(), formatted=st.sampled_from([None, "iso-8601", "%d/%m/%Y"]))
@settings(max_examples=100, deadline=None)
def test_a_date_converts_as_drfs_date_field(value, formatted):
    kwargs = {} if formatted is None else {"format": formatted}
    _same(serializers.DateField(**kwargs), value)


EARLIEST = dt.datetime(1, 1, 2)  # noqa: DTZ001 (naive, and made aware by the strategy)
LATEST = dt.datetime(9999, 12, 30)  # noqa: DTZ001


@given(
    value=st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.none())
    | st.datetimes(
        min_value=EARLIEST,
        max_value=LATEST,
        timezones=st.sampled_from([zoneinfo.ZoneInfo(z) for z in ZONES] + [dt.UTC]),
    ),
    zone=st.sampled_from(ZONES),
    field_zone=st.sampled_from([None, "UTC", "Asia/Kolkata"]),
    formatted=st.sampled_from([None, "iso-8601", "%Y-%m-%d %H:%M"]),
)
@settings(max_examples=300, deadline=None)
def test_a_datetime_converts_as_drfs_datetime_field(value, zone, field_zone, formatted):
    kwargs = {} if formatted is None else {"format": formatted}
    if field_zone is not None:
        kwargs["default_timezone"] = zoneinfo.ZoneInfo(field_zone)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        _same(serializers.DateTimeField(**kwargs), value)


@given(value=st.one_of(st.text(), st.integers(), st.booleans(), st.floats(allow_nan=False)))
def test_text_and_whole_numbers_convert_as_drfs_fields(value):
    _same(serializers.CharField(), value)
    _same(serializers.EmailField(), value)
    if not isinstance(value, str) or value.strip().lstrip("-").isdigit():
        _same(serializers.IntegerField(), value)
        for coerce in (None, True, False):
            _same(serializers.BigIntegerField(coerce_to_string=coerce), value)
    _same(serializers.ChoiceField(choices=[("a", "A"), (1, "One")]), value)


def test_each_order_on_a_list_page_is_the_order_its_own_page_shows(
    made_by_every_path, client_for, manager, owner
):
    for user, at_least in ((manager, 10), (owner, 3)):
        client = client_for(user)
        listed = client.get("/api/v1/orders/", {"page_size": 100}).json()["results"]
        assert len(listed) >= at_least
        assert any(len(order["lines"]) > 1 for order in listed) or user == owner
        for order in listed:
            assert client.get(f"/api/v1/orders/{order['id']}/").json() == order
            assert [line["id"] for line in order["lines"]] == sorted(
                line["id"] for line in order["lines"]
            )
