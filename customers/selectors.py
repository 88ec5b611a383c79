"""Reads of customer data. ``customers_visible_to`` is the single door: pages, exports,
search and the API all start from it, so a rep never sees another rep's customers
anywhere. The scopes derived from it (``contacts_visible_to``, ``activities_visible_to``)
live beside it, once."""

import heapq
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from core.db import among, checked_apart
from core.pagination import Keyset
from core.people import person
from core.types import AnyUser
from core.types import User as UserModel

from .models import Activity, ActivityQuerySet, Contact, Customer, Tag

User = get_user_model()
M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=QuerySet[Any])

# The list's sorts: what each orders by, and whether it can be blank. A customer without a
# score (a lead, or none calculated yet) sorts last whichever the direction, so "highest
# score first" never starts with blanks. Each has an index in its keyset order: on the
# customers table (name, created) or on the score table (score, churn risk, revenue).
LIST_SORTS = {
    "name": ("name", False),
    "created": ("created_at", False),
    "score": ("score__value_score", True),
    "churn": ("score__churn_risk", True),
    "revenue": ("score__revenue", True),
}
TIERS = ("A", "B", "C")
# Where ``tags_attach`` puts a listed customer's tag names.
TAG_LIST = "tag_list"
# Churn risk bands of the list filter: (lowest included, highest excluded).
CHURN_RISK_BANDS = {"high": (0.7, None), "medium": (0.3, 0.7), "low": (None, 0.3)}


def can_see_all_customers(user: AnyUser) -> bool:
    return user.has_perm("customers.view_all_customers")


def can_see_customers(user: AnyUser) -> bool:
    return user.is_authenticated and user.has_perm("customers.view_customer")


def customers_visible_to(user: AnyUser) -> QuerySet[Customer]:
    if not can_see_customers(user):
        return Customer.objects.none()
    if can_see_all_customers(user):
        return Customer.objects.all()
    return Customer.objects.owned_by(user)


def owner_copies_visible_to(rows: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """``rows``, of a model carrying a copy of its customer's owner (``customer_owner``),
    limited to the customers ``user`` sees by that copy alone: everyone's, or their own
    (``Customer.objects.owned_by``). For aggregates read from one range of an index led by
    the copy; a copy left stale by a write that bypassed the services counts a customer for
    their former owner until it is written again."""
    if not can_see_customers(user):
        return rows.none()
    if can_see_all_customers(user):
        return rows
    return rows.filter(customer_owner_id=user.pk)


def contacts_visible_to(user: AnyUser) -> QuerySet[Contact]:
    """The contacts of the customers ``user`` can see: everyone's as they are (a
    contact's customer always exists), with no semi-join to the customers."""
    if can_see_all_customers(user):
        return customer_rows_visible_to(Contact.objects.all(), user)
    return Contact.objects.filter(customer__in=customers_visible_to(user))


def customer_rows_visible_to(rows: R, user: AnyUser, *, walked: bool = False) -> R:
    """``rows``, of a model with a ``customer``, limited to the customers ``user`` sees:
    everyone's as they are, or those of their own customers found customer by customer
    (``core.db.among``), not by a semi-join that walks the list's own index.

    ``walked``: rows the caller reads along an index led by a filter of their own that
    leaves few rows of other customers (a user's own tasks, by assignee), each row's
    customer checked apart (``core.db.checked_apart``) as the walk meets it. Customer by
    customer, a rep's open tasks were all read and sorted for each page of "My tasks"
    (60 ms for 9,500 tasks at 200,000 customers; walked, under 4 ms)."""
    if not can_see_customers(user):
        return rows.none()
    if can_see_all_customers(user):
        return rows
    if walked:
        return rows.filter(checked_apart(customers_visible_to(user), "customer_id"))
    return rows.filter(among("customer_id", customers_visible_to(user)))


def activities_visible_to(user: AnyUser) -> ActivityQuerySet:
    """The activities and tasks of the customers ``user`` can see."""
    return customer_rows_visible_to(Activity.objects.all(), user)


def customer_get(*, user: AnyUser, customer_id: int) -> Customer:
    """The customer, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(customers_visible_to(user), pk=customer_id)


def customer_list(
    *,
    user: AnyUser,
    search: str = "",
    owner: int | None = None,
    status: str = "",
    region: str = "",
    tag: str = "",
    tier: str = "",
    segment: str = "",
    churn_risk: str = "",
    sort: str = "name",
    statuses: Iterable[str] = (),
    owners: Iterable[int] = (),
    regions: Iterable[str] = (),
    tiers: Iterable[str] = (),
    segments: Iterable[str] = (),
    score_min: float | None = None,
    score_max: float | None = None,
    created_before: datetime | None = None,
    book_apart: bool = False,
) -> QuerySet[Customer]:
    """The user's customers, filtered and sorted. ``tier``, ``segment`` and ``churn_risk``
    (a CHURN_RISK_BANDS key) filter on the customer's current value score, as do the lists
    ``tiers``, ``segments`` and the inclusive range ``score_min``..``score_max``; the other
    lists keep the customers whose field is any of the values; ``created_before`` is
    exclusive. Filtering never widens the user's scope: another rep's id finds no one.

    ``book_apart``: the user's scope and the owner filter are checked for each row by a
    condition the database does not join on (``_apart``), for a walk of one owner's scores
    (``customer_list_valued``)."""
    scope = customers_visible_to(user)
    if owner:
        scope = scope.filter(owner_id=owner)
    qs = (_apart(scope) if book_apart else scope).select_related("owner", "score")
    for lookup, values in (
        ("status__in", statuses),
        ("owner_id__in", owners),
        ("region__in", regions),
        ("score__tier__in", tiers),
        ("score__segment__in", segments),
    ):
        if values:
            qs = qs.filter(**{lookup: list(values)})
    if score_min is not None:
        qs = qs.filter(score__value_score__gte=score_min)
    if score_max is not None:
        qs = qs.filter(score__value_score__lte=score_max)
    if created_before is not None:
        qs = qs.filter(created_at__lt=created_before)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
            | Q(external_id__iexact=search)
        )
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region=region)
    if tag:
        # By the tag's id, read first: the database's statistics know how many customers
        # each tag id has, not each name, and took a common tag for a rare one (sorting its
        # 200,000 customers instead of walking the sort's index: 4 s at 1M, issue 14).
        tag_id = Tag.objects.filter(name=tag).values_list("pk", flat=True).first()
        qs = qs.filter(tags=tag_id) if tag_id is not None else qs.none()
    if tier:
        qs = qs.filter(score__tier=tier)
    if segment:
        qs = qs.filter(score__segment=segment)
    if churn_risk in CHURN_RISK_BANDS:
        low, high = CHURN_RISK_BANDS[churn_risk]
        if low is not None:
            qs = qs.filter(score__churn_risk__gte=low)
        if high is not None:
            qs = qs.filter(score__churn_risk__lt=high)
    by_score = bool(
        tier
        or segment
        or churn_risk in CHURN_RISK_BANDS
        or tiers
        or segments
        or score_min is not None
        or score_max is not None
    )
    book = one_book(user, owner)
    if by_score and book is not None:
        # One owner's book filtered by a score figure: the scores carry the owner (a copy,
        # metrics 0018), so the database starts from that owner's few scores instead of
        # probing the score of each of their customers; a rep's capped count by tier read
        # all 5,000 (195 → 28 ms at 1M). A stale copy only hides a customer, as in
        # customer_list_order's score sorts.
        qs = qs.filter(score__customer_owner=book)
    return qs.order_by(*customer_list_order(sort).ordering())


# What a row of the customer list shows (customers/templatetags/customer_rows.py): reading
# only these leaves out two thirds of the columns of the three tables it joins (issue 14).
LIST_ROW_FIELDS = (
    "name",
    "status",
    "region",
    "email",
    "created_at",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "score__value_score",
    "score__tier",
    "score__churn_risk",
    "score__revenue",
)


def customer_list_order(
    sort: str, *, book: int | None = None, by_score_group: bool = False, status: str = ""
) -> Keyset:
    """The list's order for a ``sort`` from a query string: a LIST_SORTS key, "-" first
    for descending; anything else is by name, A to Z. ``book``: the list holds one owner's
    customers (a rep's list, or the owner filter), this user id; a score sort walks the
    owner's scores in order, from an index led by the owner copied onto the score row
    (``CustomerScore.customer_owner``), instead of walking everyone's scores and keeping
    one in 200, or sorting the whole book for each page (issue 14). ``by_score_group``: a
    tier or segment filter, which few blanks match (none, as a tier comes with a score): one
    owner's book and these read their blanks whole, sorted (``Keyset.sort_blanks``).

    A score figure's blanks are read in two parts, each from a small partial index: the
    customers whose score lacks the figure (metrics 0013), and those not known to have a
    score row at all (``Customer.is_scored``), of whom those without one are the blanks.

    ``status``: the list keeps the customers of that status; over everyone's scores, the
    scored ones are read from an index led by the status copied onto the score row
    (``CustomerScore.customer_status``), as the customers' own status is also filtered on."""
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in LIST_SORTS:
        name, descending = "name", False
    key, nullable = LIST_SORTS[name]
    blank_parts: tuple[Q, ...] = ()
    scored_status = None
    valued_filter = None
    if key.startswith("score__"):
        # A stale copy can only hide a customer: the list filters on the customer too.
        if book is not None:
            valued_filter = Q(score__customer_owner=book)
        elif status:
            scored_status = valued_filter = Q(score__customer_status=status)
    if nullable:
        blank_parts = (
            Q(score__isnull=False, **{f"{key}__isnull": True}) & (scored_status or Q()),
            Q(is_scored=False, score__isnull=True),
        )
    return Keyset(
        name=f"-{name}" if descending else name,
        key=key,
        descending=descending,
        nullable=nullable,
        blank_parts=blank_parts,
        sort_blanks=nullable and (book is not None or by_score_group),
        valued_filter=valued_filter,
        # A score figure's indexes hold the score row's copy of the customer id.
        tie="score__customer_id" if key.startswith("score__") else "pk",
    )


def _apart(scope: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers of ``scope``, each checked apart (``core.db.checked_apart``): it
    expected 21 of a rep's 5,000 scored customers and sorted them all for each page (9 ms at
    1M, more for a bigger book) instead of walking the owner's scores in order."""
    return Customer.objects.filter(checked_apart(scope, "pk"))


def customer_list_valued(*, user: AnyUser, filters: Mapping[str, Any]) -> QuerySet[Customer] | None:
    """For one owner's list by a score figure: the list ``customer_list(user=user,
    **filters)`` makes, its scope checked apart (``_apart``), whose rows with the figure are
    read along the owner's scores (``customer_list_order``); None for any other list, and
    under a tag or a search, which leave few of the book: those are found first and sorted
    (a walk checked a rep's scores one by one for a tag's few: 41 → 48 ms at 1M)."""
    keyset = customer_list_keyset(user=user, filters=filters)
    if (
        one_book(user, filters.get("owner")) is None
        or not keyset.key.startswith("score__")
        or filters.get("tag")
        or filters.get("search", "").strip()
    ):
        return None
    return customer_list(user=user, book_apart=True, **filters)


def one_book(user: AnyUser, owner: int | None) -> int | None:
    """The one owner whose customers a list holds: the owner filter's, or a rep's own; None
    for everyone's."""
    return owner or (None if can_see_all_customers(user) else user.pk)


def customer_list_keyset(*, user: AnyUser, filters: Mapping[str, Any]) -> Keyset:
    """``customer_list_order`` for the list ``customer_list(user=user, **filters)`` makes."""
    return customer_list_order(
        filters.get("sort") or "name",
        book=one_book(user, filters.get("owner")),
        by_score_group=bool(
            filters.get("tier") or filters.get("segment") or filters.get("churn_risk")
        ),
        status=filters.get("status") or "",
    )


def contacts_of(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer)


def activities_of(customer: Customer) -> QuerySet[Activity]:
    return Activity.objects.filter(customer=customer).select_related("author", "assignee")


# "My tasks", soonest due first, paged by keyset along the partial index of open tasks by
# assignee (activity_open_task_due_id, customers 0013). Every way of making a task gives it
# a due date, but the column allows none: such a task comes last, as it always has.
TASKS_ORDER = Keyset(name="open-tasks", key="due_on", nullable=True)


def open_tasks_for(*, user: AnyUser) -> QuerySet[Activity]:
    """The user's open tasks, on customers they can still see, soonest due first
    (``TASKS_ORDER``)."""
    return (
        customer_rows_visible_to(Activity.objects.open_tasks(), user, walked=True)
        .filter(assignee=user)
        .select_related("customer")
        .order_by(*TASKS_ORDER.ordering())
    )


def assignable_users() -> QuerySet[UserModel]:
    return get_user_model().objects.filter(is_active=True).order_by("username")


# The owner and tag filters of the lists: two queries on every page of a list (about a tenth
# of a manager's list request, issue 14), for rows that change seldom. Kept in the cache
# and dropped when a user or tag is saved or deleted (customers.receivers) or tags are made
# in bulk (services.filter_choices_changed).
FILTER_CHOICES_CACHE_KEY = "customers:filter-choices"
FILTER_CHOICES_CACHE_SECONDS = 600


@dataclass(frozen=True)
class FilterChoices:
    owners: list[tuple[int, str]]  # (user id, full name or username), by username
    tags: list[str]  # A to Z


def filter_choices() -> FilterChoices:
    """The people a customer can be assigned to and every tag, for the list filters."""
    choices = cache.get(FILTER_CHOICES_CACHE_KEY)
    if choices is None:
        owners = [(user.pk, person(user)) for user in assignable_users()]
        choices = FilterChoices(owners=owners, tags=list(tag_names()))
        cache.set(FILTER_CHOICES_CACHE_KEY, choices, FILTER_CHOICES_CACHE_SECONDS)
    return choices


# Every customer's regions, for the list's filter: a DISTINCT over a million customers took
# 117-154 ms, most of a manager's list page (issue 14). Kept in the cache and dropped when a
# write gives a customer a region not in it (services.regions_changed); a region nobody
# has any more stays listed until the cache expires (filtering by it finds no one). A rep's
# own, read from their 5,000 customers, took 2-3 ms of each of their list pages, the one
# query a manager's has not: kept per owner (``owner_regions_key``) the same way.
REGIONS_CACHE_KEY = "customers:regions-in-use"
REGIONS_CACHE_SECONDS = 600


def owner_regions_key(owner_id: int) -> str:
    return f"customers:regions-of:{owner_id}"


def _regions(customers: QuerySet[Customer]) -> list[str]:
    return list(
        customers.exclude(region="").order_by("region").values_list("region", flat=True).distinct()
    )


def regions_in_use(user: AnyUser) -> list[str]:
    """The regions of the customers ``user`` can see, A to Z, from the cache: everyone's,
    or a rep's own."""
    customers: QuerySet[Customer]
    if can_see_all_customers(user):
        key, customers = REGIONS_CACHE_KEY, Customer.objects.all()
    elif user.pk is None:
        return []  # nobody signed in sees no customer
    else:
        key, customers = owner_regions_key(user.pk), customers_visible_to(user)
    regions = cache.get(key)
    if regions is None:
        regions = _regions(customers)
        cache.set(key, regions, REGIONS_CACHE_SECONDS)
    return regions


def contact_get(*, customer: Customer, contact_id: int) -> Contact:
    return get_object_or_404(contacts_of(customer), pk=contact_id)


def primary_contact(customer: Customer) -> Contact | None:
    return contacts_of(customer).filter(is_primary=True).first()


def task_get(*, user: AnyUser, task_id: int) -> Activity:
    """A task on a customer the user can see, or 404."""
    return get_object_or_404(
        activities_visible_to(user)
        .filter(kind=Activity.Kind.TASK)
        .select_related("customer", "author", "assignee"),
        pk=task_id,
    )


def tags_attach(customers: Sequence[Customer]) -> None:
    """Each customer's tag names, A to Z, as a plain list on ``customer.tag_list``, read in
    one query for a page of customers. Not Django's prefetch: it makes a Tag, a related
    manager and a queryset for every row, more than the rest of a row costs, and half a list
    page's time in the database layer (issue 14)."""
    names: dict[int, list[str]] = {customer.pk: [] for customer in customers}
    if names:
        pairs = (
            Customer.tags.through.objects.filter(customer_id__in=names)
            .order_by("tag__name", "tag_id")
            .values_list("customer_id", "tag__name")
        )
        for customer_id, name in pairs:
            names[customer_id].append(name)
    for customer in customers:
        setattr(customer, TAG_LIST, names[customer.pk])


def tag_names() -> QuerySet[Tag, str]:
    return Tag.objects.order_by("name").values_list("name", flat=True)


def customer_related_counts(customer: Customer) -> dict[str, int]:
    """What goes with a customer when it is deleted or merged away."""
    return {
        "contacts": customer.contacts.count(),
        "activities": customer.activities.count(),
        "orders": customer.orders.count(),
        "referrals": customer.referrals.count(),
    }


def merge_candidates(
    *, user: AnyUser, survivor: Customer, search: str, limit: int = 20
) -> QuerySet[Customer]:
    """Customers the user could merge into ``survivor``, by name, email or external id."""
    search = search.strip()
    if not search:
        return Customer.objects.none()
    return (
        customers_visible_to(user)
        .exclude(pk=survivor.pk)
        .filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(external_id__iexact=search)
        )
        .select_related("owner")
        .order_by("name", "id")[:limit]
    )


class HistoryFeed:
    """A customer's and its contacts' history records, newest first.

    Sliceable like a queryset, so ``core.pagination.paginate`` pages it without COUNT:
    a slice reads at most ``stop`` rows from each history table and merges them.
    """

    def __init__(self, customer: Customer) -> None:
        order = ("-history_date", "-history_id")
        self.sources = [
            customer.history.select_related("history_user").order_by(*order),
            Contact.history.filter(customer_id=customer.pk)
            .select_related("history_user")
            .order_by(*order),
        ]

    def __getitem__(self, window: slice) -> list[Any]:
        rows = heapq.merge(
            *(source[: window.stop] for source in self.sources),
            key=lambda record: (record.history_date, record.history_id),
            reverse=True,
        )
        return list(itertools.islice(rows, window.start, window.stop))


def customer_history(customer: Customer) -> HistoryFeed:
    return HistoryFeed(customer)


@dataclass
class HistoryEntry:
    record: object
    subject: str
    action: str
    changes: list["FieldChange"]


@dataclass
class FieldChange:
    label: str
    old: object
    new: object


def _related_names(
    *, user: AnyUser, records_changes: Iterable[tuple[Any, list[Any]]]
) -> dict[tuple[type[Model], Any], str]:
    """{(model, pk): label} for the foreign keys in the changes, read in one query per model.

    Customers go through the visibility door: a rep sees "#id" for someone else's customer.
    """
    wanted: dict[type[Model], set[Any]] = {}
    for record, changes in records_changes:
        for change in changes:
            field = record.instance_type._meta.get_field(change.field)
            if field.is_relation:
                wanted.setdefault(field.related_model, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
    names: dict[tuple[type[Model], Any], str] = {}
    for model, pks in wanted.items():
        source = customers_visible_to(user) if model is Customer else model._default_manager
        for pk, obj in source.in_bulk(pks).items():
            names[(model, pk)] = (
                (obj.get_full_name() or obj.get_username()) if isinstance(obj, User) else str(obj)
            )
    return names


def _display(field: Any, value: Any, names: Mapping[tuple[type[Model], Any], str]) -> Any:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return names.get((field.related_model, value), f"#{value}")
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return value


def history_entries(*, user: AnyUser, records: Iterable[Any]) -> list[HistoryEntry]:
    """What each history record changed, field by field, ready to show."""
    actions = {"+": gettext("created"), "~": gettext("changed"), "-": gettext("deleted")}
    records_changes: list[tuple[Any, list[Any]]] = []
    for record in records:
        changes: list[Any] = []
        if record.history_type == "~":
            previous = record.prev_record
            if previous is not None:
                changes = record.diff_against(previous).changes
        records_changes.append((record, changes))
    names = _related_names(user=user, records_changes=records_changes)
    entries: list[HistoryEntry] = []
    for record, changes in records_changes:
        meta = record.instance_type._meta
        subject = (
            gettext("Customer")
            if record.instance_type is Customer
            else f"{meta.verbose_name.capitalize()}: {record.name}"
        )
        fields = [(meta.get_field(change.field), change) for change in changes]
        entries.append(
            HistoryEntry(
                record=record,
                subject=subject,
                action=actions[record.history_type],
                changes=[
                    FieldChange(
                        label=field.verbose_name.capitalize(),
                        old=_display(field, change.old, names),
                        new=_display(field, change.new, names),
                    )
                    for field, change in fields
                ],
            )
        )
    return entries
