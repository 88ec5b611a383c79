"""Large bulk requests become jobs: 202 with a job to poll, all or nothing, idempotent by
key and by task delivery, visible to their creator (and staff) only."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from api import bulk
from api.jobs import BulkJob
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

URL = "/api/v1/orders/bulk/"


@pytest.fixture
def items(owner):
    customer, product = CustomerFactory(owner=owner), ProductFactory()
    return [
        {
            "customer": customer.pk,
            "ordered_on": "2026-03-01",
            "lines": [{"product": product.pk, "quantity": 1 + i % 3}],
        }
        for i in range(5)
    ]


def _post(client, body, *, on_commit, query="?async=true", **headers):
    with on_commit(execute=True):
        return client.post(f"{URL}{query}", body, format="json", headers=headers)


def test_a_large_request_answers_202_with_a_job_that_creates_the_orders(
    api_for, owner, items, settings, django_capture_on_commit_callbacks
):
    settings.API_BULK_ASYNC_ITEMS = 3
    client = api_for(owner)
    response = _post(
        client, {"orders": items}, on_commit=django_capture_on_commit_callbacks, query=""
    )

    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == job["url"]
    assert job["url"].endswith(f"/api/v1/jobs/{job['id']}/")
    assert (job["kind"], job["status"]) == ("orders.bulk", "queued")
    assert job["progress"] == {"processed": 0, "total": 5}

    polled = client.get(job["url"]).json()
    assert polled["status"] == "succeeded"
    assert polled["progress"] == {"processed": 5, "total": 5}
    assert polled["errors"] == []
    assert polled["ids"] == list(Order.objects.order_by("pk").values_list("pk", flat=True))
    assert len(polled["ids"]) == 5


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        ("?async=true", {}, 202),
        ("", {"Prefer": "respond-async"}, 202),
        ("", {}, 201),
        ("?async=false", {"Prefer": "respond-async"}, 201),
    ],
)
def test_asking_for_a_job(api_for, owner, items, query, headers, expected):
    response = api_for(owner).post(
        f"{URL}{query}", {"orders": items}, format="json", headers=headers
    )
    assert response.status_code == expected


@pytest.mark.parametrize(("query", "named"), [("?async=maybe", "async"), ("?other=1", "other")])
def test_async_is_a_boolean_and_the_only_parameter(api_for, owner, items, query, named):
    response = api_for(owner).post(f"{URL}{query}", {"orders": items}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [named]
    assert not BulkJob.objects.exists()


def test_a_job_with_invalid_items_fails_with_every_error_and_writes_nothing(
    api_for, owner, items, django_capture_on_commit_callbacks
):
    items[1]["lines"][0]["product"] = 999999
    items[3]["ordered_on"] = "not a date"
    items[4]["number"] = "DUP"
    items[2]["number"] = "DUP"
    client = api_for(owner)
    job = _post(client, {"orders": items}, on_commit=django_capture_on_commit_callbacks).json()

    polled = client.get(job["url"]).json()
    assert polled["status"] == "failed"
    assert polled["ids"] == []
    assert [(e["index"], e["field"]) for e in polled["errors"]] == [
        (1, "lines.0.product"),
        (3, "ordered_on"),
    ]
    assert polled["errors"][0]["message"] == 'Invalid pk "999999" - object does not exist.'
    assert not Order.objects.exists()

    # The items the serializer accepts may still fail in the service: all reported.
    items[1]["lines"][0]["product"] = items[0]["lines"][0]["product"]
    items[3]["ordered_on"] = "2026-03-01"
    job = _post(client, {"orders": items}, on_commit=django_capture_on_commit_callbacks).json()
    polled = client.get(job["url"]).json()
    assert polled["status"] == "failed"
    assert polled["errors"] == [
        {
            "index": 4,
            "field": "number",
            "message": "Order number DUP is already taken; choose another.",
        }
    ]
    assert not Order.objects.exists()


def test_the_same_idempotency_key_returns_the_same_job(
    api_for, owner, items, django_capture_on_commit_callbacks
):
    client = api_for(owner)
    first = _post(
        client,
        {"orders": items},
        on_commit=django_capture_on_commit_callbacks,
        **{"Idempotency-Key": "k1"},
    )
    again = _post(
        client,
        {"orders": items},
        on_commit=django_capture_on_commit_callbacks,
        **{"Idempotency-Key": "k1"},
    )

    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert BulkJob.objects.count() == 1
    assert Order.objects.count() == 5


def test_a_task_delivered_twice_creates_the_orders_once(api_for, owner, items):
    with mock.patch("api.bulk.enqueue_on_commit"):
        job = api_for(owner).post(f"{URL}?async=true", {"orders": items}, format="json").json()

    assert bulk.job_run(job_id=job["id"]) == BulkJob.Status.SUCCEEDED
    assert bulk.job_run(job_id=job["id"]) is None
    assert Order.objects.count() == 5


def test_a_job_whose_worker_died_is_run_again_once_its_lease_ran_out(api_for, owner, items):
    with mock.patch("api.bulk.enqueue_on_commit"):
        job_id = (
            api_for(owner).post(f"{URL}?async=true", {"orders": items}, format="json").json()["id"]
        )
    now = timezone.now()
    # A worker claimed it, then died before committing anything.
    BulkJob.objects.filter(pk=job_id).update(
        status=BulkJob.Status.RUNNING, lease_until=now + timedelta(minutes=1), attempts=1
    )
    assert bulk.job_run(job_id=job_id, now=now) is None  # still leased: someone may be on it

    later = now + bulk.LEASE
    assert bulk.job_run(job_id=job_id, now=later) == BulkJob.Status.SUCCEEDED
    job = BulkJob.objects.get(pk=job_id)
    assert (job.attempts, job.payload) == (2, "")
    assert Order.objects.count() == 5


def test_a_copy_that_finds_the_job_finished_while_it_waited_writes_nothing(api_for, owner, items):
    """Two copies claimed the job (the first's lease had run out): the second waits on the
    job's row, then finds it succeeded."""
    with mock.patch("api.bulk.enqueue_on_commit"):
        job_id = (
            api_for(owner).post(f"{URL}?async=true", {"orders": items}, format="json").json()["id"]
        )
    job = BulkJob.objects.get(pk=job_id)
    BulkJob.objects.filter(pk=job_id).update(status=BulkJob.Status.SUCCEEDED)
    job.status = BulkJob.Status.RUNNING
    with pytest.raises(bulk._AlreadyDone):
        bulk._write(job, lambda: pytest.fail("wrote again"))


def test_a_stalled_job_is_sent_again_when_polled(api_for, owner, items):
    client = api_for(owner)
    with mock.patch("api.bulk.enqueue_on_commit"):
        job = client.post(f"{URL}?async=true", {"orders": items}, format="json").json()
    with mock.patch("api.bulk.enqueue") as enqueue:
        client.get(job["url"])
        enqueue.assert_not_called()
        BulkJob.objects.filter(pk=job["id"]).update(
            created_at=timezone.now() - bulk.LEASE - timedelta(seconds=1)
        )
        client.get(job["url"])
    enqueue.assert_called_once()


def test_a_job_is_its_creators_and_staffs(api_for, owner, teammate, admin_user, items):
    with mock.patch("api.bulk.enqueue_on_commit"):
        job = api_for(owner).post(f"{URL}?async=true", {"orders": items}, format="json").json()

    assert api_for(owner).get(job["url"]).status_code == 200
    assert api_for(teammate).get(job["url"]).status_code == 404
    assert api_for(admin_user).get(job["url"]).status_code == 200
    assert api_for(None).get(job["url"]).status_code in (401, 403)
    assert api_for(owner).get("/api/v1/jobs/99999999999999999999/").status_code == 404


def test_a_job_writes_its_errors_in_the_requests_language(
    api_for, owner, items, django_capture_on_commit_callbacks
):
    items[0]["lines"] = []
    client = api_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post(
            f"{URL}?async=true",
            {"orders": items},
            format="json",
            headers={"Accept-Language": "zh-hans"},
        ).json()
    assert BulkJob.objects.get(pk=job["id"]).language == "zh-hans"


def test_a_nul_character_in_the_items_is_an_items_error_not_a_crash(
    api_for, owner, items, django_capture_on_commit_callbacks
):
    items[2]["note"] = "a\x00b"
    items[3]["status"] = "\x00"
    client = api_for(owner)
    job = _post(client, {"orders": items}, on_commit=django_capture_on_commit_callbacks).json()

    polled = client.get(job["url"]).json()
    assert polled["status"] == "failed"
    assert [(e["index"], e["field"]) for e in polled["errors"]] == [(2, "note"), (3, "status")]
    assert "\x00" not in str(polled["errors"])
