import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.selectors import CHURN_RISK_BANDS

MONEY = {"max_digits": 16, "decimal_places": 2, "null": True, "blank": True}
RATIO = {"max_digits": 9, "decimal_places": 6}


def _unit_interval():
    return [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class MetricSettings(models.Model):
    """The admin-editable parameters of the value models; one row (pk=1)."""

    class AsOf(models.TextChoices):
        """The day every recalculation scores as of (``metrics.services.scoring_as_of``)."""

        LIVE = "live", _("Today (live)")
        LAST_ORDER = "last_order", _("The last order date")
        FIXED = "fixed", _("A fixed date")

    weight_historical = models.DecimalField(
        _("weight: historical value"), **RATIO, default=Decimal("0.35"), validators=_unit_interval()
    )
    weight_future = models.DecimalField(
        _("weight: future value"), **RATIO, default=Decimal("0.35"), validators=_unit_interval()
    )
    weight_loyalty = models.DecimalField(
        _("weight: loyalty"), **RATIO, default=Decimal("0.15"), validators=_unit_interval()
    )
    weight_influence = models.DecimalField(
        _("weight: influence"), **RATIO, default=Decimal("0.15"), validators=_unit_interval()
    )
    discount_rate = models.DecimalField(
        _("annual discount rate"), **RATIO, default=Decimal("0.10"), validators=_unit_interval()
    )
    horizon_months = models.PositiveIntegerField(
        _("prediction horizon (months)"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    churn_inactivity_days = models.PositiveIntegerField(
        _("churn after days without an order"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    lifetime_cap_years = models.DecimalField(
        _("expected lifetime cap (years)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("100"))],
    )
    interest_rate = models.DecimalField(
        _("interest rate r (relationship value)"),
        **RATIO,
        default=Decimal("0.0578"),
        validators=_unit_interval(),
    )
    goodwill_coefficient = models.DecimalField(
        _("goodwill damage coefficient x"),
        **RATIO,
        default=Decimal("0.15"),
        validators=_unit_interval(),
    )
    info_k = models.DecimalField(
        _("information value K"), **RATIO, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    info_u = models.DecimalField(
        _("information value u (benefit per use)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(0)],
    )
    info_c = models.DecimalField(
        _("information value C (cost per collection)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(0)],
    )
    tier_a_share = models.DecimalField(
        _("tier A: top share"), **RATIO, default=Decimal("0.20"), validators=_unit_interval()
    )
    tier_b_share = models.DecimalField(
        _("tier B: next share"), **RATIO, default=Decimal("0.30"), validators=_unit_interval()
    )
    as_of_mode = models.CharField(_("score as of"), max_length=10, choices=AsOf, default=AsOf.LIVE)
    as_of_date = models.DateField(
        _("fixed as-of date"),
        null=True,
        blank=True,
        # Dates as early as orders can be (analytics and the API take 1900 on).
        validators=[MinValueValidator(datetime.date(1900, 1, 1))],
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("metric settings")
        verbose_name_plural = _("metric settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="metric_settings_singleton")]

    def __str__(self):
        return str(_("Value model settings"))

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def weights(self):
        return {
            "historical": self.weight_historical,
            "future": self.weight_future,
            "loyalty": self.weight_loyalty,
            "influence": self.weight_influence,
        }

    def clean(self):
        total = sum(self.weights.values())
        if total != Decimal("1"):
            raise ValidationError(
                _("The four weights must add up to 1 (they add up to %(total)s).")
                % {"total": total.normalize()}
            )
        if self.tier_a_share + self.tier_b_share > 1:
            raise ValidationError(
                {
                    # xgettext:no-python-format
                    "tier_b_share": _("Tiers A and B together cannot exceed 100% of customers.")
                }
            )
        if self.as_of_mode == self.AsOf.FIXED and not self.as_of_date:
            raise ValidationError({"as_of_date": _("Give the date to score as of.")})
        if self.as_of_date and self.as_of_date > timezone.localdate():
            raise ValidationError({"as_of_date": _("The as-of date cannot be in the future.")})


class ScoreFields(models.Model):
    """Every component of a customer's value, its inputs and the model used."""

    class Tier(models.TextChoices):
        A = "A", _("A")
        B = "B", _("B")
        C = "C", _("C")

    class ClvMethod(models.TextChoices):
        PREDICTIVE = "predictive", _("BG/NBD + Gamma-Gamma")
        SIMPLE = "simple", _("Simple CLV")

    as_of = models.DateField(_("as of"))
    model_version = models.CharField(_("model version"), max_length=40)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    # History
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    purchase_days = models.PositiveIntegerField(_("purchase days"), default=0)
    first_order_on = models.DateField(_("first order"), null=True, blank=True)
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    revenue = models.DecimalField(_("revenue"), **MONEY)
    cost_of_goods = models.DecimalField(_("cost of goods"), **MONEY)
    acquisition_cost = models.DecimalField(_("acquisition cost"), **MONEY)
    other_costs = models.DecimalField(_("other costs"), **MONEY)
    profit_contribution = models.DecimalField(_("profit contribution"), **MONEY)
    aov = models.DecimalField(_("average order value"), **MONEY)
    frequency = models.FloatField(_("orders per year"), null=True, blank=True)
    # RFM
    recency_days = models.PositiveIntegerField(_("days since last order"), null=True, blank=True)
    r_score = models.PositiveSmallIntegerField(_("R"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M"), null=True, blank=True)
    segment = models.CharField(_("RFM segment"), max_length=30, blank=True)
    # Future value
    simple_clv = models.DecimalField(_("simple CLV"), **MONEY)
    retention_clv = models.DecimalField(_("retention CLV"), **MONEY)
    predicted_clv = models.DecimalField(_("predicted CLV"), **MONEY)
    clv_method = models.CharField(_("CLV method"), max_length=12, choices=ClvMethod, blank=True)
    p_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_purchases_90d = models.FloatField(
        _("expected purchases, 90 days"), null=True, blank=True
    )
    expected_order_value = models.DecimalField(_("expected order value"), **MONEY)
    # Seed 004 values
    relationship_value = models.DecimalField(_("relationship value"), **MONEY)
    continuing_value = models.DecimalField(_("continuing value"), **MONEY)
    loss_value = models.DecimalField(_("loss value"), **MONEY)
    information_value = models.DecimalField(_("information value"), **MONEY)
    # Loyalty and influence
    nps_category = models.CharField(_("latest NPS category"), max_length=10, blank=True)
    avg_csat = models.FloatField(_("average CSAT"), null=True, blank=True)
    repeat_rate = models.FloatField(_("repeat purchase rate"), null=True, blank=True)
    tenure_days = models.PositiveIntegerField(_("tenure (days)"), null=True, blank=True)
    loyalty = models.FloatField(_("loyalty (0–1)"), null=True, blank=True)
    referrals_count = models.PositiveIntegerField(_("customers referred"), default=0)
    referral_revenue = models.DecimalField(_("revenue of referred customers"), **MONEY)
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    # Composite
    pct_historical = models.FloatField(_("historical value percentile"), null=True, blank=True)
    pct_future = models.FloatField(_("future value percentile"), null=True, blank=True)
    pct_loyalty = models.FloatField(_("loyalty percentile"), null=True, blank=True)
    pct_influence = models.FloatField(_("influence percentile"), null=True, blank=True)
    value_score = models.FloatField(_("value score"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier, blank=True)

    class Meta:
        abstract = True


class CustomerScore(ScoreFields):
    """The current value of one customer; written only by metrics.services."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    # What the previous calculation said, so "rising churn risk" and tier changes show.
    previous_churn_risk = models.FloatField(_("previous churn risk"), null=True, blank=True)
    previous_tier = models.CharField(_("previous tier"), max_length=1, blank=True)
    # The customer's status, copied here so a status filter over a score sort is read from
    # one index (status, figure, customer): the join through the customers made the
    # database walk every score in order to find the hundred scored leads (3.8-6.8 s at
    # 1M, issue 14). Kept equal to the customer's in the transaction of every change
    # (metrics.receivers, metrics.services.customer_statuses_changed, a full run's
    # publication and swap); the list also filters on the customer's own status.
    customer_status = models.CharField(max_length=10, blank=True, default="", db_default="")
    # The customer's owner, copied here the same way (and by
    # metrics.services.score_copies_follow) for a rep's score figures on the dashboard:
    # one index range of their own rows, read index-only, instead of a probe into the
    # scores per customer they own (70 ms for 5,000 at 1M, issue 14). Deleting a user
    # empties it as it empties the customers' owner; no database constraint, so a full
    # run's million upserts check nothing more.
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        # Only what the lists sort on: every index costs time on each of a full run's
        # million upserts. The customer id after each sort key is the keyset's
        # tie-breaker, so a page of the customer list sorted by it is read from the index
        # in order, either direction (core.pagination). Tier and segment lead copies of
        # them: alone they never narrow a search enough to pay, but a filter on them over
        # a sort that runs against it ("lost" customers by revenue, highest first) would
        # otherwise scan most of the index before the first match (issue 14).
        indexes = [
            models.Index(fields=["-value_score", "-customer"], name="score_value_desc"),
            models.Index(fields=["churn_risk", "customer"], name="score_churn_risk"),
            models.Index(fields=["revenue", "customer"], name="score_revenue"),
            models.Index(fields=["tier", "value_score", "customer"], name="score_tier_value"),
            models.Index(fields=["tier", "churn_risk", "customer"], name="score_tier_churn"),
            models.Index(fields=["tier", "revenue", "customer"], name="score_tier_revenue"),
            models.Index(fields=["segment", "value_score", "customer"], name="score_segment_value"),
            models.Index(fields=["segment", "churn_risk", "customer"], name="score_segment_churn"),
            models.Index(fields=["segment", "revenue", "customer"], name="score_segment_revenue"),
            models.Index(
                fields=["customer_status", "value_score", "customer"], name="score_status_value"
            ),
            models.Index(
                fields=["customer_status", "churn_risk", "customer"], name="score_status_churn"
            ),
            models.Index(
                fields=["customer_status", "revenue", "customer"], name="score_status_revenue"
            ),
            # The high churn band by value or revenue, highest first: the band runs against
            # both (the most valuable customers are seldom at risk), and the sort's own
            # index was walked past 17,000 rows to fill a page (53 → 3 ms at 1M). Only the
            # band's rows are in them.
            *(
                models.Index(
                    fields=fields,
                    condition=Q(churn_risk__gte=CHURN_RISK_BANDS["high"][0]),
                    name=f"score_high_churn_{name}",
                )
                for fields, name in (
                    (["-value_score", "-customer"], "value"),
                    (["revenue", "customer"], "revenue"),
                )
            ),
            # One owner's book by a score figure (a rep's list, the owner filter), from the
            # owner copied onto the row: the page's rows in order, not the whole book sorted.
            *(
                models.Index(
                    fields=["customer_owner", figure, "customer"], name=f"score_owner_{name}"
                )
                for figure, name in (
                    ("value_score", "value"),
                    ("churn_risk", "churn"),
                    ("revenue", "revenue"),
                )
            ),
            # A status's blanks in customer order (the list's last pages under a status
            # filter): the blanks of the rare status were one in forty of everyone's.
            *(
                models.Index(
                    fields=["customer_status", "customer"],
                    condition=Q(**{f"{figure}__isnull": True}),
                    name=f"score_status_{figure}_blank",
                )
                for figure in ("value_score", "churn_risk", "revenue")
            ),
            # A rep's score figures (analytics.company.score_figures), index-only.
            models.Index(
                fields=["customer_owner"],
                include=[
                    "tier",
                    "value_score",
                    "r_score",
                    "f_score",
                    "m_score",
                    "revenue",
                    "as_of",
                ],
                condition=Q(customer_owner__isnull=False),
                name="score_owner_figures",
            ),
            # A churn-risk band over a value-score sort: the band among the rows lacking a
            # value score, instead of all those rows read to find the band's few (200 ms).
            models.Index(
                fields=["churn_risk", "customer"],
                condition=Q(value_score__isnull=True),
                name="score_value_blank_churn",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.value_score}"


class StagedScore(models.Model):
    """A full run's result for one customer, waiting to be published by a chunk task.

    Stored encoded (see metrics.storage): money in cents, dates as day numbers, texts as
    codes, and a sentinel for "no value", so that a million rows go in with one binary COPY.
    Only metrics.storage reads and writes these rows. (Floats are NaN for no value; SQLite
    turns NaN into NULL, hence null=True.)"""

    # The unique constraint below indexes (run, customer_id); a second index on run alone,
    # or a foreign-key check per row, would only slow the COPY down (deleting a run still
    # deletes its rows, through Django).
    run = models.ForeignKey(
        "RecalcRun",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    customer_id = models.BigIntegerField()
    orders_count = models.IntegerField()
    purchase_days = models.IntegerField()
    first_order_on = models.IntegerField()
    last_order_on = models.IntegerField()
    revenue = models.BigIntegerField()
    cost_of_goods = models.BigIntegerField()
    acquisition_cost = models.BigIntegerField()
    other_costs = models.BigIntegerField()
    profit_contribution = models.BigIntegerField()
    aov = models.BigIntegerField()
    frequency = models.FloatField(null=True)
    recency_days = models.IntegerField()
    r_score = models.IntegerField()
    f_score = models.IntegerField()
    m_score = models.IntegerField()
    segment = models.SmallIntegerField()
    simple_clv = models.BigIntegerField()
    retention_clv = models.BigIntegerField()
    predicted_clv = models.BigIntegerField()
    clv_method = models.SmallIntegerField()
    p_alive = models.FloatField(null=True)
    expected_purchases_90d = models.FloatField(null=True)
    expected_order_value = models.BigIntegerField()
    relationship_value = models.BigIntegerField()
    continuing_value = models.BigIntegerField()
    loss_value = models.BigIntegerField()
    information_value = models.BigIntegerField()
    nps_category = models.SmallIntegerField()
    avg_csat = models.FloatField(null=True)
    repeat_rate = models.FloatField(null=True)
    tenure_days = models.IntegerField()
    loyalty = models.FloatField(null=True)
    referrals_count = models.IntegerField()
    referral_revenue = models.BigIntegerField()
    churn_risk = models.FloatField(null=True)
    pct_historical = models.FloatField(null=True)
    pct_future = models.FloatField(null=True)
    pct_loyalty = models.FloatField(null=True)
    pct_influence = models.FloatField(null=True)
    value_score = models.FloatField(null=True)
    tier = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer_id"], name="staged_one_per_run")
        ]

    def __str__(self):
        return f"run {self.run_id}: customer {self.customer_id}"


class ScoreSnapshot(models.Model):
    """A customer's headline figures on one date, for the history chart."""

    # Indexed by the (customer, as_of) constraint below.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="score_snapshots",
        db_index=False,
        verbose_name=_("customer"),
    )
    as_of = models.DateField(_("as of"))
    value_score = models.FloatField(_("value score"), null=True)
    tier = models.CharField(_("tier"), max_length=1, blank=True)
    profit_contribution = models.DecimalField(_("profit contribution"), **MONEY)
    future_value = models.DecimalField(_("future value"), **MONEY)
    churn_risk = models.FloatField(_("churn risk"), null=True)

    class Meta:
        ordering = ["customer", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "as_of"], name="snapshot_one_per_day")
        ]
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")

    def __str__(self):
        return f"{self.customer_id} on {self.as_of}: {self.value_score}"


class PopulationStats(models.Model):
    """Cut-offs computed by the last full run, so an incremental update of one customer is
    scored against the same population (quintiles, percentiles, tiers, model params)."""

    as_of = models.DateField(_("as of"))
    run = models.OneToOneField(
        "RecalcRun",
        on_delete=models.CASCADE,
        related_name="stats",
        verbose_name=_("recalculation run"),
    )
    data = models.JSONField(_("cut-offs and parameters"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        verbose_name = _("population statistics")
        verbose_name_plural = _("population statistics")

    def __str__(self):
        return f"population as of {self.as_of}"


class ModelFit(models.Model):
    class Kind(models.TextChoices):
        BGNBD = "bgnbd", _("BG/NBD")
        GAMMA_GAMMA = "gamma_gamma", _("Gamma-Gamma")

    kind = models.CharField(_("model"), max_length=12, choices=Kind)
    run = models.ForeignKey(
        "RecalcRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="fits"
    )
    as_of = models.DateField(_("as of"))
    params = models.JSONField(_("parameters"), default=dict)
    log_likelihood = models.FloatField(_("log-likelihood"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    converged = models.BooleanField(_("converged"), default=False)
    message = models.CharField(_("message"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("model fit")
        verbose_name_plural = _("model fits")

    def __str__(self):
        return f"{self.get_kind_display()} {self.as_of}"


# The prepare steps of a full run, named by the lap each records in ``RecalcRun.timings``,
# with their share of the progress bar (about their share of a run's time at a million
# customers, docs/benchmarks.md); publishing the chunks takes the rest but the swap's 5 %.
PREPARE_STEPS = (
    ("inputs", _("Read orders, costs, referrals and surveys"), 25),
    ("population", _("Fit the models and score every customer"), 15),
    ("stage", _("Stage the new scores"), 20),
)
PREPARE_SHARE = sum(share for _lap, _label, share in PREPARE_STEPS)
PUBLISH_SHARE = 35


class RecalcRun(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("Full")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        USER = "user", _("Started by a user")
        SCHEDULE = "schedule", _("Nightly schedule")
        API = "api", _("API")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.FULL)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger, default=Trigger.USER)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    total = models.PositiveIntegerField(_("customers"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    timings = models.JSONField(_("seconds per step"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recalculation run")
        verbose_name_plural = _("recalculation runs")
        constraints = [
            # One run at a time: the database refuses a second queued or running full run.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.as_of} ({self.get_status_display()})"

    @property
    def percent(self):
        """How far the run is, step by step (``PREPARE_STEPS``, then the chunks, then the
        swap), in whole percent; 100 only once it is done."""
        if self.status == self.Status.DONE:
            return 100
        laps = self.timings or {}
        done = sum(share for lap, _label, share in PREPARE_STEPS if lap in laps)
        if self.chunks_total:
            done = PREPARE_SHARE + PUBLISH_SHARE * self.chunks_done // self.chunks_total
        return done

    def progress_steps(self):
        """The steps of the run, each ``(label, state)`` with state "done", "current" or
        "pending": the prepare steps (done once their lap is in ``timings``), publishing
        chunk by chunk, then swapping the new scores in."""
        laps = self.timings or {}
        published = bool(self.chunks_total) and self.chunks_done >= self.chunks_total
        if self.chunks_total:
            publish = _("Publish the scores: %(done)s of %(total)s chunks") % {
                "done": self.chunks_done,
                "total": self.chunks_total,
            }
        else:
            publish = _("Publish the scores in chunks")
        steps = [
            (label, lap in laps or bool(self.chunks_total)) for lap, label, _s in PREPARE_STEPS
        ]
        steps += [(publish, published), (_("Swap in the new scores"), False)]
        finished = self.status == self.Status.DONE
        current_found = self.status != self.Status.RUNNING
        shown = []
        for label, done in steps:
            if finished or done:
                state = "done"
            elif not current_found:
                state, current_found = "current", True
            else:
                state = "pending"
            shown.append((label, state))
        return shown

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class RecalcChunk(models.Model):
    """One slice of a full run's customers (by id range), published by one task."""

    run = models.ForeignKey(
        RecalcRun,
        on_delete=models.CASCADE,
        related_name="chunks",
        verbose_name=_("recalculation run"),
    )
    index = models.PositiveIntegerField(_("index"))
    first_id = models.BigIntegerField(_("first customer id"))
    last_id = models.BigIntegerField(_("last customer id"))
    size = models.PositiveIntegerField(_("customers"))
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="chunk_unique")]
        verbose_name = _("recalculation chunk")
        verbose_name_plural = _("recalculation chunks")

    def __str__(self):
        return f"run {self.run_id} chunk {self.index}"


class DirtyCustomer(models.Model):
    """Outbox: a customer whose metrics must be recalculated. Written in the same transaction
    as the change, so nothing is lost while Redis or the workers are down; deleted by the
    recalculation only if its version has not moved meanwhile."""

    customer_id = models.BigIntegerField(primary_key=True)
    version = models.PositiveIntegerField(default=1)
    marked_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("customer awaiting recalculation")
        verbose_name_plural = _("customers awaiting recalculation")

    def __str__(self):
        return f"customer {self.customer_id} (v{self.version})"


class ScoreTotal(models.Model):
    """One company-wide total over the current scores, kept by the value engine whenever
    it writes or deletes scores (metrics.totals), so that the dashboard reads a few
    hundred of these rows instead of a million scores (issue 14).

    ``kind`` says what is counted and ``key`` which group (metrics.totals has the
    encoding): every score row ("rows", key ""), the scored ones ("scored", key ""), the
    rows per as-of date ("as_of", ISO date), per histogram bucket of the value score
    ("bucket", 0-9), per tier ("tier": customers and their revenue), per RFM cell
    ("rfm", "R,F,M"), per acquiring campaign ("campaign", its id) and per first purchase
    day of the score ("first_day", ISO date): for those two, the customers with a CLV and
    the sum of their CLV; and per CLV method ("clv_method", "" for none)."""

    class Kind(models.TextChoices):
        ROWS = "rows", _("Score rows")
        SCORED = "scored", _("Scored customers")
        AS_OF = "as_of", _("Score date")
        BUCKET = "bucket", _("Value score bucket")
        TIER = "tier", _("Tier")
        RFM = "rfm", _("RFM cell")
        CAMPAIGN = "campaign", _("Acquiring campaign")
        FIRST_DAY = "first_day", _("First purchase day")
        CLV_METHOD = "clv_method", _("CLV method")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    key = models.CharField(_("key"), max_length=40, blank=True)
    customers = models.BigIntegerField(_("customers"), default=0)
    amount = models.DecimalField(
        _("amount"), max_digits=20, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("score total")
        verbose_name_plural = _("score totals")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="score_total_unique")]

    def __str__(self):
        return f"{self.kind} {self.key}: {self.customers}"
