"""Model health: does the value engine run, does the BG/NBD model predict what customers
then did, does the data meet Gamma-Gamma's assumption, and which CLV method the scores use.

The checks are pure functions over numpy arrays (first half); the reads that feed them are
set-based SQL, one pass over the orders each, and small ORM reads for the metrics page
(second half). Each check of the orders costs about what a full run's order aggregate
costs (seconds per million orders), so the page computes them only when asked.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import connection

from orders.models import PURCHASE_STATUSES, Order
from valuemodels import bgnbd

from . import totals
from .models import DirtyCustomer, ModelFit, RecalcRun, ScoreTotal

HOLDOUT_WEEKS = 26
# Calibration repeat purchases are grouped 0, 1, ... and "this many or more".
TOP_BUCKET = 7
# Gamma-Gamma assumes spend per purchase is independent of purchase frequency; a
# correlation beyond this (either sign) is worth a warning.
CORRELATION_WARNING = 0.3
MIN_CORRELATION_CUSTOMERS = 3


# --- Holdout calibration of BG/NBD ----------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    repeat_purchases: int
    is_top: bool
    customers: int
    actual: float
    predicted: float | None


@dataclass(frozen=True)
class HoldoutCheck:
    fit: bgnbd.BgNbdFit
    holdout_days: int
    customers: int
    actual_total: float
    predicted_total: float | None
    buckets: list

    @property
    def error_percent(self):
        """(predicted - actual) / actual * 100; None without a prediction or purchases."""
        if self.predicted_total is None or not self.actual_total:
            return None
        return 100 * (self.predicted_total - self.actual_total) / self.actual_total


def holdout_check(*, x, t_x, T, holdout, holdout_days, weights=None):
    """Fit BG/NBD on the calibration period and compare its prediction of the holdout with
    what happened.

    One row per customer, or per group of customers with identical (x, t_x, T) with their
    count in ``weights``; ``holdout`` is the number of purchases the row's customers made
    in the ``holdout_days`` after the calibration period (summed over the group)."""
    x, t_x, T, holdout = (np.asarray(v, dtype=float) for v in (x, t_x, T, holdout))
    weights = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    fit = bgnbd.fit(x, t_x, T, weights=weights)
    predicted = (
        weights * bgnbd.expected_purchases(fit.params, holdout_days, x, t_x, T)
        if fit.converged
        else None
    )
    group = np.minimum(x, TOP_BUCKET).astype(int)
    buckets = []
    for k in range(TOP_BUCKET + 1):
        rows = group == k
        customers = weights[rows].sum()
        if not customers:
            continue
        buckets.append(
            Bucket(
                repeat_purchases=k,
                is_top=k == TOP_BUCKET,
                customers=round(customers),
                actual=float(holdout[rows].sum() / customers),
                predicted=None if predicted is None else float(predicted[rows].sum() / customers),
            )
        )
    return HoldoutCheck(
        fit=fit,
        holdout_days=int(holdout_days),
        customers=round(weights.sum()),
        actual_total=float(holdout.sum()),
        predicted_total=None if predicted is None else float(predicted.sum()),
        buckets=buckets,
    )


def _nice_step(maximum, ticks=4):
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) covering ``maximum``."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def chart_geometry(buckets, *, width=560, height=260, margin=48):
    """Coordinates for the SVG chart of mean actual vs predicted holdout purchases by
    calibration repeat purchases: points of both lines, x labels and y ticks."""
    values = [b.actual for b in buckets] + [b.predicted for b in buckets if b.predicted]
    step = _nice_step(max(values, default=0))
    top = step * max(1, math.ceil(max(values, default=0) / step))
    plot_w, plot_h = width - 2 * margin, height - 2 * margin

    def y(value):
        return round(margin + plot_h * (1 - value / top), 1)

    spacing = plot_w / max(len(buckets) - 1, 1)
    points = []
    for i, bucket in enumerate(buckets):
        points.append(
            {
                "x": round(margin + i * spacing, 1),
                "label": f"{bucket.repeat_purchases}{'+' if bucket.is_top else ''}",
                "actual_y": y(bucket.actual),
                "predicted_y": None if bucket.predicted is None else y(bucket.predicted),
            }
        )
    ticks = [{"y": y(step * i), "label": f"{step * i:g}"} for i in range(round(top / step) + 1)]
    return {
        "width": width,
        "height": height,
        "left": margin,
        "right": width - margin,
        "top": margin,
        "bottom": height - margin,
        "points": points,
        "ticks": ticks,
        "actual_line": " ".join(f"{p['x']},{p['actual_y']}" for p in points),
        "predicted_line": " ".join(
            f"{p['x']},{p['predicted_y']}" for p in points if p["predicted_y"] is not None
        ),
    }


# --- Gamma-Gamma's independence assumption --------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Sums from which a Pearson correlation follows; SQL computes them in one pass."""

    n: float
    sx: float
    sy: float
    sxx: float
    syy: float
    sxy: float


def moments(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return Moments(
        n=float(x.size),
        sx=float(x.sum()),
        sy=float(y.sum()),
        sxx=float(np.dot(x, x)),
        syy=float(np.dot(y, y)),
        sxy=float(np.dot(x, y)),
    )


def pearson(m):
    """The correlation of the sums in ``m``; None when it is undefined (fewer than three
    pairs, or one variable constant)."""
    if m.n < MIN_CORRELATION_CUSTOMERS:
        return None
    spread_x = m.n * m.sxx - m.sx**2
    spread_y = m.n * m.syy - m.sy**2
    if spread_x <= 0 or spread_y <= 0:
        return None
    r = (m.n * m.sxy - m.sx * m.sy) / math.sqrt(spread_x * spread_y)
    return max(-1.0, min(1.0, r))


@dataclass(frozen=True)
class FrequencyMonetaryCheck:
    customers: int
    correlation: float | None

    @property
    def warning(self):
        return self.correlation is not None and abs(self.correlation) > CORRELATION_WARNING


def frequency_monetary_check(m):
    """Pearson r between repeat purchases and average repeat purchase value."""
    return FrequencyMonetaryCheck(customers=round(m.n), correlation=pearson(m))


# --- Reads ----------------------------------------------------------------------------


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day_numbers(values):
    """Days since 1970-01-01 of dates (or ISO strings, as SQLite returns them)."""
    return np.array([str(v)[:10] for v in values], dtype="datetime64[D]").astype(np.int64)


def _statuses():
    return ", ".join(f"'{status}'" for status in PURCHASE_STATUSES)


@dataclass(frozen=True)
class HoldoutRows:
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    holdout: np.ndarray


def holdout_rows(*, calibration_end, holdout_end):
    """Customers whose first purchase is on or before ``calibration_end``, collapsed by
    (x, t_x, T) in days over the calibration period, with the purchases they made in
    (calibration_end, holdout_end]. Purchases on one day count once (spec §2.5)."""
    sql = f"""
        WITH days AS (
            SELECT customer_id, ordered_on FROM {Order._meta.db_table}
            WHERE status IN ({_statuses()}) AND ordered_on <= %s
            GROUP BY customer_id, ordered_on
        ), per_customer AS (
            SELECT MIN(ordered_on) AS first_day,
                   MAX(CASE WHEN ordered_on <= %s THEN ordered_on END) AS last_day,
                   SUM(CASE WHEN ordered_on <= %s THEN 1 ELSE 0 END) - 1 AS x,
                   SUM(CASE WHEN ordered_on > %s THEN 1 ELSE 0 END) AS holdout
            FROM days GROUP BY customer_id
        )
        SELECT x, first_day, last_day, COUNT(*), SUM(holdout)
        FROM per_customer WHERE first_day <= %s
        GROUP BY x, first_day, last_day
    """  # noqa: S608 (the table name and our own status constants; values are parameters)
    rows = _fetch(sql, [holdout_end] + [calibration_end] * 4)
    if not rows:
        empty = np.zeros(0)
        return HoldoutRows(empty, empty, empty, empty, empty)
    columns = list(zip(*rows, strict=True))
    first, last = _day_numbers(columns[1]), _day_numbers(columns[2])
    end = _day_numbers([calibration_end])[0]
    return HoldoutRows(
        x=np.array(columns[0], dtype=float),
        t_x=(last - first).astype(float),
        T=(end - first).astype(float),
        weights=np.array(columns[3], dtype=float),
        holdout=np.array(columns[4], dtype=float),
    )


def holdout_check_as_of(*, calibration_end, as_of):
    rows = holdout_rows(calibration_end=calibration_end, holdout_end=as_of)
    return holdout_check(
        x=rows.x,
        t_x=rows.t_x,
        T=rows.T,
        weights=rows.weights,
        holdout=rows.holdout,
        holdout_days=(as_of - calibration_end).days,
    )


def frequency_monetary_moments(*, as_of):
    """Moments of (x, average repeat purchase value) over the customers Gamma-Gamma is
    fitted on: repeat customers whose average is positive, as of ``as_of``."""
    sql = f"""
        WITH per_day AS (
            SELECT customer_id, ordered_on, SUM(total_base - refunded_base) AS value,
                   MIN(ordered_on) OVER (PARTITION BY customer_id) AS first_day
            FROM {Order._meta.db_table}
            WHERE status IN ({_statuses()}) AND ordered_on <= %s
            GROUP BY customer_id, ordered_on
        ), repeaters AS (
            SELECT COUNT(*) AS x, CAST(SUM(value) AS DOUBLE PRECISION) / COUNT(*) AS z
            FROM per_day WHERE ordered_on > first_day GROUP BY customer_id
        )
        SELECT COUNT(*), SUM(x), SUM(z), SUM(x * x), SUM(z * z), SUM(x * z)
        FROM repeaters WHERE z > 0
    """  # noqa: S608 (as above)
    (row,) = _fetch(sql, [as_of])
    return Moments(*(float(v or 0) for v in row))


def clv_method_counts():
    """{method: customers} over the current scores ("" for customers without orders), kept
    with the scores' totals (``metrics.totals``)."""
    kind = ScoreTotal.Kind.CLV_METHOD
    return {
        key: customers for key, (customers, _amount) in totals.stored(kind).of_kind(kind).items()
    }


def latest_fits():
    """The most recent fit of each model, or None when there is none yet."""
    return {
        kind: ModelFit.objects.filter(kind=kind).order_by("-created_at", "-id").first()
        for kind in ModelFit.Kind.values
    }


def fits_recent(*, kind, limit=5):
    return list(ModelFit.objects.filter(kind=kind).order_by("-created_at", "-id")[:limit])


def run_active():
    return (
        RecalcRun.objects.filter(status__in=[RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING])
        .select_related("started_by")
        .first()
    )


def runs_recent(*, limit=10):
    return list(
        RecalcRun.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]
    )


def dirty_count():
    return DirtyCustomer.objects.count()


def default_calibration_end(as_of):
    return as_of - timedelta(weeks=HOLDOUT_WEEKS)
