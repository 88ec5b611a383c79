"""``Customer.is_scored`` (issue 14): what a full run leaves it, whichever way the run
publishes (the table swap on PostgreSQL, upserts on SQLite). The customer list reads the
customers not flagged to find those without a score row, so the flag must never be true
without one; false only costs a list a little time."""

from customers.models import Customer
from metrics import services
from metrics.models import CustomerScore
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population


def _flagged():
    return set(Customer.objects.filter(is_scored=True).values_list("pk", flat=True))


def test_a_full_run_flags_every_customer_it_gave_a_score_and_a_new_one_starts_unflagged(db):
    population(12)
    CustomerFactory(name="A lead without orders")
    assert _flagged() == set()

    services.full_run_sync(as_of=AS_OF)

    scored = set(CustomerScore.objects.values_list("customer_id", flat=True))
    assert _flagged() == scored == set(Customer.objects.values_list("pk", flat=True))
    newcomer = CustomerFactory(name="Joined after the run")
    newcomer.refresh_from_db()
    assert newcomer.is_scored is False


def test_a_customer_deleted_takes_its_score_and_flag_along(db):
    population(4)
    services.full_run_sync(as_of=AS_OF)
    gone = Customer.objects.first()
    gone.delete()

    assert _flagged() == set(CustomerScore.objects.values_list("customer_id", flat=True))


def test_a_run_flags_its_customers_a_batch_at_a_time(db, monkeypatch):
    monkeypatch.setattr(services, "FLAG_BATCH", 5)
    population(12)
    services.full_run_sync(as_of=AS_OF)
    assert _flagged() == set(CustomerScore.objects.values_list("customer_id", flat=True))
    assert len(_flagged()) == 12
