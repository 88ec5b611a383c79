"""Set-based reads of the company-level metrics (spec §1) and the dashboard's aggregates.

Every figure is scoped to the customers the user can see (``customers_visible_to``): a rep's
dashboard covers their own customers. Marketing spend and CAC are company figures, so they
are computed only for users who see every customer (managers and admins).

A period is the half-open date interval [start, end). "Customers at start" are the
customers at the moment the period begins, "customers at end" those at the moment it ends:
a customer at the moment B has a purchase dated before B, was not marked churned before B
(a churned customer without a churn date counts as churned at every date), and their last
purchase before B is at most ``churn_inactivity_days`` days older than the day before B —
the value engine's inactivity rule, as of that day. A customer is lost in the period when
they were a customer at its start and are not at its end. New customers are those whose
first purchase falls in the period. Purchases are placed and paid orders
(``Order.objects.purchases()``); revenue is total - refunds, in the base currency. Purchases
are read from their summary, ``orders.CustomerDay`` (one row per customer and day, kept by
the order services in the same transaction), never from the orders themselves.
NPS and CSAT count the answers first given in the period (one per invitation, its latest
score); the response rate is the share of the invitations delivered in the period that
were answered.

Each figure comes from one aggregate query over an indexed date range (or, for a rep, over
their own scores; everyone's score figures, and the CLV of everyone's new customers, are
the totals the value engine keeps, ``metrics.totals``), whatever the number of customers;
nothing loops over customers in Python, and no query groups the rows by customer or counts
distinct customers (see ``_customer_flow``).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.selectors import campaign_cac, campaign_list, spend_between
from customers.selectors import (
    can_see_all_customers,
    customers_visible_to,
    owner_copies_visible_to,
)
from metrics import totals as score_totals
from metrics.models import CustomerScore, MetricSettings, ScoreTotal
from metrics.selectors_customer import scores_owned_visible_to
from orders import summary
from orders.models import CustomerDay, CustomerSpell, DayFlow
from surveys.models import Survey, band_filter
from surveys.selectors import invitations_visible_to, responses_visible_to
from valuemodels import company as calc
from valuemodels.numbers import to_cents, to_percent
from valuemodels.rfm import fm_score

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
HISTOGRAM_BUCKETS = score_totals.HISTOGRAM_BUCKETS
TIERS = score_totals.TIERS


def scoped(queryset, user, path="customer"):
    """``queryset`` limited to rows whose customer (reached through ``path``) ``user`` sees."""
    visible = customers_visible_to(user)
    if not visible.query.has_filters():
        # Managers and admins see everyone: no semi-join over a million customers.
        return queryset
    return queryset.filter(**{f"{path}__in": visible.values("pk")})


@contextmanager
def analytics_session():
    """A transaction for a page of aggregates. PostgreSQL's JIT compiler is switched off in
    it: compiling these one-off queries full of CASE expressions took about 3 s of a 10 s
    aggregate over 10M orders and saved nothing."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def start_of(day):
    """The first instant of ``day`` in the current time zone, to compare timestamps."""
    return timezone.make_aware(datetime.combine(day, time.min))


def previous_period(start, end):
    """The period of the same length that ends where [start, end) begins."""
    return start - (end - start), start


def shows_company_figures(user):
    """Spend and CAC are company-wide: meaningful only next to company-wide customer counts."""
    return can_see_all_customers(user)


def month_start(day):
    return day.replace(day=1)


def add_months(month, count):
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# --- Company metrics of a period ---------------------------------------------------------


@dataclass(frozen=True)
class CompanyMetrics:
    start: date
    end: date  # exclusive
    new_customers: int
    revenue: Decimal
    profit: Decimal  # gross profit: revenue - cost of goods of the period's purchases
    spend: Decimal | None  # None: a company figure the user is not shown
    cac: Decimal | None
    customers_at_start: int
    customers_at_end: int
    lost: int
    retention: Decimal | None  # percent
    churn: Decimal | None  # percent
    nps: Decimal | None
    nps_responses: int
    nps_margin: Decimal | None
    csat: Decimal | None  # percent
    csat_responses: int
    csat_margin: Decimal | None
    invitations: int  # delivered in the period
    answered: int  # of those, answered
    response_rate: Decimal | None
    average_clv: Decimal | None
    clv_to_cac: Decimal | None
    company_figures: bool


def company_metrics(*, user, start, end, inactivity_days=None):
    """The company metrics of [start, end) over the customers ``user`` sees."""
    (metrics,) = consecutive_periods(
        user=user, boundaries=[start, end], inactivity_days=inactivity_days
    )
    return metrics


def period_over_period(*, user, start, end, inactivity_days=None):
    """(this period, the previous period of the same length), as the dashboard compares."""
    previous_start, _start = previous_period(start, end)
    before, current = consecutive_periods(
        user=user, boundaries=[previous_start, start, end], inactivity_days=inactivity_days
    )
    return current, before


def consecutive_periods(*, user, boundaries, inactivity_days=None):
    """The metrics of each period between consecutive ``boundaries`` (ascending dates).

    Customers at each boundary, lost and revenue come from one scan of the purchases for
    all the periods together: the previous period ends with the customers this one starts
    with, so comparing two periods reads the orders once."""
    if inactivity_days is None:
        inactivity_days = MetricSettings.load().churn_inactivity_days
    periods = list(pairwise(boundaries))
    everyone = sees_everyone(user)
    flow = _customer_flow(
        user, boundaries=boundaries, inactivity_days=inactivity_days, with_new=not everyone
    )
    if everyone:
        # Everyone's new customers and their CLV: counts and totals, one query for all.
        for figures, new in zip(flow, score_totals.new_customers(periods), strict=True):
            figures["new"] = {"count": new.count, "average_clv": new.average_clv}
    company_figures = shows_company_figures(user)
    return [
        _period_metrics(
            user,
            start=start,
            end=end,
            flow=flow[i],
            company_figures=company_figures,
        )
        for i, (start, end) in enumerate(periods)
    ]


def _period_metrics(user, *, start, end, flow, company_figures):
    # Everyone's new customers come from the totals, a rep's with the flow, from the
    # same rows (else from their own query).
    new = flow.get("new") or _new_customers(user, start=start, end=end)
    answers = _survey_answers(user, start=start, end=end)
    invitations = _invitations(user, start=start, end=end)

    spend = cac = clv_to_cac = None
    if company_figures:
        spend = spend_between(start=start, end=end)
        cac = calc.cac(spend=spend, new_customers=new["count"])
    average_clv = None if new["average_clv"] is None else to_cents(new["average_clv"])
    if average_clv is not None:
        clv_to_cac = calc.clv_to_cac(average_clv=average_clv, cac=cac)
    nps_counts = {
        "promoters": answers["promoters"],
        "passives": answers["passives"],
        "detractors": answers["detractors"],
    }
    return CompanyMetrics(
        start=start,
        end=end,
        new_customers=new["count"],
        revenue=flow["revenue"],
        profit=flow["revenue"] - flow["cost"],
        spend=spend,
        cac=cac,
        customers_at_start=flow["at_start"],
        customers_at_end=flow["at_end"],
        lost=flow["lost"],
        retention=calc.retention_rate(start=flow["at_start"], end=flow["at_end"], new=new["count"]),
        churn=calc.churn_rate(lost=flow["lost"], start=flow["at_start"]),
        nps=calc.nps_from_counts(**nps_counts),
        nps_responses=sum(nps_counts.values()),
        nps_margin=calc.nps_margin_of_error(**nps_counts),
        csat=calc.csat_from_counts(satisfied=answers["satisfied"], responses=answers["csat"]),
        csat_responses=answers["csat"],
        csat_margin=calc.csat_margin_of_error(
            satisfied=answers["satisfied"], responses=answers["csat"]
        ),
        invitations=invitations["sent"],
        answered=invitations["answered"],
        response_rate=calc.response_rate(
            responses=invitations["answered"], invitations=invitations["sent"]
        ),
        average_clv=average_clv,
        clv_to_cac=clv_to_cac,
        company_figures=company_figures,
    )


def summary_rows(user):
    """The purchase summary (``orders.CustomerDay``) of the customers ``user`` sees: a
    rep's found by the owner copied onto the rows alone, one range of the index led by it
    (``CustomerDay.customer_owner``), as their score figures are
    (``scores_owned_visible_to``)."""
    return owner_copies_visible_to(CustomerDay.objects.all(), user)


def sees_everyone(user):
    return not customers_visible_to(user).query.has_filters()


def _customer_flow(user, *, boundaries, inactivity_days, with_new=False):
    """Per period between consecutive boundaries: customers at its start and end, lost,
    revenue and cost of goods (``with_new``: and, when they come from the same rows, the
    new customers, as ``_new_customers`` gives them, under "new"). Everyone's figures
    come from the daily sums and the spells (a few hundred rows) when the spells were
    derived with this inactivity window and no period is longer than it; otherwise, and
    for a rep, from the summary's rows."""
    window = inactivity_days + 1
    if (
        sees_everyone(user)
        and all((end - start).days <= window for start, end in pairwise(boundaries))
        and summary.window_days() == window
    ):
        return _customer_flow_by_spells(boundaries)
    return _customer_flow_by_rows(
        user, boundaries=boundaries, inactivity_days=inactivity_days, with_new=with_new
    )


def _customer_flow_by_spells(boundaries):
    """``_customer_flow`` for everyone, from ``DayFlow`` and ``CustomerSpell``.

    A customer counts on the days of their spells, (start, end]: customers at B are the
    spells started before B minus those ended before B. A customer at a period's start
    whose spell ends in the period is lost, unless they started a new spell in it that
    lasts to its end (they came back after the window ran out: counted by the spells
    that start in the period after one ended in it). A spell that starts and ends in the
    period (bought, then marked churned) was not there at its start."""
    periods = list(pairwise(boundaries))
    flow = {
        f"at{i}": Sum(
            Case(When(day__lt=boundary, then=F("starts") - F("ends")), default=0),
            default=0,
        )
        for i, boundary in enumerate(boundaries)
    }
    for i, (start, end) in enumerate(periods):
        in_period = Q(day__gte=start, day__lt=end)
        flow[f"revenue{i}"] = Sum("revenue", filter=in_period, default=ZERO)
        flow[f"cost{i}"] = Sum("cost", filter=in_period, default=ZERO)
        flow[f"ended{i}"] = Sum("ends", filter=in_period, default=0)
    days = DayFlow.objects.filter(day__lt=boundaries[-1]).aggregate(**flow)
    spells = {}
    for i, (start, end) in enumerate(periods):
        started = Q(start__gte=start, start__lt=end)
        # Counted by the start (never null), not the id: the start index holds every
        # column these read, so no row is fetched.
        spells[f"within{i}"] = Count("start", filter=started & Q(end__lt=end))
        spells[f"back{i}"] = Count("start", filter=started & Q(end__gte=end, prev_end__gte=start))
    spells = CustomerSpell.objects.filter(
        start__gte=boundaries[0], start__lt=boundaries[-1]
    ).aggregate(**spells)
    return [
        {
            "at_start": days[f"at{i}"],
            "at_end": days[f"at{i + 1}"],
            "lost": days[f"ended{i}"] - spells[f"within{i}"] - spells[f"back{i}"],
            "revenue": to_cents(days[f"revenue{i}"]),
            "cost": to_cents(days[f"cost{i}"]),
        }
        for i in range(len(periods))
    ]


def _customer_flow_by_rows(user, *, boundaries, inactivity_days, with_new=False):
    """``_customer_flow`` from one aggregate over the purchase summary's rows.

    A customer is at boundary B through one row: their last purchase day before B
    (``day < B <= next_day``), within the inactivity window. When no period is longer
    than the window, the same row also says whether they are still a customer at the
    period's end (no purchase since, and that one out of the window by then), so every
    figure is a sum over rows. Longer periods group the rows by customer first."""
    window = timedelta(days=inactivity_days + 1)
    periods = list(pairwise(boundaries))

    def stands_at(boundary):
        return Q(day__gte=boundary - window, day__lt=boundary, next_day__gte=boundary)

    def customer_at(boundary):
        # counts_until: the customer was not marked churned before the boundary.
        return stands_at(boundary) & Q(counts_until__gte=boundary)

    def count(condition):
        return Sum(Case(When(condition, then=1), default=0))

    def in_period(start, end, value):
        return Sum(
            Case(When(day__gte=start, day__lt=end, then=value), default=Value(ZERO)),
            output_field=MONEY,
        )

    rows = summary_rows(user).filter(
        next_day__gte=boundaries[0], day__gte=boundaries[0] - window, day__lt=boundaries[-1]
    )
    sums = {}
    for i, (start, end) in enumerate(periods):
        sums[f"revenue{i}"] = in_period(start, end, F("revenue"))
        sums[f"cost{i}"] = in_period(start, end, F("cost"))
    new = {}
    if all(end - start <= window for start, end in periods):
        totals = {f"customers{i}": count(customer_at(b)) for i, b in enumerate(boundaries)}
        for i, (start, end) in enumerate(periods):
            gone = Q(counts_until__lt=end) | Q(day__lt=end - window, next_day__gte=end)
            totals[f"lost{i}"] = count(customer_at(start) & gone)
            if with_new:
                # New customers: their first purchase day is one of these rows (the same
                # figures as _new_customers, without a second pass over the rows).
                first = Q(prev_day__isnull=True, day__gte=start, day__lt=end)
                totals[f"new{i}"] = count(first)
                totals[f"new_clv{i}"] = Avg(
                    Case(When(first, then=Subquery(_clv_of_row(), output_field=MONEY))),
                    output_field=MONEY,
                )
        row = rows.aggregate(**totals, **sums)
        if with_new:
            new = {
                i: {"count": row[f"new{i}"] or 0, "average_clv": row[f"new_clv{i}"]}
                for i in range(len(periods))
            }
    else:
        flags = {f"at{i}": count(customer_at(b)) for i, b in enumerate(boundaries)}
        totals = {f"customers{i}": Sum(f"at{i}", default=0) for i in range(len(boundaries))}
        for i in range(len(periods)):
            lost = Case(When(**{f"at{i}": 1, f"at{i + 1}": 0}, then=1), default=0)
            totals[f"lost{i}"] = Sum(lost, default=0)
            totals[f"revenue{i}"] = Sum(f"period_revenue{i}", default=ZERO)
            totals[f"cost{i}"] = Sum(f"period_cost{i}", default=ZERO)
        per_customer = (
            rows.order_by()
            .values("customer_id")
            .annotate(
                **flags,
                **{f"period_{name}": value for name, value in sums.items()},
            )
        )
        row = per_customer.aggregate(**totals)
    return [
        {
            "at_start": row[f"customers{i}"] or 0,
            "at_end": row[f"customers{i + 1}"] or 0,
            "lost": row[f"lost{i}"] or 0,
            "revenue": to_cents(row[f"revenue{i}"] or ZERO),
            "cost": to_cents(row[f"cost{i}"] or ZERO),
            **({"new": new[i]} if i in new else {}),
        }
        for i in range(len(periods))
    ]


def _clv_of_row():
    """The current CLV (predicted, else simple) of a summary row's customer."""
    return CustomerScore.objects.filter(customer_id=OuterRef("customer_id")).values(
        clv=Coalesce("predicted_clv", "simple_clv")
    )[:1]


def _new_customers(user, *, start, end):
    """How many customers made their first purchase in the period, and their average CLV
    (predicted, else simple) from the current scores."""
    return (
        summary_rows(user)
        .filter(prev_day__isnull=True, day__gte=start, day__lt=end)
        .annotate(clv=Subquery(_clv_of_row(), output_field=MONEY))
        .aggregate(count=Count("pk"), average_clv=Avg("clv"))
    )


def _survey_answers(user, *, start, end):
    """NPS and CSAT answers first given in the period; each invitation has one response
    (edited in place), so each counts once, with its latest score."""
    nps = Q(invitation__survey__kind=Survey.Kind.NPS)
    csat = Q(invitation__survey__kind=Survey.Kind.CSAT)
    return (
        responses_visible_to(user)
        .filter(responded_at__gte=start_of(start), responded_at__lt=start_of(end))
        .aggregate(
            promoters=Count("pk", filter=nps & band_filter(Survey.Kind.NPS, "good")),
            passives=Count("pk", filter=nps & band_filter(Survey.Kind.NPS, "neutral")),
            detractors=Count("pk", filter=nps & band_filter(Survey.Kind.NPS, "bad")),
            satisfied=Count("pk", filter=csat & band_filter(Survey.Kind.CSAT, "good")),
            csat=Count("pk", filter=csat),
        )
    )


def _invitations(user, *, start, end):
    """Invitations delivered in the period and how many of them were answered."""
    return (
        invitations_visible_to(user)
        .delivered()
        .filter(sent_at__gte=start_of(start), sent_at__lt=start_of(end))
        .aggregate(sent=Count("pk"), answered=Count("response"))
    )


# --- Period over period ----------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One dashboard card: a figure of this period and the change since the previous one."""

    key: str
    label: str
    kind: str  # count, money, percent, score (NPS), ratio
    value: Decimal | int | None
    previous: Decimal | int | None
    change: Decimal | None  # percent for count/money/ratio, points for percent/score
    lower_is_better: bool = False

    @property
    def change_in_points(self):
        return self.kind in ("percent", "score")

    @property
    def change_size(self):
        return None if self.change is None else abs(self.change)

    @property
    def direction(self):
        if self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"

    @property
    def judgement(self):
        """Whether the change is good or bad news ("" when flat), to colour the arrow."""
        if self.direction == "flat":
            return ""
        return "good" if (self.direction == "up") != self.lower_is_better else "bad"


def _change(kind, value, previous):
    if value is None or previous is None:
        return None
    if kind in ("percent", "score"):
        return Decimal(value) - Decimal(previous)
    if previous == 0:
        return None
    return to_percent(Decimal(value) - Decimal(previous), abs(Decimal(previous)))


KPIS = (
    ("new_customers", _("New customers"), "count", False),
    ("revenue", _("Revenue"), "money", False),
    ("profit", _("Gross profit"), "money", False),
    ("cac", _("CAC"), "money", True),
    ("retention", pgettext_lazy("a rate, in percent", "Retention"), "percent", False),
    ("churn", pgettext_lazy("a rate, in percent", "Churn"), "percent", True),
    ("nps", _("NPS"), "score", False),
    ("csat", _("CSAT"), "percent", False),
    ("average_clv", _("Average CLV of new customers"), "money", False),
    ("clv_to_cac", _("CLV : CAC"), "ratio", False),
)


def kpis(current, previous):
    """The dashboard's cards, in display order."""
    cards = []
    for key, label, kind, lower_is_better in KPIS:
        value, before = getattr(current, key), getattr(previous, key)
        cards.append(
            Kpi(
                key=key,
                label=label,
                kind=kind,
                value=value,
                previous=before,
                change=_change(kind, value, before),
                lower_is_better=lower_is_better,
            )
        )
    return cards


# --- Aggregates over the current scores ----------------------------------------------------


@dataclass(frozen=True)
class ScoreOverview:
    scored: int  # customers with a value score
    as_of: date | None
    histogram: list  # customers per 10-point bucket of the value score, 0-10 first
    tiers: list  # [(tier, customers, revenue)]


def has_scores(*, user):
    if sees_everyone(user):
        return score_totals.stored(ScoreTotal.Kind.ROWS).customers(ScoreTotal.Kind.ROWS) > 0
    return scoped(CustomerScore.objects.all(), user).exists()


def score_overview(*, user):
    """Value-score histogram and customers and revenue per tier (see ``score_figures``)."""
    return score_figures(user=user)[0]


def rfm_grid(*, user):
    """{(R, FM): customers} over the scored customers, FM = (F + M) / 2 rounded half up
    (see ``score_figures``)."""
    return score_figures(user=user)[1]


def score_figures(*, user):
    """``(ScoreOverview, RFM grid)``: everyone's from the score totals (metrics.totals, a
    few hundred rows), a rep's from one GROUP BY over their own scores, found by the owner
    copied onto them (an index-only range, not a probe per customer)."""
    if sees_everyone(user):
        kind = ScoreTotal.Kind
        totals = score_totals.stored(kind.SCORED, kind.AS_OF, kind.BUCKET, kind.TIER, kind.RFM)
        return _score_overview_from_totals(totals), _rfm_grid_from_totals(totals)
    bucket = Case(
        *(
            When(
                Q(value_score__gte=10 * i)
                & (
                    Q(value_score__lte=100)
                    if i == HISTOGRAM_BUCKETS - 1
                    else Q(value_score__lt=10 * i + 10)
                ),
                then=Value(i),
            )
            for i in range(HISTOGRAM_BUCKETS)
        ),
        default=None,
    )
    groups = (
        scores_owned_visible_to(user)
        .annotate(bucket=bucket)
        .order_by()
        .values_list("tier", "bucket", "r_score", "f_score", "m_score")
        .annotate(
            # Counted by `*`, not the id: the owner's index holds every column read here.
            n=Count("*"),
            scored=Count("value_score"),
            revenue=Sum("revenue"),
            as_of=Max("as_of"),
        )
    )
    histogram = [0] * HISTOGRAM_BUCKETS
    customers = dict.fromkeys(TIERS, 0)
    revenue = dict.fromkeys(TIERS, ZERO)
    scored, as_of, grid = 0, None, {}
    for tier, in_bucket, r, f, m, n, with_score, amount, day in groups:
        scored += with_score
        as_of = day if as_of is None or day > as_of else as_of
        if in_bucket is not None:
            histogram[in_bucket] += n
        if tier in customers:
            customers[tier] += n
            revenue[tier] += amount or ZERO
        if r is not None:
            key = (r, int(fm_score(f, m)))
            grid[key] = grid.get(key, 0) + n
    overview = ScoreOverview(
        scored=scored,
        as_of=as_of,
        histogram=histogram,
        tiers=[(tier, customers[tier], to_cents(revenue[tier])) for tier in TIERS],
    )
    return overview, grid


def _score_overview_from_totals(totals):
    kind = ScoreTotal.Kind
    return ScoreOverview(
        scored=totals.customers(kind.SCORED),
        as_of=totals.as_of,
        histogram=[totals.customers(kind.BUCKET, str(i)) for i in range(HISTOGRAM_BUCKETS)],
        tiers=[
            (tier, totals.customers(kind.TIER, tier), to_cents(totals.amount(kind.TIER, tier)))
            for tier in TIERS
        ],
    )


def _rfm_grid_from_totals(totals):
    grid = {}
    for key, (n, _amount) in totals.of_kind(ScoreTotal.Kind.RFM).items():
        r, f, m = (int(part) for part in key.split(","))
        cell = (r, int(fm_score(f, m)))
        grid[cell] = grid.get(cell, 0) + n
    return grid


def summary_months(*, user, first, last_day):
    """The summary rows of the customers ``user`` sees dated from ``first`` (a month's
    first day) to ``last_day``, grouped by (acquiring campaign, first purchase month,
    month): ``[(campaign, first_month, month, buyers, revenue)]``, ``buyers`` counting the
    customers' first rows of the month among those who first bought from ``first`` on.
    A rep's monthly revenue and cohorts of the same months add these up: their rows are
    read once for both (each read is an index probe per customer)."""
    first_of_month = Q(prev_day__isnull=True) | Q(prev_day__lt=F("month"))
    return list(
        summary_rows(user)
        .filter(day__gte=first, day__lte=last_day)
        .order_by()
        .values_list("campaign", "first_month", "month")
        .annotate(
            buyers=Sum(Case(When(first_of_month & Q(first_month__gte=first), then=1), default=0)),
            revenue=Sum("revenue"),
        )
    )


def monthly_revenue(*, user, last_month, months=12, end=None, groups=None):
    """[(month, revenue)] for the ``months`` months up to ``last_month`` (its first day),
    oldest first; purchases on or after ``end`` are left out. ``groups``: the
    ``summary_months`` of those months up to the day before ``end``, to add up instead of
    reading the rows again."""
    first = add_months(last_month, -(months - 1))
    stop = add_months(last_month, 1) if end is None else min(end, add_months(last_month, 1))
    if groups is not None:
        revenue = {}
        for _campaign, _first_month, month, _buyers, amount in groups:
            revenue[month] = revenue.get(month, ZERO) + amount
    else:
        # Everyone's from the daily sums, a rep's from their customers' rows.
        rows = DayFlow.objects.all() if sees_everyone(user) else summary_rows(user)
        revenue = dict(
            rows.filter(day__gte=first, day__lt=stop)
            .order_by()
            .values_list(TruncMonth("day"))
            .annotate(revenue=Sum("revenue"))
        )
    return [
        (month, to_cents(revenue.get(month, ZERO)))
        for month in (add_months(first, i) for i in range(months))
    ]


@dataclass(frozen=True)
class CampaignValue:
    campaign: object
    acquired: int
    cac: Decimal | None
    average_clv: Decimal | None

    @property
    def clv_to_cac(self):
        if self.average_clv is None:
            return None
        return calc.clv_to_cac(average_clv=self.average_clv, cac=self.cac)


def campaign_values(*, user, as_of, limit=8):
    """CAC (spend to ``as_of`` / customers acquired) next to the average CLV of the
    customers each campaign acquired, for the most recently started campaigns that
    acquired someone. Company figures: empty for users who do not see every customer."""
    if not shows_company_figures(user):
        return []
    campaigns = list(
        campaign_list(user=user).filter(acquired_count__customers__gt=0, starts_on__lte=as_of)[
            :limit
        ]
    )
    if not campaigns:
        return []
    stats = campaign_cac(as_of=as_of, campaign_ids=[c.pk for c in campaigns])
    # The customers with a CLV and its sum per acquiring campaign, kept with the scores.
    clv = score_totals.stored(ScoreTotal.Kind.CAMPAIGN).of_kind(ScoreTotal.Kind.CAMPAIGN)
    return [
        CampaignValue(
            campaign=campaign,
            acquired=stats[campaign.pk].acquired,
            cac=stats[campaign.pk].cac,
            average_clv=_average(*clv.get(str(campaign.pk), (0, ZERO))),
        )
        for campaign in campaigns
    ]


def _average(count, total):
    """The average CLV of ``count`` customers whose CLVs add up to ``total`` (as Avg)."""
    return to_cents(total / count) if count else None
