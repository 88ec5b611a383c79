"""Writes of campaigns and their spend. Admin-only: each function checks the model
permission itself, so no caller (page, API, import) can skip the rule (``user=None`` is
the system, see ``core.services``). Each function is one transaction and records ``user``
in the campaign's change history."""

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from core.services import check_fields, require_permission
from core.types import Actor
from customers.models import Customer

from .models import AcquiredCount, Campaign, SpendEntry

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


# --- Customers acquired (the CAC denominators) ----------------------------------------------


def acquired_changes(moves: Iterable[tuple[int | None, int | None]]) -> dict[int, int]:
    """{campaign id: change in customers acquired} of customers whose acquiring campaign
    went from ``before`` to ``after`` ((before, after) pairs; None: no campaign, or no
    customer: (None, c) is a new customer, (c, None) one deleted or left without)."""
    changes: Counter[int] = Counter()
    for before, after in moves:
        if before == after:
            continue
        if before is not None:
            changes[before] -= 1
        if after is not None:
            changes[after] += 1
    return {pk: n for pk, n in changes.items() if n}


def acquired_add(changes: Mapping[int, int]) -> None:
    """Add ``changes`` ({campaign id: +n or -n}, from ``acquired_changes``) to the kept
    counts in this transaction: one upsert, in campaign order, so two writers lock the
    rows in the same order and each adds to what the other committed."""
    rows = sorted((pk, n) for pk, n in changes.items() if n)
    if not rows:
        return
    table = AcquiredCount._meta.db_table
    marks = ", ".join(["(%s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, customers) VALUES {marks} "
            f"ON CONFLICT (campaign_id) DO UPDATE SET "
            f"customers = {table}.customers + excluded.customers",
            [value for row in rows for value in row],
        )


@transaction.atomic
def acquired_recount() -> int:
    """Count every campaign's customers afresh (one GROUP BY over the customers) in place
    of the kept counts; returns how many campaigns acquired someone. On PostgreSQL the
    writers' additions wait meanwhile: one committed before is counted, one after adds to
    the fresh count."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AcquiredCount._meta.db_table} IN EXCLUSIVE MODE")
    counts = (
        Customer.objects.filter(acquired_by_campaign__isnull=False)
        .order_by()
        .values_list("acquired_by_campaign")
        .annotate(n=Count("*"))
    )
    AcquiredCount.objects.all().delete()
    created = AcquiredCount.objects.bulk_create(
        AcquiredCount(campaign_id=pk, customers=n) for pk, n in sorted(counts)
    )
    return len(created)
