"""Writes of campaigns and their spend. Admin-only: each function checks the model
permission itself, so no caller (page, API, import) can skip the rule (``user=None`` is
the system, see ``core.services``). Each function is one transaction and records ``user``
in the campaign's change history."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import check_fields, require_permission
from core.types import Actor

from .models import Campaign, SpendEntry

# What a caller may set on a campaign.
CAMPAIGN_FIELDS = frozenset({"name", "channel", "starts_on", "ends_on", "budget"})


def _require(user: Actor, permission: str) -> None:
    require_permission(
        user, permission, message=_("Only admins can change campaigns and their spend.")
    )


def _check_money(field: str, amount: Decimal | int | str | None, *, required: bool) -> None:
    if amount is None:
        if required:
            raise ValidationError({field: _("Enter an amount.")})
        return
    if Decimal(amount) < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})


@transaction.atomic
def campaign_create(*, user: Actor, **fields: Any) -> Campaign:
    """A campaign from the CAMPAIGN_FIELDS given."""
    check_fields(fields, CAMPAIGN_FIELDS, service="campaign_create")
    _require(user, "campaigns.add_campaign")
    campaign = Campaign(**fields)
    _check_money("budget", campaign.budget, required=True)
    campaign.full_clean()
    campaign._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, user: Actor, campaign: Campaign, **fields: Any) -> Campaign:
    """Change the CAMPAIGN_FIELDS given."""
    check_fields(fields, CAMPAIGN_FIELDS, service="campaign_update")
    _require(user, "campaigns.change_campaign")
    for name, value in fields.items():
        setattr(campaign, name, value)
    _check_money("budget", campaign.budget, required=True)
    campaign.full_clean()
    campaign._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, user: Actor, campaign: Campaign) -> None:
    """Delete a campaign and its spend; customers it acquired stay, unattributed."""
    _require(user, "campaigns.delete_campaign")
    campaign._history_user = user  # type: ignore[attr-defined]  # read by simple_history
    campaign.delete()


@transaction.atomic
def spend_entry_add(
    *,
    user: Actor,
    campaign: Campaign,
    spent_on: date | None,
    amount: Decimal | None,
    note: str = "",
) -> SpendEntry:
    _require(user, "campaigns.add_spendentry")
    if spent_on is None:
        raise ValidationError({"spent_on": _("Enter the date the money was spent.")})
    _check_money("amount", amount, required=True)
    assert amount is not None  # refused above
    entry = SpendEntry(campaign=campaign, spent_on=spent_on, amount=amount, note=note)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def spend_entry_delete(*, user: Actor, spend_entry: SpendEntry) -> None:
    _require(user, "campaigns.delete_spendentry")
    spend_entry.delete()
