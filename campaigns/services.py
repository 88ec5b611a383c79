"""Writes of campaigns and their spend. Admin-only: each function checks the model
permission itself, so no caller (page, API, import) can skip the rule. Each function is
one transaction and records ``user`` in the campaign's change history."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Campaign, SpendEntry


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied(_("Only admins can change campaigns and their spend."))


def _check_money(field, amount, *, required):
    if amount is None:
        if required:
            raise ValidationError({field: _("Enter an amount.")})
        return
    if Decimal(amount) < 0:
        raise ValidationError({field: _("The amount cannot be negative.")})


@transaction.atomic
def campaign_create(*, user, **fields):
    _require(user, "campaigns.add_campaign")
    campaign = Campaign(**fields)
    _check_money("budget", campaign.budget, required=True)
    campaign.full_clean()
    campaign._history_user = user
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, user, campaign, **fields):
    _require(user, "campaigns.change_campaign")
    for name, value in fields.items():
        setattr(campaign, name, value)
    _check_money("budget", campaign.budget, required=True)
    campaign.full_clean()
    campaign._history_user = user
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, user, campaign):
    """Delete a campaign and its spend; customers it acquired stay, unattributed."""
    _require(user, "campaigns.delete_campaign")
    campaign._history_user = user
    campaign.delete()


@transaction.atomic
def spend_entry_add(*, user, campaign, spent_on, amount, note=""):
    _require(user, "campaigns.add_spendentry")
    if spent_on is None:
        raise ValidationError({"spent_on": _("Enter the date the money was spent.")})
    _check_money("amount", amount, required=True)
    entry = SpendEntry(campaign=campaign, spent_on=spent_on, amount=amount, note=note)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def spend_entry_delete(*, user, spend_entry):
    _require(user, "campaigns.delete_spendentry")
    spend_entry.delete()
