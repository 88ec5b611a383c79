"""The customer's owner copied onto the score row (``CustomerScore.customer_owner``), from
which a rep's score figures on the dashboard are read (one index range, issue 14): equal
to the customer's own owner after every way an owner or a score is written, and the
rep's figures equal to an aggregate over the customers they own."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import F, Q

from analytics import company
from customers.models import Customer
from customers.services import customer_merge, customer_update
from metrics import services
from metrics.models import CustomerScore, RecalcRun
from metrics.selectors_customer import scores_owned_visible_to, scores_visible_to
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory, UserFactory
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory
from valuemodels.numbers import to_cents
from valuemodels.rfm import fm_score

LATER = AS_OF + dt.timedelta(days=1)


def assert_owners_copied():
    assert CustomerScore.objects.exists()
    differs = Q(customer_owner__isnull=True, customer__owner__isnull=False) | Q(
        customer_owner__isnull=False
    ) & ~Q(customer_owner=F("customer__owner"))
    assert not CustomerScore.objects.filter(differs).exists()
    assert not CustomerScore.objects.filter(
        customer_owner__isnull=False, customer__owner__isnull=True
    ).exists()


def direct_figures(user):
    """A rep's score figures computed in Python from their customers' scores."""
    histogram, tiers, revenue, grid = [0] * 10, Counter(), Counter(), Counter()
    scored, as_of = 0, None
    for score in CustomerScore.objects.filter(customer__owner=user):
        as_of = score.as_of if as_of is None else max(as_of, score.as_of)
        if score.value_score is not None:
            scored += 1
            histogram[min(int(score.value_score // 10), 9)] += 1
        tiers[score.tier] += 1
        revenue[score.tier] += score.revenue or 0
        if score.r_score is not None:
            grid[(score.r_score, int(fm_score(score.f_score, score.m_score)))] += 1
    return {
        "scored": scored,
        "as_of": as_of,
        "histogram": histogram,
        "tiers": [(t, tiers[t], to_cents(revenue[t])) for t in company.TIERS],
        "grid": dict(grid),
    }


def read_figures(user):
    overview, grid = company.score_figures(user=user)
    return {
        "scored": overview.scored,
        "as_of": overview.as_of,
        "histogram": overview.histogram,
        "tiers": overview.tiers,
        "grid": grid,
    }


def assert_rep_figures(*reps):
    assert_owners_copied()
    for rep in reps:
        assert read_figures(rep) == direct_figures(rep)


@pytest.fixture
def scored(owner, teammate):
    customers = population(8, seed=5, owner=owner) + population(6, seed=6, owner=teammate)
    services.full_run_sync(as_of=AS_OF)
    return customers


def test_a_full_run_copies_every_owner(scored, owner, teammate):
    assert CustomerScore.objects.filter(customer_owner=owner).count() == 8
    assert_rep_figures(owner, teammate)


def test_a_reps_scores_by_the_copy_are_those_they_see(scored, owner, manager, outsider):
    for user in (owner, manager, outsider):
        assert set(scores_owned_visible_to(user)) == set(scores_visible_to(user))


def test_a_reassigned_customer_moves_between_the_reps_figures(scored, owner, teammate, manager):
    customer_update(user=manager, customer=scored[1], owner=teammate)
    assert CustomerScore.objects.get(customer=scored[1]).customer_owner == teammate
    scored[2].owner = None
    scored[2].save()
    assert_rep_figures(owner, teammate)


def test_an_incremental_recalculation_copies_the_owner(scored, owner, teammate):
    # Written past the receivers: the next write of the score row puts it right.
    Customer.objects.filter(pk=scored[0].pk).update(owner=teammate)
    newcomer = CustomerFactory(owner=owner)
    OrderFactory(customer=newcomer, ordered_on=AS_OF, total="80.00")

    services.customers_recalculate(customer_ids=[scored[0].pk, newcomer.pk], as_of=LATER)

    assert CustomerScore.objects.get(customer=newcomer).customer_owner == owner
    assert_rep_figures(owner, teammate)


def test_the_api_batch_copies_the_owners(scored, owner, teammate, manager, api_for):
    for i, customer in enumerate(scored[:2]):
        Customer.objects.filter(pk=customer.pk).update(external_id=f"ERP-{i}")
    response = api_for(manager).post(
        "/api/v1/customers/batch/?async=false",
        {
            "mode": "update",
            "customers": [
                {"external_id": "ERP-0", "owner": teammate.pk},
                {"external_id": "ERP-1", "owner": teammate.pk},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert CustomerScore.objects.filter(customer_owner=teammate).count() == 8
    assert_rep_figures(owner, teammate)


def test_a_csv_import_copies_the_owners(scored, owner, teammate, manager):
    customer = scored[7]
    Customer.objects.filter(pk=customer.pk).update(external_id="C-1")
    data = csv_bytes([["external_id", "name", "owner"], ["C-1", customer.name, teammate.username]])

    report = import_file("customers", data, user=manager)

    assert report.updated == 1
    assert CustomerScore.objects.get(customer=customer).customer_owner == teammate
    assert_rep_figures(owner, teammate)


def test_a_merge_keeps_the_owners(scored, owner, teammate, manager):
    # The duplicate belongs to the other rep: its score row goes with it.
    customer_merge(user=manager, survivor=scored[4], duplicate=scored[9])
    services.customers_recalculate(customer_ids=[scored[4].pk], as_of=AS_OF)
    assert_rep_figures(owner, teammate)


def test_a_deleted_user_leaves_no_owner_on_the_scores(scored, owner, teammate):
    pk = teammate.pk
    teammate.delete()
    assert not CustomerScore.objects.filter(customer_owner_id=pk).exists()
    assert_rep_figures(owner)


def test_an_owner_changed_while_a_run_publishes_is_kept(scored, owner, teammate, manager):
    run = RecalcRun.objects.create(as_of=LATER)
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=5)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    # Its chunk is published (on PostgreSQL into the table about to be swapped in).
    customer = Customer.objects.filter(owner=owner).order_by("pk").first()
    customer_update(user=manager, customer=customer, owner=teammate)
    for index in indices[1:]:
        services.full_run_publish_chunk(run_id=run.pk, index=index)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert CustomerScore.objects.get(customer=customer).customer_owner == teammate
    assert_rep_figures(owner, teammate)


def test_a_reps_score_figures_are_one_query(scored, owner, django_assert_num_queries):
    assert read_figures(UserFactory())["scored"] == 0
    company.score_figures(user=owner)  # the user's permissions, cached on the user
    with django_assert_num_queries(1):
        company.score_figures(user=owner)
