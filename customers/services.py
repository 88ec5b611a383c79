"""Writes of customer data. Each function is one transaction and takes keyword arguments.

Each write checks itself that the acting ``user`` may do it: the model permission, and
that the customer is one the user can see (``selectors.customers_visible_to``); otherwise
PermissionDenied, whoever the caller (page, API, import, task). ``user=None`` is the
system (tasks, commands, the app's own bookkeeping; see ``core.services``).
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.bulk import ItemsInvalid
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
    # By id: the customer's current owner is not loaded (a batch changes a thousand).
    owner_id = getattr(owner, "pk", owner)
    if owner_id != customer.owner_id and not user.has_perm("customers.reassign_customer"):
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
    return customer


def regions_changed(*, customers: Iterable[Customer] | None = None) -> None:
    """These ``customers`` were written (None: any, say by a bulk load): once the
    transaction commits, forget the cached lists of regions in use
    (``selectors.regions_in_use``), everyone's and their owners', that lack their region."""
    written = None if customers is None else [(c.owner_id, c.region) for c in customers]

    def forget() -> None:
        if written is None:
            owners = get_user_model().objects.values_list("pk", flat=True)
            keys = [selectors.owner_regions_key(pk) for pk in owners]
            cache.delete_many([selectors.REGIONS_CACHE_KEY, *keys])
            return
        wanted: dict[str, set[str]] = {}
        for owner_id, region in written:
            if region:
                wanted.setdefault(selectors.REGIONS_CACHE_KEY, set()).add(region)
                if owner_id is not None:
                    wanted.setdefault(selectors.owner_regions_key(owner_id), set()).add(region)
        cached = cache.get_many(list(wanted))
        stale = [key for key, regions in wanted.items() if not regions <= set(cached.get(key, ()))]
        cache.delete_many(stale)

    transaction.on_commit(forget)


class CustomerHasOrders(ValidationError):
    """A customer with orders is archived (status churned), never deleted."""


def customer_delete_refusal(customer: Customer) -> str | None:
    """Why ``customer`` may not be deleted, or None. Its orders are revenue the company
    figures, cohorts and other customers' referral value count: deleting them would
    rewrite history, so such a customer is set to churned instead (as CRMs archive)."""
    if customer.orders.exists():
        return _(
            "This customer has orders, so it cannot be deleted: its orders count in the "
            "revenue and value figures. Set its status to churned instead."
        )
    return None


@transaction.atomic
def customer_delete(*, user: Actor, customer: Customer) -> None:
    """Delete a customer without orders (``CustomerHasOrders`` otherwise)."""
    require_customer_access(user=user, customers=[customer], permission="customers.delete_customer")
    # Lock the row first: a score being written for this customer meanwhile (metrics, which
    # locks the customers it writes) either ends before, and its rows are deleted with the
    # customer, or waits and then skips it, instead of committing a row this delete missed.
    # An order added meanwhile locks the row too (its foreign key), so the check holds.
    list(Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk"))
    refusal = customer_delete_refusal(customer)
    if refusal:
        raise CustomerHasOrders(refusal, code="has_orders")
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


# --- Many customers at once (the API's customer batch) ----------------------------------

# Rows per INSERT or UPDATE of a batch: all of a 1,000-customer request's in one statement.
BULK_BATCH = 1000
# Checked by the caller, which loaded the rows they name for the whole batch at once.
_BULK_LOADED = ["owner", "acquired_by_campaign", "referred_by"]


def _external_id_taken(value: str) -> ValidationError:
    field = Customer._meta.get_field("external_id")
    message = field.error_messages["unique"] % {
        "model_name": Customer._meta.verbose_name,
        "field_label": field.verbose_name,
    }
    return ValidationError({"external_id": message}, code="unique")


def filter_choices_changed() -> None:
    """Users or tags were added, changed or removed: once the transaction commits, forget
    the lists' cached owner and tag choices (``selectors.filter_choices``)."""
    transaction.on_commit(lambda: cache.delete(selectors.FILTER_CHOICES_CACHE_KEY))


def _bulk_clean(customer: Customer) -> None:
    # The table's one check constraint (a cost override not negative) is the field's own
    # validator too, and the table enforces it: not run as a query a customer.
    customer.full_clean(exclude=_BULK_LOADED, validate_unique=False, validate_constraints=False)


def _tags_by_name(names: Iterable[str]) -> dict[str, Tag]:
    """{lower-cased name: tag} for ``names``, matched case-insensitively; the missing ones
    created. Two queries, whatever the number of names."""
    wanted = {name.lower(): name for name in names}
    if not wanted:
        return {}
    found: dict[str, Tag] = {
        tag.name.lower(): tag
        for tag in Tag.objects.annotate(lowered=Lower("name")).filter(lowered__in=wanted)
    }
    missing = [Tag(name=name) for key, name in wanted.items() if key not in found]
    for tag in Tag.objects.bulk_create(missing):
        found[tag.name.lower()] = tag
    if missing:
        filter_choices_changed()
    return found


@transaction.atomic
def customers_save_bulk(
    *,
    user: Actor,
    creates: Sequence[Mapping[str, Any]] = (),
    updates: Sequence[tuple[Customer, Mapping[str, Any]]] = (),
) -> list[Customer]:
    """Create customers from ``creates`` and change ``updates`` ((customer, fields)), all
    or nothing, with the rules of ``customer_create`` and ``customer_update`` (fields from
    CUSTOMER_FIELDS, and ``tags``: names, None keeps them), in a fixed number of queries
    whatever their number. The caller loaded the owners, campaigns and referrers the items
    name; unique external ids are checked here for the whole batch. ItemsInvalid lists
    each invalid item by index: the creates first, then the updates. Returns the customers,
    saved, in that order. Bulk writes send no ``post_save``: the caller marks the customers
    for recalculation and records the events, as imports do."""
    items: list[tuple[Customer | None, Mapping[str, Any]]] = [
        *((None, fields) for fields in creates),
        *updates,
    ]
    for existing, fields in items:
        service = "customer_create" if existing is None else "customer_update"
        check_fields(
            {k: v for k, v in fields.items() if k != "tags"}, CUSTOMER_FIELDS, service=service
        )
    if creates:
        require_permission(user, "customers.add_customer")
    if updates:
        require_customer_access(
            user=user,
            customers=[customer for customer, _fields in updates],
            permission="customers.change_customer",
        )
    now = timezone.now()
    errors: dict[int, ValidationError] = {}
    saved: list[tuple[int, Customer, list[str] | None]] = []
    changed_fields: set[str] = set()
    for index, (existing, given) in enumerate(items):
        fields = dict(given)
        names = fields.pop("tags", None)
        try:
            customer = _bulk_customer(user=user, existing=existing, fields=fields, now=now)
        except PermissionDenied as exc:
            errors[index] = ValidationError({"owner": str(exc)})
            continue
        except ValidationError as exc:
            errors[index] = exc
            continue
        if existing is not None:
            changed_fields.update(fields)
        saved.append((index, customer, names))
    errors.update(_external_ids_taken(saved))
    if errors:
        raise ItemsInvalid(errors)
    new = [customer for _i, customer, _n in saved if customer.pk is None]
    changed = [customer for _i, customer, _n in saved if customer.pk is not None]
    new = bulk_create_with_history(new, Customer, batch_size=BULK_BATCH, default_user=user)
    if changed:
        bulk_update_with_history(
            changed,
            Customer,
            sorted(changed_fields | {"updated_at"}),
            batch_size=BULK_BATCH,
            default_user=user,
        )
    customers = new + changed
    _tags_set(
        [(customer, names) for customer, (_i, _c, names) in zip(customers, saved, strict=True)]
    )
    regions_changed(customers=customers)
    return customers


def _bulk_customer(
    *, user: Actor, existing: Customer | None, fields: dict[str, Any], now: datetime
) -> Customer:
    """The customer ``customer_create`` or ``customer_update`` would save, checked."""
    if existing is None:
        if not is_system(user) and not user.has_perm("customers.reassign_customer"):
            fields["owner"] = user
        fields.setdefault("owner", user)
        customer = Customer(**fields)
    else:
        customer = existing
        if "owner" in fields:
            _check_owner_change(user=user, customer=customer, owner=fields["owner"])
        for name, value in fields.items():
            setattr(customer, name, value)
        # bulk_update does not set auto_now fields; a sync by updated_since needs it.
        customer.updated_at = now
    _bulk_clean(customer)
    return customer


def _external_ids_taken(
    saved: Sequence[tuple[int, Customer, Any]],
) -> dict[int, ValidationError]:
    """The items whose external id another customer has, in the table or earlier in the
    batch (one query)."""
    wanted = {customer.external_id for _i, customer, _n in saved if customer.external_id}
    owners = dict(Customer.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    errors: dict[int, ValidationError] = {}
    seen: set[str] = set()
    for index, customer, _names in saved:
        external_id = customer.external_id
        if not external_id:
            continue
        if external_id in seen or owners.get(external_id, customer.pk) != customer.pk:
            errors[index] = _external_id_taken(external_id)
        seen.add(external_id)
    return errors


def _tags_set(customers: Sequence[tuple[Customer, list[str] | None]]) -> None:
    """Set the tags of the customers given names (None: keep theirs), set-based."""
    given = [(customer, names) for customer, names in customers if names is not None]
    if not given:
        return
    tags = _tags_by_name(name for _customer, names in given for name in names)
    through = Customer.tags.through
    through.objects.filter(customer_id__in=[customer.pk for customer, _names in given]).delete()
    through.objects.bulk_create(
        [
            through(customer_id=customer.pk, tag_id=tags[name.lower()].pk)
            for customer, names in given
            for name in dict.fromkeys(names)
        ],
        batch_size=BULK_BATCH,
        ignore_conflicts=True,
    )
