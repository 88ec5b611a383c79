"""Reads behind the customer-facing value pages: one customer's score and history, whom to
call next, and the high-value detractors. Every list starts from
``customers.selectors.customers_visible_to``, so a rep only ever sees their own customers."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F, FloatField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast

from core.db import checked_apart
from core.pagination import Keyset
from core.types import AnyUser
from customers.models import Customer
from customers.selectors import (
    can_see_all_customers,
    customer_rows_visible_to,
    customers_visible_to,
    one_book,
    owner_copies_visible_to,
)
from orders.models import Order
from surveys.models import Survey
from surveys.selectors import responses_visible_to
from valuemodels.company import DETRACTOR

from . import explain
from .models import CustomerScore, DirtyCustomer, ModelFit, PopulationStats, ScoreSnapshot

HIGH_VALUE_TIERS = ("A", "B")
# Churn risk from which a high-value customer is worth a call even if it did not rise.
CALL_CHURN_RISK = 0.5
# Both lists page by keyset in the order their partial indexes hold (metrics 0010 and 0022:
# the most first, blanks last, then the customers by id), so a page deep in a manager's
# list of hundreds of thousands costs what the first does: by OFFSET, page 2,000 of Call
# next read 100,000 rows first (782 ms at 1M, issue 14).
CALL_NEXT_ORDER = Keyset(
    name="call-next",
    key="at_stake",
    descending=True,
    nullable=True,
    then="value_score",
    pk_descending=False,
    blanks_last_in_index=True,
)
# A tier comes with a value score (metrics.engine), so the detractors have no blanks to read.
DETRACTORS_ORDER = Keyset(
    name="detractors",
    key="value_score",
    descending=True,
    pk_descending=False,
    blanks_last_in_index=True,
)
# The Value tab's chart: a year, at most 90 daily and 40 weekly points once thinned.
HISTORY_DAYS = 365
# "Since last month": the trend compares the score with the one this many days earlier.
TREND_DAYS = 30


def score_of(customer: Customer) -> CustomerScore | None:
    return CustomerScore.objects.filter(customer=customer).first()


def score_history(
    customer: Customer, *, today: date | None = None, days: int = HISTORY_DAYS
) -> list[tuple[date, float | None]]:
    """(as_of, value_score) of the customer's snapshots of the ``days`` up to ``today`` (the
    latest snapshot's day when not given), oldest first: daily for the last 90 days, then
    weekly as the history is thinned (metrics.retention). A score is never None here; the
    type is the column's."""
    rows = ScoreSnapshot.objects.filter(customer=customer, value_score__isnull=False)
    if today is None:
        latest = rows.order_by("-as_of").values_list("as_of", flat=True).first()
        if latest is None:
            return []
        today = latest
    return list(
        rows.filter(as_of__gt=today - timedelta(days=days), as_of__lte=today)
        .order_by("as_of")
        .values_list("as_of", "value_score")
    )


def score_a_month_before(customer: Customer, as_of: date) -> tuple[date, float | None] | None:
    """(as_of, value_score) of the latest snapshot at least ``TREND_DAYS`` before ``as_of``:
    what "since last month" compares with. None without such history (a score is never
    None here; the type is the column's)."""
    return (
        ScoreSnapshot.objects.filter(
            customer=customer,
            as_of__lte=as_of - timedelta(days=TREND_DAYS),
            value_score__isnull=False,
        )
        .order_by("-as_of")
        .values_list("as_of", "value_score")
        .first()
    )


def recalculation_pending(customer_id: int) -> bool:
    """Whether a change to the customer (an order, a cost, an answer) still waits for its
    incremental recalculation: its ``DirtyCustomer`` mark is deleted once that has run."""
    return DirtyCustomer.objects.filter(customer_id=customer_id).exists()


def score_version(customer_id: int) -> str:
    """A token that changes whenever the customer's stored score is rewritten (a full run or
    an incremental update sets ``computed_at``): what the "recalculating…" poll compares."""
    computed = (
        CustomerScore.objects.filter(customer_id=customer_id)
        .values_list("computed_at", flat=True)
        .first()
    )
    return version_token(computed)


def version_token(computed_at: datetime | None) -> str:
    return "none" if computed_at is None else str(round(computed_at.timestamp() * 1_000_000))


def fits_of_run(run_id: int) -> dict[str, ModelFit]:
    """{ModelFit.Kind: fit} recorded by one run."""
    return {fit.kind: fit for fit in ModelFit.objects.filter(run_id=run_id)}


@dataclass(frozen=True)
class ValueExplanation:
    """Why a customer scores what it does: what the Value tab and the API's explanation show."""

    parameters: dict[str, Any]  # the run's parameters ({} before any run)
    explained: explain.ScoreExplanation
    clv_reason: str
    clv_detail: str
    churn_rule: str


def value_explanation(
    score: CustomerScore, stats: PopulationStats | None, *, churned: bool
) -> ValueExplanation:
    parameters = stats.data.get("parameters", {}) if stats else {}
    reason, detail = explain.clv_method_reason(score, fits_of_run(stats.run_id) if stats else {})
    return ValueExplanation(
        parameters=parameters,
        explained=explain.score_explanation(score, parameters),
        clv_reason=reason,
        clv_detail=detail,
        churn_rule=explain.churn_rule(
            score,
            churned=churned,
            inactivity_days=parameters.get("churn_inactivity_days", 365),
        ),
    )


def has_purchase_on(*, customer_id: int, day: date) -> bool:
    """Whether the customer already bought that day (a second order the same day is not a
    second purchase for the models)."""
    return Order.objects.purchases().filter(customer_id=customer_id, ordered_on=day).exists()


def scores_visible_to(user: AnyUser) -> QuerySet[CustomerScore]:
    """The current scores of the customers ``user`` can see: everyone's as they are (a
    score's customer always exists), with no semi-join to the customers."""
    if can_see_all_customers(user):
        return customer_rows_visible_to(CustomerScore.objects.all(), user)
    return CustomerScore.objects.filter(customer__in=customers_visible_to(user))


def scores_owned_visible_to(user: AnyUser) -> QuerySet[CustomerScore]:
    """The rows of ``scores_visible_to`` for an aggregate, a rep's found by the owner copied
    onto the score row (``CustomerScore.customer_owner``) alone: one range of the index led
    by it, read without the table (``score_owner_figures``), instead of probing the scores
    once per customer. Unlike the lists, it does not check each customer again, so a copy
    left stale by a write that bypassed the services counts a customer for their former
    owner until the next recalculation."""
    return owner_copies_visible_to(CustomerScore.objects.all(), user)


def book_scores_visible_to(
    user: AnyUser, owner: int, *, walked: bool = False
) -> QuerySet[CustomerScore]:
    """The rows of ``scores_visible_to`` of the customers ``owner`` owns (a rep's own book,
    or a manager's owner filter), found by the owner copied onto the score row
    (``CustomerScore.customer_owner``) too, which leads indexes of their own (metrics
    0019). The customers are checked as well, so a copy left stale by a write that
    bypassed the services only hides a customer until the next recalculation, never shows
    another owner's.

    ``walked``: the rows are read along such an index in a figure's order. Each row read
    is then checked by a condition PostgreSQL does not turn into a join: joined, it takes
    the copy and the customers' owner for independent filters, expects a few dozen of the
    book's thousands of rows, and sorts the whole book for each page (issue 14). Otherwise
    the join is the better plan: no index holds a book by id or date, and the book is read
    from the copy's index and sorted."""
    customers = customers_visible_to(user).filter(owner_id=owner)
    scores = CustomerScore.objects.filter(customer_owner_id=owner)
    if not walked:
        return scores.filter(customer__in=customers)
    return scores.filter(checked_apart(customers, "customer_id"))


def _scores_visible_to(user: AnyUser, owner: int | None = None) -> QuerySet[CustomerScore]:
    scores = scores_visible_to(user)
    if owner:
        scores = scores.filter(customer__owner_id=owner)
    return scores.select_related("customer", "customer__owner")


def call_next(*, user: AnyUser, owner: int | None = None) -> QuerySet[CustomerScore]:
    """Tier A and B customers whose churn risk rose since the previous calculation or is
    high, the most value at stake first: loss value (what losing them costs) times churn risk.

    Everyone's list is read in order from the partial index of metrics/migrations/0010 (its
    expression and filter are these), so its first page costs the same at any size. One
    person's book (a rep's, or the ``owner`` filter) is read in order from the index of
    metrics/migrations/0022, led by the owner copied onto the score: it orders by the same
    product written the other way round, which everyone's index does not hold, so that
    the database never walks everyone's rows in order until enough are that person's
    (through all of them for a book with few, issue 14)."""
    loss = Cast("loss_value", FloatField())
    book = one_book(user, owner)
    if book:
        scores = book_scores_visible_to(user, book, walked=True).select_related(
            "customer", "customer__owner"
        )
        at_stake = F("churn_risk") * loss
    else:
        scores = _scores_visible_to(user)
        at_stake = loss * F("churn_risk")
    return (
        scores.filter(tier__in=HIGH_VALUE_TIERS, churn_risk__isnull=False)
        .filter(Q(churn_risk__gt=F("previous_churn_risk")) | Q(churn_risk__gte=CALL_CHURN_RISK))
        .annotate(at_stake=at_stake)
        .order_by(*CALL_NEXT_ORDER.ordering())
    )


def high_value_detractors(*, user: AnyUser, owner: int | None = None) -> QuerySet[CustomerScore]:
    """Tier A and B customers whose latest NPS answer is a detractor's, each annotated in
    the same query with that answer's score, comment and follow-up task."""
    latest = (
        responses_visible_to(user)
        .filter(
            invitation__customer_id=OuterRef("customer_id"),
            invitation__survey__kind=Survey.Kind.NPS,
        )
        .order_by("-updated_at", "-id")
    )

    def answer(field: str) -> Subquery:
        return Subquery(latest.values(field)[:1])

    return (
        _scores_visible_to(user, owner)
        .filter(tier__in=HIGH_VALUE_TIERS, nps_category=DETRACTOR, value_score__isnull=False)
        .annotate(
            nps_score=answer("score"),
            nps_comment=answer("comment"),
            nps_answered_at=answer("updated_at"),
            follow_up_id=answer("follow_up_task_id"),
            follow_up_done=answer("follow_up_task__done"),
            follow_up_due_on=answer("follow_up_task__due_on"),
        )
        .order_by(*DETRACTORS_ORDER.ordering())
    )
