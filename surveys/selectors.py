"""Reads of surveys, their audiences and results.

Every survey is visible to whoever may view surveys; the *answers* are customer data, so
invitations and responses are always read through ``customers_visible_to``: a rep's results
cover their own customers, a manager's everybody.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, TruncMonth, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, pgettext

from core.pagination import Keyset
from core.people import person
from core.types import AnyUser
from customers.models import Customer
from customers.selectors import customers_visible_to
from orders.models import Order
from valuemodels.company import (
    csat_from_counts,
    csat_margin_of_error,
    nps_from_counts,
    nps_margin_of_error,
    response_rate,
)
from valuemodels.labels import TIER_CHOICES, segment_label
from valuemodels.rfm import SEGMENTS

from .models import Invitation, InvitationQuerySet, Response, Survey, band_filter, band_labels

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

SAMPLE_SIZE = 10
EXPORT_CHUNK = 1000
MAX_LIST_ENTRIES = 10_000
BANDS = ("good", "neutral", "bad")


# --- Surveys ---------------------------------------------------------------------------


def surveys_visible_to(user: AnyUser) -> QuerySet[Survey]:
    if not user.is_authenticated or not user.has_perm("surveys.view_survey"):
        return Survey.objects.none()
    return Survey.objects.all()


def survey_get(*, user: AnyUser, survey_id: int) -> Survey:
    return get_object_or_404(surveys_visible_to(user), pk=survey_id)


def survey_list(*, user: AnyUser, status: str = "") -> QuerySet[Survey]:
    qs = surveys_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def surveys_due_to_start(*, now: datetime) -> list[int]:
    return list(
        Survey.objects.filter(status=Survey.Status.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "id")
        .values_list("pk", flat=True)
    )


def surveys_with_stalled_sends(*, since: datetime) -> list[int]:
    """Surveys whose sending stopped half-way (a dead or frozen worker, a lost message):
    invitations still pending, and no sign of a sender since ``since`` (the survey started,
    an invitation was created or claimed)."""
    recent = Invitation.objects.filter(
        Q(claimed_at__gte=since) | Q(created_at__gte=since), survey=OuterRef("pk")
    )
    return list(
        Survey.objects.filter(
            status__in=[Survey.Status.SENDING, Survey.Status.OPEN],
            invitations__state=Invitation.State.PENDING,
        )
        .exclude(started_at__gte=since)
        .exclude(Exists(recent))
        .distinct()
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    skipped: int
    interrupted: int

    @property
    def done(self) -> int:
        return self.total - self.pending - self.sending

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def survey_progress(survey: Survey) -> Progress:
    counts = dict(
        survey.invitations.order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return Progress(
        total=sum(counts.values()),
        **{state: counts.get(state, 0) for state in Invitation.State.values},
    )


def failed_invitations(survey: Survey, limit: int = 20) -> QuerySet[Invitation]:
    return (
        survey.invitations.filter(state__in=[Invitation.State.FAILED, Invitation.State.INTERRUPTED])
        .select_related("customer")
        .order_by("id")[:limit]
    )


# --- Invitations and responses ---------------------------------------------------------


def invitations_visible_to(user: AnyUser) -> InvitationQuerySet:
    if not user.has_perm("surveys.view_invitation"):
        return Invitation.objects.none()
    return Invitation.objects.filter(customer__in=customers_visible_to(user))


def responses_visible_to(user: AnyUser) -> QuerySet[Response]:
    if not user.has_perm("surveys.view_response"):
        return Response.objects.none()
    return Response.objects.filter(invitation__customer__in=customers_visible_to(user))


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("survey", "customer").filter(token=token).first()


def customer_survey_history(*, user: AnyUser, customer: Customer) -> QuerySet[Invitation]:
    """A customer's invitations, newest first, each with its survey and answer."""
    return (
        invitations_visible_to(user)
        .filter(customer=customer)
        .select_related("survey", "response")
        .order_by("-created_at", "-id")
    )


# --- Audience --------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;]+")
_HEADER_CELLS = {"email", "e-mail", "external_id", "external id", "id"}


def parse_entries(text: str | None) -> list[str]:
    """Emails or external ids pasted in any mix of lines, commas, semicolons or spaces,
    de-duplicated in order (emails case-insensitively)."""
    return dedupe_entries(_SEPARATORS.split(text or ""))


def parse_uploaded_entries(content: str) -> list[str]:
    """The first column of an uploaded CSV or text file; a header row is skipped."""
    rows = csv.reader(io.StringIO(content), delimiter=_guess_delimiter(content))
    cells = [row[0] for row in rows if row]
    if cells and cells[0].strip().lower() in _HEADER_CELLS:
        cells = cells[1:]
    return dedupe_entries(cells)


def _guess_delimiter(content: str) -> str:
    first_line = content.split("\n", 1)[0]
    return max([",", ";", "\t"], key=first_line.count)


def dedupe_entries(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        value = value.strip()
        key = value.lower() if "@" in value else value
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def _last_purchase_on() -> Subquery:
    """The day of the customer's last purchase, by the one definition the value scores use
    too (``Order.objects.purchases()``): a fully refunded order is not a purchase."""
    return Subquery(
        Order.objects.purchases()
        .filter(customer=OuterRef("pk"))
        .order_by("-ordered_on")
        .values("ordered_on")[:1]
    )


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def audience_customers(
    *, user: AnyUser, criteria: Mapping[str, Any]
) -> tuple[QuerySet[Customer], list[str]]:
    """(customers the criteria select, list entries that matched nobody).

    ``criteria`` is a survey's ``audience``: {"mode": "filters", "status", "owner",
    "campaign", "tag", "region", "last_order_after", "last_order_before", "tiers",
    "segments"} or {"mode": "list", "entries": [...]}. Missing keys do not filter.
    ``tiers`` and ``segments`` are lists matched against the customer's current value score,
    so a customer without one is left out whenever either is set.
    """
    qs = customers_visible_to(user)
    if criteria.get("mode") == "list":
        return _listed_customers(qs, criteria.get("entries") or [])
    if criteria.get("status"):
        qs = qs.filter(status=criteria["status"])
    if criteria.get("owner"):
        qs = qs.filter(owner_id=criteria["owner"])
    if criteria.get("campaign"):
        qs = qs.filter(acquired_by_campaign_id=criteria["campaign"])
    if criteria.get("tag"):
        qs = qs.filter(tags__id=criteria["tag"])
    if criteria.get("region"):
        qs = qs.filter(region=criteria["region"])
    if criteria.get("tiers"):
        qs = qs.filter(score__tier__in=criteria["tiers"])
    if criteria.get("segments"):
        qs = qs.filter(score__segment__in=criteria["segments"])
    after, before = criteria.get("last_order_after"), criteria.get("last_order_before")
    if after or before:
        qs = qs.annotate(last_order_on=_last_purchase_on())
        if after:
            qs = qs.filter(last_order_on__gte=_day(after))
        if before:
            qs = qs.filter(last_order_on__lte=_day(before))
    return qs, []


def _listed_customers(
    qs: QuerySet[Customer], entries: list[str]
) -> tuple[QuerySet[Customer], list[str]]:
    emails = {entry.lower() for entry in entries if "@" in entry}
    external_ids = {entry for entry in entries if "@" not in entry}
    qs = qs.annotate(email_lower=Lower("email")).filter(
        Q(email_lower__in=emails) | Q(external_id__in=external_ids)
    )
    found: set[str | None] = set()
    for email, external_id in qs.values_list("email_lower", "external_id"):
        found.update([email, external_id])
    unknown = [
        entry for entry in entries if (entry.lower() if "@" in entry else entry) not in found
    ]
    return qs, unknown


def recently_surveyed_customers(*, now: datetime) -> QuerySet[Invitation, dict[str, Any]]:
    since = now - timedelta(days=settings.SURVEY_RESURVEY_DAYS)
    return Invitation.objects.blocking_resurvey(since).values("customer_id")


def eligible_customers(customers: QuerySet[Customer], *, now: datetime) -> QuerySet[Customer]:
    """Those of ``customers`` who may be emailed a survey now."""
    return (
        customers.filter(marketing_opt_out=False)
        .exclude(email="")
        .exclude(pk__in=recently_surveyed_customers(now=now))
    )


# The audience preview counts this many customers at most (issue 14: counting a million
# on every change of a filter took 0.4-1.1 s; 10,000 of tier A took 0.1 s at load 9, the
# scores joined row by row); past it, it says "more than" this many match and the other
# figures, counted over the customers it did count, are "at least".
AUDIENCE_COUNT_CAP = 10_000


@dataclass
class AudiencePreview:
    """What sending would do. ``capped``: more than ``cap`` customers match, ``matched``
    is ``cap``, and the other counts are those of the customers counted, so lower bounds."""

    matched: int
    eligible: int
    opted_out: int
    no_email: int
    recently_surveyed: int
    resurvey_days: int
    unknown_entries: list[str] = field(default_factory=list)
    sample: list[Customer] = field(default_factory=list)
    capped: bool = False
    cap: int | None = AUDIENCE_COUNT_CAP


def audience_preview(
    *,
    user: AnyUser,
    criteria: Mapping[str, Any],
    now: datetime,
    cap: int | None,
    sample_size: int = SAMPLE_SIZE,
) -> AudiencePreview:
    """What sending would do: how many are emailed, a sample, and how many are left out
    for each reason (each customer counted under the first reason that applies).

    The four counts are one pass (conditional counts), not four, over at most ``cap`` + 1
    customers of the audience (a LIMITed subquery), not the whole table a big audience is
    at a million customers (issue 14). Past ``cap`` the preview is ``capped``; ``cap=None``
    counts everyone (the send confirmation, once, before emailing them)."""
    customers, unknown = audience_customers(user=user, criteria=criteria)
    reachable = Q(marketing_opt_out=False) & ~Q(email="")
    recent = Q(pk__in=recently_surveyed_customers(now=now))
    counted = customers.order_by() if cap is None else customers.order_by()[: cap + 1]
    counts = counted.aggregate(
        matched=Count("pk"),
        opted_out=Count("pk", filter=Q(marketing_opt_out=True)),
        reachable=Count("pk", filter=reachable),
        eligible=Count("pk", filter=reachable & ~recent),
    )
    eligible = eligible_customers(customers, now=now)
    sample = list(eligible.select_related("owner").order_by("name", "id")[:sample_size])
    return AudiencePreview(
        matched=counts["matched"] if cap is None else min(counts["matched"], cap),
        # Counted over some of the audience, it may miss whom the sample found: at least
        # those, so a big audience is never "nobody".
        eligible=max(counts["eligible"], len(sample)),
        opted_out=counts["opted_out"],
        no_email=counts["matched"] - counts["opted_out"] - counts["reachable"],
        recently_surveyed=counts["reachable"] - counts["eligible"],
        resurvey_days=settings.SURVEY_RESURVEY_DAYS,
        unknown_entries=unknown,
        sample=sample,
        capped=cap is not None and counts["matched"] > cap,
        cap=cap,
    )


def paid_orders_between(*, start: date, end: date) -> QuerySet[Order]:
    """Purchases that first became paid on a day in [start, end] (local dates); an order
    refunded since is no longer a purchase and is not asked about.

    The day an order became paid is its earliest history record with status "paid";
    reading history rather than ``ordered_on`` keeps an order invoiced today and paid
    next month from being asked about too early.
    """
    history = Order.history.model
    tz = timezone.get_current_timezone()
    start_at = datetime.combine(start, time.min, tzinfo=tz)
    end_at = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    paid = history.objects.filter(status=Order.Status.PAID)
    return (
        Order.objects.purchases()
        .filter(
            pk__in=paid.filter(history_date__gte=start_at, history_date__lt=end_at).values("id")
        )
        .exclude(pk__in=paid.filter(history_date__lt=start_at).values("id"))
    )


# --- Results ---------------------------------------------------------------------------


# Below this many answers a group's margin of error is not shown ("too few answers"): the
# normal approximation behind it fails on small samples, where all answers in one band give
# "± 0" (docs/surveys.md).
MARGIN_MIN_ANSWERS = 30


@dataclass
class Score:
    """A group's answers: counts per band, the score and its margin of error."""

    kind: str
    responses: int
    good: int
    neutral: int
    bad: int
    delivered: int | None = None

    @property
    def value(self) -> Decimal | None:
        if self.kind == Survey.Kind.NPS:
            return nps_from_counts(promoters=self.good, passives=self.neutral, detractors=self.bad)
        return csat_from_counts(satisfied=self.good, responses=self.responses)

    @property
    def too_few(self) -> bool:
        """Some answers, too few for a margin of error."""
        return 0 < self.responses < MARGIN_MIN_ANSWERS

    @property
    def margin(self) -> Decimal | None:
        if self.too_few:
            return None
        if self.kind == Survey.Kind.NPS:
            return nps_margin_of_error(
                promoters=self.good, passives=self.neutral, detractors=self.bad
            )
        return csat_margin_of_error(satisfied=self.good, responses=self.responses)

    @property
    def response_rate(self) -> Decimal | None:
        if self.delivered is None:
            return None
        return response_rate(responses=self.responses, invitations=self.delivered)

    def share(self, band: str) -> float:
        count = getattr(self, band)
        return round(100 * count / self.responses, 1) if self.responses else 0


def _width(count: int, tallest: int) -> int:
    """A bar's length in percent of the tallest bar."""
    return round(100 * count / tallest) if tallest else 0


def _band_counts(kind: str) -> dict[str, Count]:
    return {band: Count("id", filter=band_filter(kind, band)) for band in BANDS}


def _score(kind: str, row: Mapping[str, Any], delivered: int | None = None) -> Score:
    return Score(
        kind=kind,
        responses=row["responses"],
        good=row["good"],
        neutral=row["neutral"],
        bad=row["bad"],
        delivered=delivered,
    )


# Each breakdown's path from the customer. Tier and segment come from the customer's
# *current* value score (the ORM relation ``customer.score``), not the one they had when
# they answered; the results page says so.
BREAKDOWNS = {
    "owner": "owner",  # named after counting (_owner_labels): two people may share a name
    "campaign": "acquired_by_campaign__name",
    "region": "region",
    "tier": "score__tier",
    "segment": "score__segment",
}
# The value breakdowns' rows in display order. A customer without a score row and one whose
# score has no tier or segment (no counted order yet) form one "not scored" row, last.
VALUE_ORDER = {
    "tier": [tier for tier, _label in TIER_CHOICES],
    "segment": [slug for slug, _english in SEGMENTS],
}
PERIODS = {"week": TruncWeek, "month": TruncMonth}


@dataclass
class Results:
    survey: Survey
    overall: Score
    distribution: list[tuple[int, int, int, str]]  # (score, count, % of the tallest bar, band)
    bands: list[tuple[str, "StrOrPromise", int, float]]  # (band, label, count, percent)
    trend: list[tuple[datetime, Score]]  # (period start, Score)
    breakdowns: dict[str, list[tuple[Any, Score]]]  # {name: [(label, Score)]}


def survey_results(*, user: AnyUser, survey: Survey, period: str = "month") -> Results:
    responses = responses_visible_to(user).filter(invitation__survey=survey).order_by()
    invitations = invitations_visible_to(user).filter(survey=survey).order_by()
    counts = _band_counts(survey.kind)
    overall = _score(
        survey.kind,
        responses.aggregate(responses=Count("id"), **counts),
        delivered=invitations.delivered().count(),
    )

    by_score = dict(responses.values_list("score").annotate(n=Count("id")))
    tallest = max(by_score.values(), default=0)
    distribution = [
        (score, by_score.get(score, 0), _width(by_score.get(score, 0), tallest), survey.band(score))
        for score in survey.scale
    ]
    labels = band_labels(survey.kind)
    bands = [(band, labels[band], getattr(overall, band), overall.share(band)) for band in BANDS]

    trunc = PERIODS.get(period, TruncMonth)
    trend = [
        (row["bucket"], _score(survey.kind, row))
        for row in responses.annotate(bucket=trunc("responded_at"))
        .values("bucket")
        .annotate(responses=Count("id"), **counts)
        .order_by("bucket")
    ]

    breakdowns = {
        name: _breakdown(name, survey.kind, responses, invitations) for name in BREAKDOWNS
    }
    return Results(
        survey=survey,
        overall=overall,
        distribution=distribution,
        bands=bands,
        trend=trend,
        breakdowns=breakdowns,
    )


def _breakdown_key(name: str, customer_path: str) -> F | Coalesce:
    path = customer_path + BREAKDOWNS[name]
    if name in VALUE_ORDER:
        # No score row reads as NULL, a score without tier or segment as "": one group.
        return Coalesce(F(path), Value(""))
    return F(path)


def _breakdown(
    name: str, kind: str, responses: QuerySet[Response], invitations: InvitationQuerySet
) -> list[tuple[Any, Score]]:
    """[(label, Score)] of one breakdown. Value breakdowns label their rows for display
    (segment names, "Not scored"); the others with the raw value, None for none."""
    delivered = {
        row["key"]: row["n"]
        for row in invitations.delivered()
        .values(key=_breakdown_key(name, "customer__"))
        .annotate(n=Count("id"))
    }
    rows = (
        responses.values(key=_breakdown_key(name, "invitation__customer__"))
        .annotate(responses=Count("id"), **_band_counts(kind))
        .order_by("key")
    )
    scores = [
        (row["key"], _score(kind, row, delivered=delivered.get(row["key"], 0))) for row in rows
    ]
    if name == "owner":
        return _owner_labels(scores)
    if name not in VALUE_ORDER:
        return scores
    order = VALUE_ORDER[name]
    scores.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return [(_value_label(name, key), score) for key, score in scores]


def _owner_labels(scores: list[tuple[Any, Score]]) -> list[tuple[str | None, Score]]:
    """The owner breakdown's rows by the owners' names (``core.people.person``, as every
    page names them), in alphabetical order, the customers without an owner (None) last."""
    ids = [key for key, _score in scores if key is not None]
    names = {user.pk: person(user) for user in get_user_model().objects.filter(pk__in=ids)}
    named = [(None if key is None else names.get(key, ""), score) for key, score in scores]
    return sorted(named, key=lambda row: (row[0] is None, (row[0] or "").casefold()))


def _value_label(name: str, key: str | None) -> "StrOrPromise":
    if not key:
        return gettext_lazy("Not scored")
    return segment_label(key) if name == "segment" else key


# A survey's comments, newest change first, paged by keyset along the partial index of
# the answers with a comment by their copy of the survey (response_survey_comments).
COMMENTS_ORDER = Keyset(name="survey-comments", key="updated_at", descending=True)


def survey_comments(
    *, user: AnyUser, survey: Survey, band: str = "", search: str = ""
) -> QuerySet[Response]:
    """Answers with a comment, newest change first (``COMMENTS_ORDER``); ``band`` is
    good / neutral / bad."""
    qs = responses_visible_to(user).filter(survey=survey).exclude(comment="")
    if band in BANDS:
        qs = qs.filter(band_filter(survey.kind, band))
    search = search.strip()
    if search:
        qs = qs.filter(comment__icontains=search)
    return qs.select_related("invitation__survey", "invitation__customer__owner").order_by(
        *COMMENTS_ORDER.ordering()
    )


class ExportAnnotations(TypedDict):
    """What ``survey_export_rows`` adds to each answer: the customer's current score."""

    value_tier: str | None
    rfm_segment: str | None


def survey_export_rows(
    *, user: AnyUser, survey: Survey
) -> "QuerySet[WithAnnotations[Response, ExportAnnotations]]":
    """Every answer with its customer; ``value_tier`` and ``rfm_segment`` are the customer's
    current score (None when they have none)."""
    return (
        responses_visible_to(user)
        .filter(invitation__survey=survey)
        .select_related("invitation__customer__owner", "invitation__customer__acquired_by_campaign")
        .annotate(
            value_tier=F("invitation__customer__score__tier"),
            rfm_segment=F("invitation__customer__score__segment"),
        )
        .order_by("responded_at", "id")
    )


def survey_export_header() -> list[str]:
    return [
        gettext("Customer"),
        gettext("External id"),
        gettext("Email"),
        gettext("Owner"),
        gettext("Region"),
        gettext("Campaign"),
        gettext("Score"),
        gettext("Band"),
        gettext("Comment"),
        gettext("First answered"),
        gettext("Last changed"),
        pgettext("how many times an answer was changed", "Changes"),
        gettext("Value tier (current)"),
        gettext("RFM segment (current)"),
    ]


def survey_export_lines(*, user: AnyUser, survey: Survey) -> Iterator[list[Any]]:
    """One row per answer, in the columns of ``survey_export_header``, read in chunks as
    the CSV streams (``core.csv`` writes them)."""
    answers = survey_export_rows(user=user, survey=survey).iterator(chunk_size=EXPORT_CHUNK)
    for answer in answers:
        customer = answer.invitation.customer
        campaign = customer.acquired_by_campaign
        yield [
            customer.name,
            customer.external_id,
            answer.invitation.email,
            customer.owner.username if customer.owner else "",
            customer.region,
            campaign.name if campaign else "",
            answer.score,
            survey.band_label(survey.band(answer.score)),
            answer.comment,
            answer.responded_at.isoformat(),
            answer.updated_at.isoformat(),
            answer.edit_count,
            answer.value_tier,
            segment_label(answer.rfm_segment) if answer.rfm_segment else "",
        ]
