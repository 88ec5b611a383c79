"""The customer's status copied onto the score row (``CustomerScore.customer_status``),
which the customer list's status filter over a score sort reads from an index: equal to
the customer's own after every way a status or a score is written (issue 14)."""

import datetime as dt

import pytest
from django.db.models import F

from customers.models import Customer
from customers.services import customer_merge, customer_update
from metrics import services
from metrics.models import CustomerScore, RecalcRun
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory

Status = Customer.Status
LATER = AS_OF + dt.timedelta(days=1)


def assert_statuses_copied():
    assert CustomerScore.objects.exists()
    assert not CustomerScore.objects.exclude(customer_status=F("customer__status")).exists()


@pytest.fixture
def scored(manager):
    customers = population(12, seed=5, owner=manager)
    for customer in customers[:3]:
        Customer.objects.filter(pk=customer.pk).update(status=Status.LEAD)
    services.full_run_sync(as_of=AS_OF)
    return customers


def test_a_full_run_copies_every_status(scored):
    assert_statuses_copied()
    assert CustomerScore.objects.filter(customer_status=Status.LEAD).count() == 3


def test_a_saved_status_reaches_the_score_row(scored, manager):
    customer = scored[5]
    customer_update(user=manager, customer=customer, status=Status.LEAD)
    assert CustomerScore.objects.get(customer=customer).customer_status == Status.LEAD
    customer.status = Status.ACTIVE
    customer.save(update_fields=["status"])
    assert_statuses_copied()


def test_an_incremental_recalculation_copies_the_status(scored):
    # Written past the receivers: the next write of the score row puts it right.
    Customer.objects.filter(pk=scored[0].pk).update(status=Status.ACTIVE)
    newcomer = CustomerFactory(status=Status.LEAD)
    OrderFactory(customer=newcomer, ordered_on=AS_OF, total="80.00")

    services.customers_recalculate(customer_ids=[scored[0].pk, newcomer.pk], as_of=LATER)

    assert_statuses_copied()
    assert CustomerScore.objects.get(customer=newcomer).customer_status == Status.LEAD


def test_the_api_batch_copies_the_statuses(scored, manager, api_for):
    for i, customer in enumerate(scored[:2]):
        Customer.objects.filter(pk=customer.pk).update(external_id=f"ERP-{i}")
    response = api_for(manager).post(
        "/api/v1/customers/batch/?async=false",
        {
            "mode": "update",
            "customers": [
                {"external_id": "ERP-0", "status": Status.ACTIVE},
                {"external_id": "ERP-1", "status": Status.ACTIVE},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_statuses_copied()


def test_a_csv_import_copies_the_statuses(scored, manager):
    customer = scored[7]
    Customer.objects.filter(pk=customer.pk).update(external_id="C-1")
    data = csv_bytes([["external_id", "name", "status"], ["C-1", customer.name, "lead"]])

    report = import_file("customers", data, user=manager)

    assert report.updated == 1
    assert CustomerScore.objects.get(customer=customer).customer_status == Status.LEAD
    assert_statuses_copied()


def test_a_merge_keeps_the_statuses(scored, manager):
    customer_merge(user=manager, survivor=scored[4], duplicate=scored[0])
    services.customers_recalculate(customer_ids=[scored[4].pk], as_of=AS_OF)
    assert_statuses_copied()


def test_a_status_changed_while_a_run_publishes_is_kept(scored, manager):
    run = RecalcRun.objects.create(as_of=LATER)
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=5)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    # Its chunk is published (on PostgreSQL into the table about to be swapped in).
    customer = Customer.objects.filter(status=Status.LEAD).order_by("pk").first()
    customer_update(user=manager, customer=customer, status=Status.ACTIVE)
    for index in indices[1:]:
        services.full_run_publish_chunk(run_id=run.pk, index=index)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert CustomerScore.objects.get(customer=customer).customer_status == Status.ACTIVE
    assert_statuses_copied()
