"""metric-settings/: the value model settings, read by managers, changed by admins, with the
"score as of" choice that recalculations started through the API follow."""

import datetime as dt

import pytest

from metrics.models import MetricSettings, RecalcRun
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

URL = "/api/v1/metric-settings/"


@pytest.mark.parametrize(
    ("who", "read", "change"),
    [("owner", 403, 403), ("manager", 200, 403), ("admin_user", 200, 200)],
)
def test_who_may_read_and_change_the_settings(
    request, api_for, who, read, change, django_capture_on_commit_callbacks
):
    api = api_for(request.getfixturevalue(who))
    assert api.get(URL).status_code == read
    with django_capture_on_commit_callbacks(execute=False):
        assert api.patch(URL, {"horizon_months": 24}, format="json").status_code == change


def test_the_settings_read_live_by_default(api_for, manager):
    body = api_for(manager).get(URL).json()
    assert (body["as_of_mode"], body["as_of_date"]) == ("live", None)
    assert body["weight_historical"] == "0.350000"


def test_a_fixed_date_queues_a_run_as_of_it(
    api_for, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = api_for(admin_user).patch(
            URL, {"as_of_mode": "fixed", "as_of_date": "1998-06-30"}, format="json"
        )
    assert response.status_code == 200
    assert (response.json()["as_of_mode"], response.json()["as_of_date"]) == (
        "fixed",
        "1998-06-30",
    )
    assert RecalcRun.objects.get().as_of == dt.date(1998, 6, 30)
    assert MetricSettings.load().updated_by == admin_user


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"as_of_mode": "fixed"}, "as_of_date", "Give the date to score as of."),
        (
            {"as_of_mode": "fixed", "as_of_date": "9999-12-31"},
            "as_of_date",
            "The as-of date cannot be in the future.",
        ),
        ({"as_of_date": "1800-01-01"}, "as_of_date", "greater than or equal to 1900-01-01"),
        ({"as_of_mode": "yesterday"}, "as_of_mode", "is not a valid choice"),
    ],
)
def test_bad_as_of_settings_are_a_400(api_for, admin_user, body, field, message):
    response = api_for(admin_user).patch(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert message in " ".join(error["details"][field])
    assert MetricSettings.load().as_of_mode == "live"
    assert not RecalcRun.objects.exists()


def test_a_recalculation_started_through_the_api_follows_the_setting(
    api_for, manager, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    OrderFactory(customer=customer, ordered_on=dt.date(1998, 6, 30), total="10.00")
    settings = MetricSettings.load()
    settings.as_of_mode = MetricSettings.AsOf.LAST_ORDER
    settings.save()
    with django_capture_on_commit_callbacks(execute=False):
        response = api_for(manager).post("/api/v1/recalculations/")
    assert response.status_code == 202
    assert response.json()["as_of"] == "1998-06-30"
