"""Writes of customer data. Each function is one transaction and takes keyword arguments.

Each write checks itself that the acting ``user`` may do it: the model permission, and
that the customer is one the user can see (``selectors.customers_visible_to``); otherwise
PermissionDenied, whoever the caller (page, API, import, task). ``user=None`` is the
system (tasks, commands, the app's own bookkeeping; see ``core.services``).
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.languages import users_languages
from core.services import check_fields, is_system, require_permission
from core.types import Actor

from . import selectors
from .models import Activity, Contact, Customer, Tag
from .signals import customer_merging

# What a caller may set on a customer; the rest (ids, timestamps) the CRM keeps itself.
CUSTOMER_FIELDS = frozenset(
    {
        "name",
        "kind",
        "status",
        "owner",
        "email",
        "phone",
        "website",
        "industry",
        "region",
        "address",
        "churned_on",
        "churn_reason",
        "acquired_on",
        "acquisition_cost_override",
        "acquired_by_campaign",
        "referred_by",
        "external_id",
        "marketing_opt_out",
        "language",
    }
)
# What a caller may set on a new activity; its customer and author come from the call.
ACTIVITY_FIELDS = frozenset({"kind", "subject", "body", "occurred_at", "due_on", "assignee"})

# Fields a merge copies from the duplicate when the survivor has them empty.
_MERGE_FILL_FIELDS = [
    "email",
    "phone",
    "website",
    "industry",
    "region",
    "address",
    "acquired_on",
    "acquisition_cost_override",
    "referred_by",
    "language",
]


def merge_fill_fields(*, survivor: Customer, duplicate: Customer) -> list[str]:
    """The fields a merge copies from ``duplicate`` because ``survivor`` has them empty."""
    fields = [
        field
        for field in _MERGE_FILL_FIELDS
        if getattr(survivor, field) in ("", None) and getattr(duplicate, field) not in ("", None)
    ]
    if duplicate.referred_by_id == survivor.pk:
        # The survivor referred the duplicate; copying that would make it refer itself.
        fields.remove("referred_by")
    return fields


def require_customer_access(*, user: Actor, customers: Iterable[Customer], permission: str) -> None:
    """PermissionDenied unless ``user`` has ``permission`` and can see every one of
    ``customers``; the system (``user=None``) always may."""
    require_permission(user, permission)
    if is_system(user) or selectors.can_see_all_customers(user):
        return
    ids = {customer.pk for customer in customers}
    if selectors.customers_visible_to(user).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied(_("This customer belongs to someone else."))


def _check_owner_change(*, user: Actor, customer: Customer, owner: object) -> None:
    if is_system(user):
        return
    if owner != customer.owner and not user.has_perm("customers.reassign_customer"):
        raise PermissionDenied(_("Only managers can reassign a customer to another owner."))


@transaction.atomic
def customer_create(*, user: Actor, tags: Iterable[Tag] = (), **fields: Any) -> Customer:
    """Create a customer from the CUSTOMER_FIELDS given. A rep who cannot reassign always
    owns what they create; without an owner, the system's customer has none."""
    check_fields(fields, CUSTOMER_FIELDS, service="customer_create")
    require_permission(user, "customers.add_customer")
    if not is_system(user) and not user.has_perm("customers.reassign_customer"):
        fields["owner"] = user
    fields.setdefault("owner", user)
    customer = Customer(**fields)
    customer.full_clean()
    customer.save()
    customer.tags.set(tags)
    regions_changed(regions=[customer.region])
    return customer


@transaction.atomic
def tags_get_or_create(*, user: Actor, names: Iterable[str]) -> list[Tag]:
    """The tags with these names, matched case-insensitively; missing ones are created, for
    a user who may create or change customers (tags are set on customers only)."""
    if not is_system(user) and not (
        user.has_perm("customers.add_customer") or user.has_perm("customers.change_customer")
    ):
        raise PermissionDenied(_("You do not have permission to do this."))
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        tags.append(tag or Tag.objects.create(name=name))
    return tags


@transaction.atomic
def customer_update(
    *, user: Actor, customer: Customer, tags: Iterable[Tag] | None = None, **fields: Any
) -> Customer:
    """Change the CUSTOMER_FIELDS given (a partial update); ``tags`` None keeps them."""
    check_fields(fields, CUSTOMER_FIELDS, service="customer_update")
    require_customer_access(user=user, customers=[customer], permission="customers.change_customer")
    if "owner" in fields:
        _check_owner_change(user=user, customer=customer, owner=fields["owner"])
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    if "region" in fields:
        regions_changed(regions=[customer.region])
    return customer


def regions_changed(*, regions: Iterable[str] | None = None) -> None:
    """Customers were given ``regions`` (None: any, say by a bulk load): once the
    transaction commits, forget the cached list of regions in use
    (``selectors.regions_in_use``) unless it has them all."""

    def forget() -> None:
        if regions is not None:
            cached = cache.get(selectors.REGIONS_CACHE_KEY)
            if cached is None or {r for r in regions if r} <= set(cached):
                return
        cache.delete(selectors.REGIONS_CACHE_KEY)

    transaction.on_commit(forget)


@transaction.atomic
def customer_delete(*, user: Actor, customer: Customer) -> None:
    require_customer_access(user=user, customers=[customer], permission="customers.delete_customer")
    # Lock the row first: a score being written for this customer meanwhile (metrics, which
    # locks the customers it writes) either ends before, and its rows are deleted with the
    # customer, or waits and then skips it, instead of committing a row this delete missed.
    list(Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk"))
    customer.delete()


@transaction.atomic
def customer_merge(*, user: Actor, survivor: Customer, duplicate: Customer) -> Customer:
    """Fold ``duplicate`` into ``survivor`` and delete it, all or nothing.

    Contacts, activities and referrals move here; other apps move their rows in a
    ``customer_merging`` receiver. An activity on the survivor records the merge.
    """
    require_customer_access(
        user=user, customers=[survivor, duplicate], permission="customers.merge_customer"
    )
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    # Lock both rows so a concurrent edit or second merge waits instead of interleaving.
    rows = Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    locked = {c.pk: c for c in rows}
    if len(locked) != 2:
        raise ValidationError(_("One of the customers no longer exists."))
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]

    for field in merge_fill_fields(survivor=survivor, duplicate=duplicate):
        setattr(survivor, field, getattr(duplicate, field))
    if survivor.referred_by_id == duplicate.pk:
        survivor.referred_by = None
    survivor.marketing_opt_out = survivor.marketing_opt_out or duplicate.marketing_opt_out
    external_id = duplicate.external_id

    if survivor.contacts.filter(is_primary=True).exists():
        duplicate.contacts.filter(is_primary=True).update(is_primary=False)
    duplicate.contacts.update(customer=survivor)
    duplicate.activities.update(customer=survivor)
    # update() skips auto_now: the changed customers' updated_at is set here, so a sync by
    # updated_since (the API) sees them.
    Customer.objects.filter(referred_by=duplicate).exclude(pk=survivor.pk).update(
        referred_by=survivor, updated_at=timezone.now()
    )
    survivor.tags.add(*duplicate.tags.all())
    customer_merging.send(sender=Customer, survivor=survivor, duplicate=duplicate, user=user)

    duplicate_label = f"{duplicate.name} (#{duplicate.pk})"
    duplicate.delete()
    if not survivor.external_id and external_id:
        survivor.external_id = external_id
    survivor.save()
    Activity.objects.create(
        customer=survivor,
        kind=Activity.Kind.SYSTEM,
        author=user,
        subject=_("Merged %(duplicate)s into this customer") % {"duplicate": duplicate_label},
    )
    return survivor


@transaction.atomic
def contact_save(*, user: Actor, contact: Contact) -> Contact:
    """Create or update a contact; making it primary demotes the previous primary."""
    permission = "customers.change_contact" if contact.pk else "customers.add_contact"
    require_customer_access(user=user, customers=[contact.customer], permission=permission)
    # Demote first: full_clean checks the one-primary constraint against the database.
    if contact.is_primary:
        contact.customer.contacts.exclude(pk=contact.pk).filter(is_primary=True).update(
            is_primary=False
        )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, user: Actor, contact: Contact) -> None:
    require_customer_access(
        user=user, customers=[contact.customer], permission="customers.delete_contact"
    )
    contact.delete()


@transaction.atomic
def activity_create(*, user: Actor, customer: Customer, **fields: Any) -> Activity:
    """Log an activity or create a task (ACTIVITY_FIELDS) on ``customer``. The system
    (``user=None``) writes the CRM's own entries: follow-ups, unsubscribes."""
    check_fields(fields, ACTIVITY_FIELDS, service="activity_create")
    require_customer_access(user=user, customers=[customer], permission="customers.add_activity")
    activity = Activity(customer=customer, author=user, **fields)
    if activity.kind == Activity.Kind.TASK and activity.assignee is None:
        activity.assignee = user
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def task_set_done(
    *, user: Actor, task: Activity, done: bool, now: datetime | None = None
) -> Activity:
    require_customer_access(
        user=user, customers=[task.customer], permission="customers.change_activity"
    )
    task.done = done
    task.done_at = (now or timezone.now()) if done else None
    task.save(update_fields=["done", "done_at"])
    return task


def task_reminders_send(*, today: date) -> int:
    """Email each assignee their open tasks due on or before ``today``, once a day. A
    system job (the daily task): no acting user, nothing a person can ask for.

    Each task is claimed with a conditional UPDATE before the email goes out, so a
    retried or duplicated run sends nothing twice. Returns the number of emails sent.
    """
    due = (
        Activity.objects.open_tasks()
        .filter(due_on__lte=today, assignee__isnull=False)
        .exclude(assignee__email="")
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .select_related("assignee", "customer")
        .order_by("assignee_id", "due_on", "id")
    )
    by_assignee: dict[Any, list[Activity]] = {}
    for task in due:
        by_assignee.setdefault(task.assignee, []).append(task)
    sent = 0
    # Each assignee reads their email in the language of their profile (one query for all).
    languages = users_languages(assignee.pk for assignee in by_assignee)
    for assignee, tasks in by_assignee.items():
        with (
            transaction.atomic(),
            translation.override(languages.get(assignee.pk) or settings.LANGUAGE_CODE),
        ):
            claimed = Activity.objects.filter(
                Q(reminded_on__isnull=True) | Q(reminded_on__lt=today),
                pk__in=[t.pk for t in tasks],
            ).update(reminded_on=today)
            if not claimed:
                continue
            context = {"user": assignee, "tasks": tasks, "today": today}
            send_mail(
                subject=_("Your CRM tasks due by %(date)s") % {"date": date_format(today)},
                message=render_to_string("customers/email/task_reminder.txt", context),
                from_email=None,
                recipient_list=[assignee.email],
            )
        sent += 1
    return sent
