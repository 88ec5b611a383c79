"""A customer's stored score as display data: labels, one-line reasons, "why 87".

No queries here: the view loads the score, the latest run's parameters and model fits, and
this module turns them into translated sentences and rows for the Value tab, the customer
list and the "Call next" page, and the score history into the Value tab's chart.
"""

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import charts
from core.formatting import format_money
from valuemodels import rfm
from valuemodels.labels import COMPONENT_LABELS, segment_label
from valuemodels.score import DEFAULT_WEIGHTS, FUTURE, HISTORICAL, INFLUENCE, LOYALTY
from valuemodels.score import explain as explain_score

from .models import CustomerScore, ModelFit

# Segments whose customers are slipping away: their loss value leads the Value tab.
SLIPPING_SEGMENTS = {rfm.AT_RISK, rfm.CANNOT_LOSE, rfm.HIBERNATING, rfm.LOST}
HIGH_CHURN_RISK = 0.5


def money(value):
    """An amount in the base currency for a sentence; "—" when there is none."""
    return format_money(value)


def whole(value):
    """A number rounded half up to a whole number, as the templates' floatformat does;
    None (or NaN) stays None."""
    if value is None or math.isnan(value):
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent(share):
    """A 0-1 share as a whole percentage for display; None stays None."""
    return None if share is None else whole(share * 100)


def _plural(count):
    """The number that picks a plural form; a missing one (None) reads as 0."""
    return 0 if count is None else int(count)


def weights_from(parameters):
    """The component weights a run used (its stored parameters), else the defaults."""
    if not parameters:
        return dict(DEFAULT_WEIGHTS)
    return {key: Decimal(str(value)) for key, value in parameters["weights"].items()}


# --- Why this score --------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentRow:
    key: str
    label: str
    measure: str
    value: object
    is_money: bool
    percentile: int | None
    weight_percent: str
    points: float
    reason: str


@dataclass(frozen=True)
class ScoreExplanation:
    score: int | None
    headline: str
    components: tuple


def _measure(key, score):
    return {
        HISTORICAL: _("profit contribution"),
        FUTURE: _("predicted CLV")
        if score.clv_method == CustomerScore.ClvMethod.PREDICTIVE
        else _("simple CLV"),
        LOYALTY: _("loyalty score"),
        INFLUENCE: _("referred revenue"),
    }[key]


def _reason(key, score, percentile, horizon_months):
    # Whole sentences with the percentile as a plain number ("percentile 94"): no English
    # ordinal ("94th") ever reaches a translation.
    if percentile is None:
        return _("No data: left out, and the other weights scale up.")
    if key == HISTORICAL:
        costs = None
        if score.revenue is not None and score.profit_contribution is not None:
            costs = score.revenue - score.profit_contribution
        return _(
            "%(value)s profit contribution (revenue %(revenue)s less costs %(costs)s): "
            "percentile %(percentile)s."
        ) % {
            "value": money(score.profit_contribution),
            "revenue": money(score.revenue),
            "costs": money(costs),
            "percentile": percentile,
        }
    if key == FUTURE:
        if score.clv_method == CustomerScore.ClvMethod.PREDICTIVE:
            return ngettext(
                "%(value)s predicted CLV over the next %(months)s month: "
                "percentile %(percentile)s.",
                "%(value)s predicted CLV over the next %(months)s months: "
                "percentile %(percentile)s.",
                _plural(horizon_months),
            ) % {
                "value": money(score.predicted_clv),
                "months": horizon_months,
                "percentile": percentile,
            }
        return _(
            "%(value)s simple CLV (average order × orders a year × expected lifetime − "
            "acquisition cost): percentile %(percentile)s."
        ) % {"value": money(score.simple_clv), "percentile": percentile}
    if key == LOYALTY:
        return _(
            "Loyalty %(value)s of 100 from NPS, CSAT, repeat purchases and tenure: "
            "percentile %(percentile)s."
        ) % {"value": whole(score.loyalty), "percentile": percentile}
    return ngettext(
        "%(count)s referred customer brought %(value)s in revenue: percentile %(percentile)s.",
        "%(count)s referred customers brought %(value)s in revenue: percentile %(percentile)s.",
        _plural(score.referrals_count),
    ) % {
        "count": score.referrals_count,
        "value": money(score.referral_revenue),
        "percentile": percentile,
    }


def _headline(score_value, rows):
    """ "87: profit contribution at percentile 94, predicted CLV at percentile 81, …": a
    whole sentence per number of components with data (one to four), so that a translation
    orders and punctuates it as its language does."""
    ranked = [row for row in rows if row.percentile is not None]
    values = {"score": score_value}
    for n, row in enumerate(ranked, start=1):
        values[f"measure{n}"] = row.measure
        values[f"percentile{n}"] = row.percentile
    if len(ranked) == 1:
        template = _("%(score)s: %(measure1)s at percentile %(percentile1)s.")
    elif len(ranked) == 2:
        template = _(
            "%(score)s: %(measure1)s at percentile %(percentile1)s, "
            "%(measure2)s at percentile %(percentile2)s."
        )
    elif len(ranked) == 3:
        template = _(
            "%(score)s: %(measure1)s at percentile %(percentile1)s, "
            "%(measure2)s at percentile %(percentile2)s, "
            "%(measure3)s at percentile %(percentile3)s."
        )
    elif len(ranked) == 4:
        template = _(
            "%(score)s: %(measure1)s at percentile %(percentile1)s, "
            "%(measure2)s at percentile %(percentile2)s, "
            "%(measure3)s at percentile %(percentile3)s, "
            "%(measure4)s at percentile %(percentile4)s."
        )
    else:
        return str(score_value)
    return template % values


def score_explanation(score, parameters=None):
    """ "87: profit contribution at percentile 94, …" and one row per component,
    largest contribution first, from the stored percentiles and the run's weights."""
    parameters = parameters or {}
    horizon = parameters.get("horizon_months", 36)

    def stored(value):
        return np.nan if value is None else float(value)

    percentiles = {
        HISTORICAL: stored(score.pct_historical),
        FUTURE: stored(score.pct_future),
        LOYALTY: stored(score.pct_loyalty),
        INFLUENCE: stored(score.pct_influence),
    }
    future = score.predicted_clv if score.predicted_clv is not None else score.simple_clv
    values = {
        HISTORICAL: score.profit_contribution,
        FUTURE: future,
        LOYALTY: score.loyalty,
        INFLUENCE: score.referral_revenue,
    }
    explained = explain_score(
        score=stored(score.value_score),
        values=values,
        percentiles=percentiles,
        weights=weights_from(parameters),
    )
    rows = tuple(
        ComponentRow(
            key=item.key,
            label=str(COMPONENT_LABELS[item.key]),
            measure=_measure(item.key, score),
            value=item.value,
            is_money=item.key != LOYALTY,
            percentile=item.percentile,
            weight_percent=format((item.weight * 100).normalize(), "f"),
            points=round(item.points, 1),
            reason=_reason(item.key, score, item.percentile, horizon),
        )
        for item in explained.components
    )
    return ScoreExplanation(
        score=explained.score,
        headline=_headline(explained.score, rows) if explained.score is not None else "",
        components=rows,
    )


# --- The Overview's summary ------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """The value score against an earlier one, in whole points as both are shown."""

    points: int
    since: object  # the date of the earlier score

    @property
    def magnitude(self):
        return abs(self.points)


def score_trend(current, earlier):
    """``earlier`` is (as_of, value score) or None; None when there is nothing to compare."""
    if current is None or earlier is None:
        return None
    since, before = earlier
    now, then = whole(current), whole(before)
    if now is None or then is None:
        return None
    return Trend(points=now - then, since=since)


def future_value(score):
    """(label, amount) of the CLV the value score used: the predicted CLV when the models
    were fitted, else the simple CLV."""
    if score.clv_method == CustomerScore.ClvMethod.PREDICTIVE:
        return _("Predicted CLV"), score.predicted_clv
    return _("Simple CLV"), score.simple_clv


# --- Future value: which CLV and why ---------------------------------------------------


@dataclass(frozen=True)
class ClvVariant:
    key: str
    label: str
    formula: str
    value: Decimal | None
    used: bool


def clv_variants(score, parameters=None):
    """Simple, retention and predicted CLV side by side; ``used`` marks the one the value
    score took as future value."""
    horizon = (parameters or {}).get("horizon_months", 36)
    predictive = score.clv_method == CustomerScore.ClvMethod.PREDICTIVE
    return [
        ClvVariant(
            "simple",
            _("Simple CLV"),
            _("(AOV × orders a year) × expected lifetime − acquisition cost"),
            score.simple_clv,
            score.clv_method == CustomerScore.ClvMethod.SIMPLE,
        ),
        ClvVariant(
            "retention",
            _("Retention CLV"),
            _("annual margin × retention / (1 + discount rate − retention)"),
            score.retention_clv,
            False,
        ),
        ClvVariant(
            "predicted",
            _("Predicted CLV"),
            _("BG/NBD × Gamma-Gamma × margin over %(months)s months, discounted")
            % {"months": horizon},
            score.predicted_clv,
            predictive,
        ),
    ]


def _not_fitted(model, fit):
    """Why ``model`` (its name) is not used, as a whole sentence."""
    if not fit.params or fit.message.startswith("Too little data"):
        return ngettext(
            "%(model)s not fitted: too little data (%(n)s customer with repeat purchases) — "
            "using simple CLV.",
            "%(model)s not fitted: too little data (%(n)s customers with repeat purchases) — "
            "using simple CLV.",
            _plural(fit.customers),
        ) % {"model": model, "n": fit.customers}
    return _("%(model)s not fitted: the fit did not converge — using simple CLV.") % {
        "model": model
    }


# The sentences valuemodels writes on a fit (stored in English on ModelFit.message), with
# their numbers; fit_message shows them in the active language.
_TOO_LITTLE_DATA = re.compile(
    r"Too little data: (?P<n>\d+) repeat customers, the model needs at least (?P<minimum>\d+)\."
)
_TOO_LITTLE_SPEND = re.compile(
    r"Too little data: (?P<n>\d+) repeat customers with spend, "
    r"the model needs at least (?P<minimum>\d+)\."
)
_NOT_CONVERGED_AFTER = re.compile(
    r"Did not converge after (?P<n>\d+) iterations: (?P<detail>.*)", re.DOTALL
)


def fit_message(message):
    """A model fit's message (``valuemodels.bgnbd`` and ``gamma_gamma`` write them in English)
    in the active language; a message of another shape is shown as it is."""
    fixed = {
        "Converged.": _("Converged."),
        "Did not converge: a parameter ran to its bound (degenerate data).": _(
            "Did not converge: a parameter ran to its bound (degenerate data)."
        ),
        "Unusable fit: q <= 1 makes the population's mean spend infinite.": _(
            "Unusable fit: q <= 1 makes the population's mean spend infinite."
        ),
    }
    if message in fixed:
        return fixed[message]
    if match := _TOO_LITTLE_DATA.fullmatch(message):
        n = int(match["n"])
        return ngettext(
            "Too little data: %(n)s repeat customer, the model needs at least %(minimum)s.",
            "Too little data: %(n)s repeat customers, the model needs at least %(minimum)s.",
            n,
        ) % {"n": n, "minimum": match["minimum"]}
    if match := _TOO_LITTLE_SPEND.fullmatch(message):
        n = int(match["n"])
        return ngettext(
            "Too little data: %(n)s repeat customer with spend, the model needs at least "
            "%(minimum)s.",
            "Too little data: %(n)s repeat customers with spend, the model needs at least "
            "%(minimum)s.",
            n,
        ) % {"n": n, "minimum": match["minimum"]}
    if match := _NOT_CONVERGED_AFTER.fullmatch(message):
        n = int(match["n"])
        # The optimiser's own words (scipy's) stay as they are.
        return ngettext(
            "Did not converge after %(n)s iteration: %(detail)s",
            "Did not converge after %(n)s iterations: %(detail)s",
            n,
        ) % {"n": n, "detail": match["detail"]}
    return message


def clv_method_reason(score, fits):
    """Why the future value is the predicted or the simple CLV. ``fits`` maps
    ModelFit.Kind to the latest run's fits. Returns (sentence, technical detail)."""
    if score.clv_method == CustomerScore.ClvMethod.PREDICTIVE:
        bgnbd = fits.get(ModelFit.Kind.BGNBD)
        if bgnbd is None:
            return _("Using predicted CLV: BG/NBD and Gamma-Gamma are fitted."), ""
        return (
            ngettext(
                "Using predicted CLV: BG/NBD and Gamma-Gamma are fitted "
                "(on %(n)s customer with repeat purchases).",
                "Using predicted CLV: BG/NBD and Gamma-Gamma are fitted "
                "(on %(n)s customers with repeat purchases).",
                _plural(bgnbd.customers),
            )
            % {"n": bgnbd.customers},
            "",
        )
    if not score.clv_method:
        return _("No orders yet: no future value."), ""
    for kind, name in ((ModelFit.Kind.BGNBD, "BG/NBD"), (ModelFit.Kind.GAMMA_GAMMA, "Gamma-Gamma")):
        fit = fits.get(kind)
        if fit is not None and not fit.converged:
            return _not_fitted(name, fit), fit_message(fit.message)
    if not fits:
        return _("No model fit recorded yet — using simple CLV."), ""
    return _("The models were not fitted when this score was calculated — using simple CLV."), ""


# --- Churn risk and what is at stake ---------------------------------------------------


def churn_rule(score, *, churned, inactivity_days):
    """Which rule produced the churn risk, as a sentence."""
    if score.churn_risk is None:
        return _("No orders yet: no churn risk.")
    if churned and score.churn_risk >= 1:
        return _("Marked as churned.")
    if score.p_alive is not None:
        return _("1 − P(alive) from the BG/NBD model (P(alive) %(p)s%%).") % {
            "p": percent(score.p_alive)
        }
    return ngettext(
        "Inactivity rule: %(days)s day since the last order, of a %(window)s-day window "
        "(BG/NBD not fitted).",
        "Inactivity rule: %(days)s days since the last order, of a %(window)s-day window "
        "(BG/NBD not fitted).",
        _plural(score.recency_days),
    ) % {"days": score.recency_days, "window": inactivity_days}


def is_slipping(score, *, churned):
    """At risk or churned: the page then leads with what losing the customer costs."""
    return (
        churned
        or (score.churn_risk is not None and score.churn_risk >= HIGH_CHURN_RISK)
        or score.segment in SLIPPING_SEGMENTS
    )


def call_reason(score):
    """ "Tier A, churn risk up from 20% to 55%, last order 140 days ago, At risk segment":
    one whole sentence per shape (the risk rose or not, with or without the last order and
    the segment), so that a translation orders it as its language does."""
    now = percent(score.churn_risk)
    before = percent(score.previous_churn_risk)
    # Compared as shown: "up from 1% to 1%" would read as nonsense.
    rose = before is not None and now is not None and now > before
    days = score.recency_days
    values = {
        "tier": score.tier,
        "before": before,
        "now": now,
        "days": days,
        "segment": segment_label(score.segment) if score.segment else "",
    }
    if days is not None and score.segment:
        template = (
            ngettext(
                "Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%, "
                "last order %(days)s day ago, %(segment)s segment",
                "Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%, "
                "last order %(days)s days ago, %(segment)s segment",
                _plural(days),
            )
            if rose
            else ngettext(
                "Tier %(tier)s, churn risk %(now)s%%, last order %(days)s day ago, "
                "%(segment)s segment",
                "Tier %(tier)s, churn risk %(now)s%%, last order %(days)s days ago, "
                "%(segment)s segment",
                _plural(days),
            )
        )
    elif days is not None:
        template = (
            ngettext(
                "Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%, "
                "last order %(days)s day ago",
                "Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%, "
                "last order %(days)s days ago",
                _plural(days),
            )
            if rose
            else ngettext(
                "Tier %(tier)s, churn risk %(now)s%%, last order %(days)s day ago",
                "Tier %(tier)s, churn risk %(now)s%%, last order %(days)s days ago",
                _plural(days),
            )
        )
    elif score.segment:
        template = (
            _("Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%, %(segment)s segment")
            if rose
            else _("Tier %(tier)s, churn risk %(now)s%%, %(segment)s segment")
        )
    else:
        template = (
            _("Tier %(tier)s, churn risk up from %(before)s%% to %(now)s%%")
            if rose
            else _("Tier %(tier)s, churn risk %(now)s%%")
        )
    return template % values


def score_history_chart(history, tier_cutoffs=None):
    """The Value tab's chart of ``history`` [(date, value score 0-100)], oldest first, with
    the latest run's two tier cut-offs (C/B, B/A) as dashed lines. None when there is
    nothing to draw."""
    if not history:
        return None
    # Whole points, rounded as the header and the lists round them.
    history = [(day, whole(value)) for day, value in history]
    (first_day, first), (last_day, last) = history[0], history[-1]
    marks = list(zip(tier_cutoffs or (), ("B", "A"), strict=False))
    title = _("Value score from %(first)s on %(first_day)s to %(last)s on %(last_day)s") % {
        "first": f"{first:.0f}",
        "first_day": first_day.isoformat(),
        "last": f"{last:.0f}",
        "last_day": last_day.isoformat(),
    }
    # The history keeps one row per customer and day (the day's last recalculation
    # overwrites the earlier ones), thinned to one a week after SCORE_HISTORY_DAILY_DAYS
    # (metrics.retention), so the chart says so.
    days = {"days": settings.SCORE_HISTORY_DAILY_DAYS}
    note = (
        _(
            "One point per day for the last %(days)s days, then one per week: the score "
            "after the last recalculation of that day or week. Dashed lines: where tiers "
            "B and A begin in the latest run."
        )
        % days
        if marks
        else _(
            "One point per day for the last %(days)s days, then one per week: the score "
            "after the last recalculation of that day or week."
        )
        % days
    )
    return charts.dated_line_chart(
        title=title,
        points=history,
        marks=marks,
        note=note,
        caption=_("Value score by day"),
        headers=(_("Day"), _("Value score")),
    )
