"""Benchmark of the BG/NBD and Gamma-Gamma fits plus the 12-month predicted CLV.

    # once: the fit inputs of the demo data (read-only), as the full run builds them
    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench \\
        .venv/bin/python bench/fits.py dump /tmp/fits/inputs.npz
    # the timings; the reference library installed apart, never into the project's venv
    .venv/bin/pip install --target /tmp/fits/lt --no-deps lifetimes==0.11.3 autograd dill \\
        "pandas<2.3" python-dateutil pytz tzdata six
    PYTHONPATH=/tmp/fits/lt .venv/bin/python bench/fits.py time /tmp/fits/inputs.npz

``time`` runs three implementations on the same rows, interleaved, ``--repeat`` times: this
tree's ``valuemodels``, a committed one (``--baseline``, default HEAD, extracted with
``git archive`` to a temporary package) and the ``lifetimes`` library (skipped when it is
not importable). Each does what a full run does: BG/NBD on the customers' histories
collapsed into weighted unique rows, Gamma-Gamma on the repeat buyers, then every
customer's expected order value and 12-month CLV. It prints the median wall seconds of each
step, the ratios, the CPU seconds (which a busy machine does not inflate as much), and the
largest relative difference of the fitted parameters and of the CLV from the others'.
Run on demand; nothing here is a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import import_module
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HORIZON_MONTHS = 12
ANNUAL_DISCOUNT = 0.10


def dump(path, as_of):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from datetime import date

    from metrics import engine, selectors

    day = date.fromisoformat(as_of) if as_of else selectors.last_purchase_on()
    inputs = selectors.customer_inputs(as_of=day)
    d = engine._derived(inputs, 365)
    buyers = d["has_orders"]
    np.savez(
        path,
        x=d["x"][buyers],
        t_x=d["t_x"][buyers],
        T=d["T"][buyers],
        average_value=d["avg_repeat"][buyers],
        as_of=day.isoformat(),
    )
    print(f"{buyers.sum():,} customers with orders of {len(inputs):,}, as of {day}: {path}")


def _committed_valuemodels(revision):
    """``valuemodels`` as committed in ``revision``, as the package ``valuemodels_head``."""
    archive = subprocess.run(  # noqa: S603 (git with a revision the user gave)
        ["/usr/bin/git", "archive", revision, "valuemodels"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="fits-head-"))
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "valuemodels").rename(folder / "valuemodels_head")
    sys.path.insert(0, str(folder))
    return {name: import_module(f"valuemodels_head.{name}") for name in _MODULES}


_MODULES = ("bgnbd", "gamma_gamma", "predictive")


def _ours(models, x, t_x, T, z):
    bgnbd, gamma_gamma, predictive = (models[name] for name in _MODULES)
    laps = {}
    started = time.perf_counter()
    rows = bgnbd.collapse(x, t_x, T)
    bg = bgnbd.fit(rows.x, rows.t_x, rows.T, weights=rows.weights)
    laps["BG/NBD"] = time.perf_counter() - started
    started = time.perf_counter()
    gg = gamma_gamma.fit(x, z)
    laps["Gamma-Gamma"] = time.perf_counter() - started
    started = time.perf_counter()
    eov = gamma_gamma.expected_order_value(gg.params, x, z)
    clv = predictive.predicted_clv(
        bg.params,
        x,
        t_x,
        T,
        expected_order_value=eov,
        margin=1.0,
        horizon_months=HORIZON_MONTHS,
        annual_discount=ANNUAL_DISCOUNT,
    )
    laps["CLV"] = time.perf_counter() - started
    params = {"BG/NBD": vars(bg.params), "Gamma-Gamma": vars(gg.params)}
    return laps, params, clv


def _lifetimes(x, t_x, T, z):
    """The same steps with lifetimes: the same weighted rows and repeat buyers, its CLV on
    the distinct histories (as ours) with a monthly rate equal to our annual one."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import _customer_lifetime_value

    from valuemodels import bgnbd

    laps = {}
    started = time.perf_counter()
    rows = bgnbd.collapse(x, t_x, T)
    bg = BetaGeoFitter().fit(rows.x, rows.t_x, rows.T, weights=rows.weights)
    laps["BG/NBD"] = time.perf_counter() - started
    started = time.perf_counter()
    used = (x > 0) & (z > 0)
    gg = GammaGammaFitter().fit(x[used], z[used])
    laps["Gamma-Gamma"] = time.perf_counter() - started
    started = time.perf_counter()
    eov = gg.conditional_expected_average_profit(pd.Series(x), pd.Series(np.maximum(z, 0)))
    # Its CLV function less the expected order value, which lifetimes takes from the
    # Gamma-Gamma model per row: ours is per customer.
    purchases = _customer_lifetime_value(
        bg,
        pd.Series(rows.x),
        pd.Series(rows.t_x),
        pd.Series(rows.T),
        np.ones_like(rows.x),
        time=HORIZON_MONTHS,
        discount_rate=(1 + ANNUAL_DISCOUNT) ** (1 / 12) - 1,
        freq="D",
    )
    clv = np.asarray(eov) * np.asarray(purchases)[rows.inverse]
    laps["CLV"] = time.perf_counter() - started
    params = {
        "BG/NBD": {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")},
        "Gamma-Gamma": {
            "p": float(gg.params_["p"]),
            "q": float(gg.params_["q"]),
            "gamma": float(gg.params_["v"]),
        },
    }
    return laps, params, clv


def _largest_difference(params, reference):
    return max(
        abs(value / reference[model][name] - 1)
        for model, values in params.items()
        for name, value in values.items()
    )


def time_fits(path, repeat, baseline):
    data = np.load(path)
    x, t_x, T, z = (data[k] for k in ("x", "t_x", "T", "average_value"))
    print(
        f"{x.size:,} customers with orders, {(x > 0).sum():,} repeat buyers, "
        f"{((x > 0) & (z > 0)).sum():,} with a positive average, as of {data['as_of']}"
    )
    current = {name: import_module(f"valuemodels.{name}") for name in _MODULES}
    committed = _committed_valuemodels(baseline)
    implementations = {
        "this tree": lambda: _ours(current, x, t_x, T, z),
        f"committed ({baseline})": lambda: _ours(committed, x, t_x, T, z),
    }
    try:
        import lifetimes  # noqa: F401

        implementations["lifetimes"] = lambda: _lifetimes(x, t_x, T, z)
    except ImportError:
        print("lifetimes is not importable: left out (see the docstring)")
    laps = {name: [] for name in implementations}
    load_before = os.getloadavg()[0]
    results = {}
    cpu = {name: [] for name in implementations}
    for _round in range(repeat):
        for name, run in implementations.items():
            started = time.process_time()
            lap, params, clv = run()
            cpu[name].append(time.process_time() - started)
            laps[name].append(lap)
            results[name] = params, clv
    steps = ("BG/NBD", "Gamma-Gamma", "CLV")
    print(
        f"\nmedian wall seconds of {repeat} interleaved runs "
        f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)\n"
    )
    print(
        "| implementation | "
        + " | ".join(steps)
        + " | total | this tree is faster by | CPU seconds (all threads) |"
    )
    print("|---" * (len(steps) + 4) + "|")
    totals = {name: statistics.median(sum(lap.values()) for lap in laps[name]) for name in laps}
    for name, runs in laps.items():
        medians = [statistics.median(lap[step] for lap in runs) for step in steps]
        ratio = totals[name] / totals["this tree"]
        print(
            f"| {name} | "
            + " | ".join(f"{m:.2f}" for m in medians)
            + f" | {totals[name]:.2f} | {ratio:.1f}× | {statistics.median(cpu[name]):.2f} |"
        )
    ours_params, ours_clv = results["this tree"]
    print()
    for name in results:
        if name == "this tree":
            continue
        params, clv = results[name]
        print(
            f"largest relative parameter difference from {name}: "
            f"{_largest_difference(ours_params, params):.1e}; "
            f"CLV (customers with more than 1 cent): "
            f"{np.max(np.abs(ours_clv / clv - 1)[np.abs(clv) > 0.01]):.1e}"
        )
    for model, values in ours_params.items():
        print(f"{model}: " + ", ".join(f"{k} = {v:.9g}" for k, v in values.items()))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser("dump", help="write the fit inputs from the database")
    dump_parser.add_argument("path")
    dump_parser.add_argument("--as-of", help="default: the day of the latest purchase")
    time_parser = commands.add_parser("time", help="time the fits on dumped inputs")
    time_parser.add_argument("path")
    time_parser.add_argument("--repeat", type=int, default=3)
    time_parser.add_argument("--baseline", default="HEAD", help="git revision to compare")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.path, args.as_of)
    else:
        time_fits(args.path, args.repeat, args.baseline)


if __name__ == "__main__":
    main()
