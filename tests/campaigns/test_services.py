import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns import services
from campaigns.models import Campaign, SpendEntry
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory


def test_admin_creates_a_campaign_and_history_names_them(admin_user):
    campaign = services.campaign_create(
        user=admin_user,
        name="Spring mailing",
        channel=Campaign.Channel.EMAIL,
        starts_on=dt.date(2026, 3, 1),
        budget=Decimal("5000"),
    )
    record = campaign.history.get()
    assert record.history_type == "+"
    assert record.history_user == admin_user


def test_campaign_cannot_end_before_it_starts(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_create(
            user=admin_user,
            name="Backwards",
            starts_on=dt.date(2026, 3, 1),
            ends_on=dt.date(2026, 2, 1),
        )
    assert "ends_on" in excinfo.value.message_dict
    assert not Campaign.objects.exists()


def test_negative_budget_is_refused_with_a_clear_message(admin_user):
    campaign = CampaignFactory(budget=Decimal("100"))
    with pytest.raises(ValidationError) as excinfo:
        services.campaign_update(user=admin_user, campaign=campaign, budget=Decimal("-1"))
    assert excinfo.value.message_dict == {"budget": ["The amount cannot be negative."]}
    campaign.refresh_from_db()
    assert campaign.budget == Decimal("100")


def test_update_records_who_changed_what(admin_user):
    campaign = CampaignFactory(budget=Decimal("100"))
    services.campaign_update(user=admin_user, campaign=campaign, budget=Decimal("250"))
    latest = campaign.history.latest()
    assert latest.history_user == admin_user
    assert latest.diff_against(latest.prev_record).changed_fields == ["budget"]


def test_deleting_a_campaign_keeps_its_customers_unattributed(admin_user):
    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign)
    customer = CustomerFactory(acquired_by_campaign=campaign)
    services.campaign_delete(user=admin_user, campaign=campaign)
    assert not Campaign.objects.exists()
    assert not SpendEntry.objects.exists()
    customer.refresh_from_db()
    assert customer.acquired_by_campaign is None


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_only_admins_write(request, persona):
    user = request.getfixturevalue(persona)
    campaign = CampaignFactory()
    entry = SpendEntryFactory(campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_create(user=user, name="Mine", starts_on=dt.date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        services.campaign_update(user=user, campaign=campaign, name="Renamed")
    with pytest.raises(PermissionDenied):
        services.campaign_delete(user=user, campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.spend_entry_add(
            user=user, campaign=campaign, spent_on=dt.date(2026, 1, 2), amount=Decimal("1")
        )
    with pytest.raises(PermissionDenied):
        services.spend_entry_delete(user=user, spend_entry=entry)
    campaign.refresh_from_db()
    assert campaign.name != "Renamed"
    assert campaign.spend_entries.count() == 1


def test_spend_entry_add(admin_user):
    campaign = CampaignFactory()
    entry = services.spend_entry_add(
        user=admin_user,
        campaign=campaign,
        spent_on=dt.date(2026, 2, 1),
        amount=Decimal("1200.50"),
        note="Newsletter",
    )
    assert list(campaign.spend_entries.all()) == [entry]
    assert entry.amount == Decimal("1200.50")


@pytest.mark.parametrize(
    ("spent_on", "amount", "field", "message"),
    [
        (dt.date(2026, 2, 1), Decimal("-0.01"), "amount", "The amount cannot be negative."),
        (dt.date(2026, 2, 1), None, "amount", "Enter an amount."),
        (None, Decimal("10"), "spent_on", "Enter the date the money was spent."),
    ],
)
def test_invalid_spend_is_refused_and_nothing_written(admin_user, spent_on, amount, field, message):
    campaign = CampaignFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.spend_entry_add(
            user=admin_user, campaign=campaign, spent_on=spent_on, amount=amount
        )
    assert excinfo.value.message_dict == {field: [message]}
    assert not SpendEntry.objects.exists()


def test_zero_spend_is_allowed(admin_user):
    campaign = CampaignFactory()
    services.spend_entry_add(
        user=admin_user, campaign=campaign, spent_on=dt.date(2026, 2, 1), amount=Decimal("0")
    )
    assert campaign.spend_entries.count() == 1


def test_spend_entry_delete(admin_user):
    entry = SpendEntryFactory()
    services.spend_entry_delete(user=admin_user, spend_entry=entry)
    assert not SpendEntry.objects.exists()
