"""The customers each campaign acquired (campaigns.AcquiredCount, the CAC denominators, issue
14) stay what a count of the customers gives after every path that creates, moves or deletes
a customer: the form, the API, its batch, a CSV import, the services, a merge; the paths that
move a scored customer's CLV are in tests/metrics/test_score_totals.py, which checks the
counts too. The campaign pages show the kept count."""

import datetime as dt

from django.db.models import Count
from django.urls import reverse

from campaigns.models import AcquiredCount
from campaigns.selectors import campaign_cac
from campaigns.services import acquired_recount
from customers.models import Customer
from customers.services import customer_delete, customer_merge, customer_update
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory

AS_OF = dt.date(2026, 11, 30)


def assert_acquired_counted():
    """The kept counts are a fresh count of the customers per acquiring campaign."""
    fresh = dict(
        Customer.objects.filter(acquired_by_campaign__isnull=False)
        .order_by()
        .values_list("acquired_by_campaign")
        .annotate(n=Count("*"))
    )
    kept = dict(AcquiredCount.objects.exclude(customers=0).values_list("campaign_id", "customers"))
    assert kept == fresh


def _acquired(campaign):
    return campaign_cac(as_of=AS_OF, campaign_ids=[campaign.pk])[campaign.pk].acquired


def test_the_form_counts_a_new_customer_and_moves_an_edited_one(client_for, manager):
    spring, autumn = CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    client = client_for(manager)
    form = {"name": "Acme", "kind": "company", "status": "lead"}

    response = client.post(reverse("customers:create"), {**form, "acquired_by_campaign": spring.pk})
    assert response.status_code == 302
    customer = Customer.objects.get(name="Acme")
    assert (_acquired(spring), _acquired(autumn)) == (1, 0)

    edit = reverse("customers:edit", args=[customer.pk])
    response = client.post(edit, {**form, "acquired_by_campaign": autumn.pk})
    assert response.status_code == 302
    assert (_acquired(spring), _acquired(autumn)) == (0, 1)
    assert_acquired_counted()


def test_the_api_counts_created_patched_and_batched_customers(api_for, manager):
    spring, autumn = CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    api = api_for(manager)

    response = api.post(
        "/api/v1/customers/",
        {"name": "Acme", "kind": "company", "acquired_by_campaign": spring.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = api.patch(
        f"/api/v1/customers/{response.json()['id']}/",
        {"acquired_by_campaign": autumn.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = api.post(
        "/api/v1/customers/batch/?async=false",
        {
            "mode": "create",
            "customers": [
                {"name": "One", "kind": "person", "acquired_by_campaign": spring.pk},
                {"name": "Two", "kind": "person", "acquired_by_campaign": spring.pk},
                {"name": "Three", "kind": "person"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content

    assert (_acquired(spring), _acquired(autumn)) == (2, 1)
    assert_acquired_counted()


def test_a_csv_import_counts_new_customers_and_moves_updated_ones(manager):
    CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    header = ["external_id", "name", "campaign"]
    rows = [["C-1", "One", "Spring"], ["C-2", "Two", "Spring"], ["C-3", "Three", ""]]

    report = import_file("customers", csv_bytes([header, *rows]), user=manager)
    assert report.created == 3
    assert_acquired_counted()

    moved = [["C-1", "One", "Autumn"], ["C-3", "Three", "Spring"]]
    report = import_file("customers", csv_bytes([header, *moved]), user=manager)
    assert report.updated == 2
    assert_acquired_counted()
    assert AcquiredCount.objects.get(campaign__name="Spring").customers == 2


def test_the_services_a_merge_and_deletions_keep_the_counts(manager):
    spring, autumn = CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    a, b, c, d = (
        CustomerFactory(owner=manager, acquired_by_campaign=campaign)
        for campaign in (spring, spring, autumn, None)
    )
    assert (_acquired(spring), _acquired(autumn)) == (2, 1)

    customer_update(user=manager, customer=d, acquired_by_campaign=autumn)
    customer_update(user=manager, customer=a, acquired_by_campaign=None)
    assert (_acquired(spring), _acquired(autumn)) == (1, 2)
    # The duplicate's campaign fills the survivor's empty one; the duplicate goes.
    customer_merge(user=manager, survivor=a, duplicate=c)
    assert_acquired_counted()
    customer_delete(user=manager, customer=b)
    Customer.objects.filter(pk=d.pk).delete()  # as the admin's bulk action deletes
    assert_acquired_counted()


def test_the_count_is_the_cac_denominator_and_a_recount_mends_a_stale_one(manager):
    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign, amount=300, spent_on=AS_OF)
    CustomerFactory.create_batch(3, owner=manager, acquired_by_campaign=campaign)
    assert campaign_cac(as_of=AS_OF, campaign_ids=[campaign.pk])[campaign.pk].cac == 100

    # Rows written around the services (a raw load) leave the count stale until recounted.
    Customer.objects.bulk_create([Customer(name="Raw", acquired_by_campaign=campaign)])
    assert _acquired(campaign) == 3
    assert acquired_recount() == 1
    assert _acquired(campaign) == 4
    assert_acquired_counted()


def test_the_campaign_page_shows_the_kept_count(client_for, admin_user):
    campaign = CampaignFactory(name="Spring")
    CustomerFactory.create_batch(2, acquired_by_campaign=campaign)
    AcquiredCount.objects.filter(campaign=campaign).update(customers=7)  # what is kept shows

    page = client_for(admin_user).get(reverse("campaigns:detail", args=[campaign.pk]))

    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert '<dt>Customers acquired (company)</dt><dd class="num">7</dd>' in text
