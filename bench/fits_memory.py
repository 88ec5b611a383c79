"""Memory of the fits' reduce (``metrics.engine.fit_statistics``) on synthetic populations.

    .venv/bin/python bench/fits_memory.py 250000 500000 1000000 2000000

No database: each range of ``CHUNK`` customers is drawn with numpy from a fixed seed (the
demo data's buying behaviour, simplified: segments with their rates and lapses, three years
of history, order values in cents, a quarter in another currency), its part built by
``engine.chunk_statistics`` as a range's map task does, and pickled as the result backend
holds it. Then, under ``tracemalloc`` (numpy's allocations included), the parts are unpickled
one at a time as the reduce reads them and go through ``fit_inputs`` and
``fitted_statistics`` (``services.full_run_fit``'s steps). Printed per population: the unique
rows the fits get, what the reduce holds through the fits (the merged inputs held in memory,
and those in temporary files), the peak of the whole reduce, and the peak above what was
held on entry of each step (the merges, the RFM cut-offs, building each likelihood, one
evaluation of it, each fit), and the seconds the merge and the fits take without tracemalloc.
Run on demand; nothing here is a test.
"""

import argparse
import pickle
import sys
import time
import tracemalloc
from collections import defaultdict
from datetime import date
from functools import wraps
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metrics import counted, engine  # noqa: E402
from valuemodels import bgnbd, gamma_gamma  # noqa: E402

CHUNK = 50_000  # metrics.services.CHUNK_SIZE
AS_OF = date(2026, 11, 1)
DAYS = 3 * 365 + 1
SEGMENT_SHARE = [0.07, 0.21, 0.26, 0.23, 0.11, 0.12]  # lead, one-off, occasional, ...
SEGMENT_RATE = np.array([0.0, 0.0, 3.5, 11.0, 34.0, 7.0])
SEGMENT_LAPSE = np.array([0.0, 0.0, 0.35, 0.25, 0.08, 0.2])
PARAMS = engine.Parameters(weights={})


def synthetic_chunk(seed, index, size):
    """The inputs of ``size`` customers, range ``index`` of a population drawn from ``seed``."""
    rng = np.random.default_rng([seed, index])
    segment = rng.choice(len(SEGMENT_SHARE), size, p=SEGMENT_SHARE)
    buyer = segment > 0
    acquired = np.floor(np.log1p(rng.random(size) * np.expm1(0.9)) / 0.9 * (DAYS - 7))
    first = np.minimum(acquired + np.minimum(rng.geometric(0.25, size) - 1, 21), DAYS - 1)
    yearly = SEGMENT_RATE[segment] * rng.gamma(2.0, 0.5, size)
    lapsed = buyer & (rng.random(size) < SEGMENT_LAPSE[segment])
    lifetime = 30 + np.floor(rng.exponential(300, size))
    end = np.maximum(np.where(lapsed, np.minimum(acquired + lifetime, DAYS), DAYS), first + 1)
    span = end - first
    repeats = np.where((segment >= 2) & (span >= 2), rng.poisson(yearly * span / 365.25), 0)
    repeats = np.minimum(repeats, 250)

    who = np.flatnonzero(buyer)
    later = np.repeat(np.arange(size), repeats)
    customer = np.concatenate([who, later])
    day = np.concatenate(
        [first[who], first[later] + 1 + np.floor(rng.random(later.size) * (span[later] - 1))]
    )
    # Order values in whole cents: many small baskets, a long tail of large ones.
    cents = np.maximum(np.rint(np.exp(rng.normal(np.log(8_000), 1.2, customer.size))), 100)
    # A quarter of the customers pay in another currency: base amounts at a day's rate.
    foreign = (rng.random(size) < 0.25)[customer]
    rate = 1 + 0.1 * np.sin(day / 30) + 0.02 * rng.random(customer.size)
    cents = np.where(foreign, np.rint(cents * rate), cents)
    orders = np.bincount(customer, minlength=size).astype(float)
    revenue_cents = np.bincount(customer, weights=cents, minlength=size)
    first_cents = np.zeros(size)
    first_cents[who] = cents[: who.size]
    purchase = np.unique(customer * DAYS + day.astype(np.int64))
    purchase_days = np.bincount(purchase // DAYS, minlength=size).astype(float)
    last = np.full(size, -1.0)
    np.maximum.at(last, customer, day)

    epoch = engine.day_number(AS_OF) - DAYS
    nan = np.full(size, np.nan)
    acquisition = np.where(rng.random(size) < 0.45, np.rint(rng.gamma(2.0, 1_500, size)), 0.0)
    return engine.CustomerInputs(
        as_of=AS_OF,
        customer_id=np.arange(index * size, (index + 1) * size),
        columns={
            "orders": orders,
            "purchase_days": purchase_days,
            "first_order": np.where(buyer, epoch + first, nan),
            "last_order": np.where(buyer, epoch + last, nan),
            "revenue": revenue_cents / 100,
            "repeat_value": (revenue_cents - first_cents) / 100,
            "cost_of_goods": np.rint(revenue_cents * 0.55) / 100,
            "acquisition_cost": acquisition / 100,
            "churned": rng.random(size) < 0.02,
        },
    )


class Peaks:
    """The peak of traced memory above what was held on entry, per wrapped function (the
    largest over its calls), nested calls included in their callers'."""

    def __init__(self):
        self.above_entry = defaultdict(int)
        self.calls = defaultdict(int)
        self._open = []  # per open call: [traced on entry, highest seen]
        self.overall = 0

    def _seen(self):
        current, peak = tracemalloc.get_traced_memory()
        self.overall = max(self.overall, peak)
        for frame in self._open:
            frame[1] = max(frame[1], peak)
        tracemalloc.reset_peak()
        return current

    def wrap(self, owner, name, label):
        function = getattr(owner, name)

        @wraps(function)
        def measured(*args, **kwargs):
            current = self._seen()
            self._open.append([current, current])
            try:
                return function(*args, **kwargs)
            finally:
                self._seen()
                entry, highest = self._open.pop()
                self.above_entry[label] = max(self.above_entry[label], highest - entry)
                self.calls[label] += 1

        setattr(owner, name, measured)
        return function


STEPS = (
    (counted, "merge_counted", "merge of value counts in memory (RFM cut-offs, acquisition)"),
    (counted, "cutoffs", "RFM cut-offs from merged counts"),
    (engine, "fit_inputs", "reading and merging the parts (all of it)"),
    (counted, "merge_rows", "merge of the fit rows in memory (BG/NBD, Gamma-Gamma)"),
    (counted, "merge_runs", "merge of runs, a block at a time"),
    (bgnbd, "fit_rows", "BG/NBD fit (all of it)"),
    (bgnbd._NegativeLogLikelihood, "__init__", "BG/NBD likelihood: built"),
    (bgnbd._NegativeLogLikelihood, "__call__", "BG/NBD likelihood: one evaluation"),
    (gamma_gamma, "fit_rows", "Gamma-Gamma fit (all of it)"),
    (gamma_gamma._NegativeLogLikelihood, "__init__", "Gamma-Gamma likelihood: built"),
    (gamma_gamma._NegativeLogLikelihood, "__call__", "Gamma-Gamma likelihood: one evaluation"),
)


HELD = ("bgnbd", "gamma_gamma", "revenue", "recency", "orders", "acquisition")


def _nbytes(value):
    if isinstance(value, counted.Counted):
        # What the merge holds in memory; a merge in files holds none of it.
        return 0 if value.spilled else _nbytes(list(value.blocks()))
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(item) for item in value.values())
    if isinstance(value, tuple | list):
        return sum(_nbytes(item) for item in value)
    return 0


def measure(customers, seed):
    packed = []
    for index in range(-(-customers // CHUNK)):
        size = min(CHUNK, customers - index * CHUNK)
        part = engine.chunk_statistics(synthetic_chunk(seed, index, size), PARAMS)
        packed.append(pickle.dumps(part, protocol=5))
    peaks = Peaks()
    originals = [
        (owner, name, peaks.wrap(owner, name, label))
        for owner, name, label in STEPS
        if hasattr(owner, name)
    ]
    held = {}
    tracemalloc.start()
    try:
        # As services.full_run_fit: each part unpacked and merged as it is read.
        merged = engine.fit_inputs(_unpickled(packed))
        held = {key: _nbytes(merged[key]) for key in HELD}
        held["in files"] = sum(
            len(merged[key]) * sum(dtype.itemsize for dtype in merged[key].columns.dtypes)
            for key in HELD
            if merged[key].spilled
        )
        held["traced after the merge"] = peaks._seen()
        stats = engine.fitted_statistics(merged, as_of=AS_OF)
        peaks._seen()
    finally:
        tracemalloc.stop()
        for owner, name, function in originals:
            setattr(owner, name, function)
    # Timed apart, without tracemalloc (which slows numpy's allocations).
    started = time.perf_counter()
    merged = engine.fit_inputs(_unpickled(packed))
    merged_at = time.perf_counter()
    engine.fitted_statistics(merged, as_of=AS_OF)
    seconds = (merged_at - started, time.perf_counter() - merged_at)
    parts = list(_unpickled(packed))
    rows = {
        "BG/NBD rows": len(_unique_rows(part["bgnbd"][0] for part in parts)),
        "Gamma-Gamma rows": len(_unique_rows(part["gamma_gamma"][0] for part in parts)),
        "revenue values": np.unique(np.concatenate([part["revenue"][0] for part in parts])).size,
    }
    return peaks, held, stats, rows, len(packed), seconds


def _unpickled(packed):
    for text in packed:
        yield pickle.loads(text)  # noqa: S301 (the parts this script pickled itself)


def _unique_rows(arrays):
    return np.unique(np.concatenate([np.asarray(a, dtype=float) for a in arrays]), axis=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("customers", nargs="+", type=int)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    mb = 1e6
    for customers in args.customers:
        peaks, held, stats, rows, ranges, seconds = measure(customers, args.seed)
        buyers = stats["buyers"]
        print(f"\n{customers:,} customers, {ranges} ranges of {CHUNK:,}: {buyers:,} buyers")
        print("  " + ", ".join(f"{label}: {count:,}" for label, count in rows.items()))
        print("  held by the reduce through the fits (parts, or their merge):")
        for key, size in held.items():
            print(f"    {key}: {size / mb:.1f} MB")
        for label, size in peaks.above_entry.items():
            print(f"  {label}: {size / mb:.1f} MB above entry ({peaks.calls[label]} calls)")
        print(f"  peak of the whole reduce, parts included: {peaks.overall / mb:.1f} MB")
        print("  seconds, untraced: merge {:.2f}, fits and cut-offs {:.2f}".format(*seconds))
        for model in ("bgnbd", "gamma_gamma"):
            fit = stats[model]
            print(f"  {model}: {fit['params']}, {fit['customers']:,} customers")


if __name__ == "__main__":
    main()
