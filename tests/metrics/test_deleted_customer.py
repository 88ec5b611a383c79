"""A customer deleted while their score is being recalculated (issue 13: deleting a customer
just after creating it was an intermittent 500). The recalculation reads the customer's
figures, the customer is deleted, then the recalculation writes: it must skip the
customer, and neither it nor the delete may fail on the foreign key."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from customers.models import Customer
from customers.services import customer_delete
from metrics import history, services, storage, tasks
from metrics.models import CustomerScore, DirtyCustomer, ScoreSnapshot
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory
from tests.threads import in_thread

# A later day than the full run's: the recalculation inserts a new history row (an update of
# an existing row would not check the foreign key).
LATER = AS_OF + dt.timedelta(days=1)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between two connections"
)


def _scored_population():
    customers = population(6, seed=21)
    services.full_run_sync(as_of=AS_OF)
    # Made now, not by the write under test: creating a partition checks the foreign keys
    # at once (metrics.history), where a write into an existing one checks them at commit.
    history.ensure_partition(LATER)
    return customers


def _scored_lead():
    """A scored customer without orders: one a person may delete (one with orders is set to
    churned instead, customers.services.customer_delete)."""
    population(6, seed=21)
    lead = CustomerFactory()
    services.full_run_sync(as_of=AS_OF)
    history.ensure_partition(LATER)
    return lead


def _deleting_after_reading(monkeypatch, customer):
    """Delete ``customer`` right after the recalculation has read its figures."""
    read = services.customer_inputs

    def customer_inputs(**kwargs):
        inputs = read(**kwargs)
        Customer.objects.filter(pk=customer.pk).delete()
        return inputs

    monkeypatch.setattr(services, "customer_inputs", customer_inputs)


def test_a_customer_deleted_after_its_figures_were_read_is_skipped(db, monkeypatch):
    survivor, gone = _scored_population()[:2]
    OrderFactory(customer=gone, ordered_on=AS_OF, total="120.00")
    _deleting_after_reading(monkeypatch, gone)

    assert services.customers_recalculate(customer_ids=[survivor.pk, gone.pk], as_of=AS_OF)

    assert not CustomerScore.objects.filter(customer_id=gone.pk).exists()
    assert not ScoreSnapshot.objects.filter(customer_id=gone.pk).exists()
    assert CustomerScore.objects.filter(customer_id=survivor.pk).exists()
    # No row points at the deleted customer: the commit's foreign-key check passes.
    connection.check_constraints()


def test_the_task_for_a_just_created_then_deleted_customer_does_not_fail(db, monkeypatch, owner):
    _scored_population()
    customer = CustomerFactory(owner=owner)
    services.customers_mark_dirty(customer_ids=[customer.pk])
    _deleting_after_reading(monkeypatch, customer)

    assert tasks.recalculate_dirty(as_of=AS_OF.isoformat()) >= 1

    assert not DirtyCustomer.objects.filter(customer_id=customer.pk).exists()
    assert not CustomerScore.objects.filter(customer_id=customer.pk).exists()
    connection.check_constraints()


def test_a_foreign_key_error_while_writing_is_written_again_without_the_customer(db, monkeypatch):
    """Where the customer vanished between the existence check and the commit."""
    survivor = _scored_population()[0]
    upsert, calls = storage.upsert, []

    def failing_once(encoded, values):
        calls.append(encoded)
        if len(calls) == 1:
            raise IntegrityError("FOREIGN KEY constraint failed")
        return upsert(encoded, values)

    monkeypatch.setattr(storage, "upsert", failing_once)
    assert services.customers_recalculate(customer_ids=[survivor.pk], as_of=AS_OF)
    assert len(calls) == 2
    assert CustomerScore.objects.filter(customer_id=survivor.pk).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_a_score_write_under_way_then_deletes_its_rows(admin_user, monkeypatch):
    """The write holds its lock on the customer (FOR KEY SHARE) and has not committed when
    the delete starts: the delete waits, then deletes the new rows too."""
    customer = _scored_lead()
    customer_id = customer.pk  # the delete sets customer.pk to None
    written, release = threading.Event(), threading.Event()
    upsert = storage.upsert

    def upsert_then_wait(encoded, values):
        upsert(encoded, values)
        written.set()
        release.wait(10)

    monkeypatch.setattr(storage, "upsert", upsert_then_wait)
    errors = []
    writer = in_thread(
        lambda: services.customers_recalculate(customer_ids=[customer_id], as_of=LATER), errors
    )
    assert written.wait(10)
    deleter = in_thread(lambda: customer_delete(user=admin_user, customer=customer), errors)
    deleter.join(0.5)
    assert deleter.is_alive()  # waiting for the write's lock
    release.set()
    writer.join(10)
    deleter.join(10)

    assert errors == []
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert not ScoreSnapshot.objects.filter(customer_id=customer_id).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_score_write_waits_for_a_delete_under_way_then_skips_the_customer(admin_user):
    customer = _scored_lead()
    customer_id = customer.pk  # the delete sets customer.pk to None
    deleted, release = threading.Event(), threading.Event()

    def delete_and_wait():
        with transaction.atomic():
            customer_delete(user=admin_user, customer=customer)
            deleted.set()
            release.wait(10)

    errors = []
    deleter = in_thread(delete_and_wait, errors)
    assert deleted.wait(10)
    writer = in_thread(
        lambda: services.customers_recalculate(customer_ids=[customer_id], as_of=LATER), errors
    )
    writer.join(0.5)
    assert writer.is_alive()  # waiting for the delete's lock
    release.set()
    deleter.join(10)
    writer.join(10)

    assert errors == []
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert not ScoreSnapshot.objects.filter(customer_id=customer_id).exists()
