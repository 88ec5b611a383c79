"""The value engine: from per-customer inputs to every stored figure, vectorised.

Two steps, both pure (numpy and valuemodels, no ORM):

- ``population_scores`` looks at the whole population once per full run: RFM cut-offs, the
  BG/NBD and Gamma-Gamma fits, the annual churn rate, the reference distributions of the
  score components and the tier cut-offs (plain JSON, stored with the run), and scores
  every customer on the way.
- ``score`` computes each customer's figures from their own inputs and those stats. It is
  element-wise, so scoring one customer after an order (incremental) gives exactly what the
  full run gave them for the same data.

The population's stats are built from per-chunk statistics, whichever way the customers
are split: ``chunk_statistics`` (what the fits and cut-offs need: weighted unique rows,
exact value counts, integer sums) merged by ``fit_statistics``, then
``chunk_components`` (each buyer's four score components) from which the references and
tier cut-offs are selected in rounds (``selection_start``, ``selection_part``,
``selection_advance``, ``selection_finish``: the exact order statistics they need, see
valuemodels/selection.py). ``population_scores`` is the same steps over one chunk
(``finish_statistics`` runs the rounds in process), so a run split over workers and one in
a single process give identical stats, hence identical scores.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from valuemodels import METHOD_VERSION, bgnbd, gamma_gamma, predictive, rfm, selection
from valuemodels import score as composite
from valuemodels.customer import DAYS_PER_YEAR, MIN_SPAN_DAYS
from valuemodels.ranking import class_cutoff_ranks

from . import counted

EXPECTED_PURCHASES_DAYS = 90
# Reference distributions are stored as this many quantiles (plus min and max), so the
# stats stay small at a million customers; below it the values are kept whole.
REFERENCE_POINTS = 1000
_REFERENCE_PROBABILITIES = np.linspace(0, 1, REFERENCE_POINTS + 1)
_EPOCH = date(1970, 1, 1).toordinal()


def day_number(value):
    return value.toordinal() - _EPOCH


@dataclass
class CustomerInputs:
    """Per-customer inputs aligned by position with ``customer_id`` (ascending). Dates are
    day numbers (NaN when absent); money is base currency as float."""

    as_of: date
    customer_id: np.ndarray
    columns: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.customer_id)

    def __getattr__(self, name):
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Parameters:
    """The admin-editable settings the formulas use (metrics.models.MetricSettings)."""

    weights: dict
    discount_rate: float = 0.10
    horizon_months: int = 36
    churn_inactivity_days: int = 365
    lifetime_cap_years: float = 10.0
    interest_rate: float = 0.0578
    goodwill_coefficient: float = 0.15
    info_k: float = 1.0
    info_u: float = 10.0
    info_c: float = 5.0
    tier_a_share: Decimal = Decimal("0.20")
    tier_b_share: Decimal = Decimal("0.30")


def _derived(inputs, inactivity_days):
    """Figures every later step needs, from the raw inputs."""
    as_of = day_number(inputs.as_of)
    orders = inputs.orders
    has_orders = orders > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(has_orders, inputs.purchase_days - 1, np.nan)
        t_x = inputs.last_order - inputs.first_order
        T = as_of - inputs.first_order
        recency = as_of - inputs.last_order
        span = np.maximum(T, MIN_SPAN_DAYS)
        frequency = np.round(orders * DAYS_PER_YEAR / span, 4)
        aov = inputs.revenue / orders
        avg_repeat = np.where(x > 0, inputs.repeat_value / np.maximum(x, 1), 0.0)
        lost = inputs.churned | (recency > inactivity_days)
    return {
        "has_orders": has_orders,
        "x": x,
        "t_x": t_x,
        "T": T,
        "recency": recency,
        "frequency": np.where(has_orders, frequency, np.nan),
        "aov": np.where(has_orders, aov, np.nan),
        "avg_repeat": avg_repeat,
        "lost": lost,
    }


def _reference_ranks(n):
    """The ranks a reference distribution of ``n`` values reads: every value up to
    REFERENCE_POINTS, else those ``np.quantile`` interpolates between."""
    if n <= REFERENCE_POINTS:
        return range(n)
    return selection.quantile_ranks(n, _REFERENCE_PROBABILITIES)


def _reference(n, value_at):
    """The sorted values (``n`` at most REFERENCE_POINTS), else their quantiles exactly as
    ``np.quantile(sorted values, linspace(0, 1, REFERENCE_POINTS + 1))`` gives them."""
    if n <= REFERENCE_POINTS:
        return [value_at[rank] for rank in range(n)]
    return selection.quantiles(n, _REFERENCE_PROBABILITIES, value_at).tolist()


# --- Statistics of a chunk of customers, and their merge ------------------------------------


def chunk_statistics(inputs, params):
    """What the population's fits and cut-offs need from some of its customers, as exact
    statistics that merge in any grouping (``fit_statistics``): value counts for the RFM
    cut-offs and the replacement cost, the BG/NBD histories as weighted unique rows, integer
    sums, and the Gamma-Gamma rows of the repeat buyers as weighted unique rows (merged, the
    chunks give its fit the very rows, in the same order, that a single run does)."""
    d = _derived(inputs, params.churn_inactivity_days)
    buyers = d["has_orders"]
    rows = bgnbd.collapse(d["x"][buyers], d["t_x"][buyers], d["T"][buyers])
    x, avg_repeat = d["x"][buyers], d["avg_repeat"][buyers]
    repeat = x > 0
    a_year_ago = day_number(inputs.as_of) - DAYS_PER_YEAR
    cohort = buyers & (inputs.first_order <= a_year_ago)
    acquired = inputs.acquisition_cost > 0
    return {
        "buyers": int(buyers.sum()),
        "recency": counted.counted(d["recency"][buyers]),
        "orders": counted.counted(inputs.orders[buyers]),
        "revenue": counted.counted(inputs.revenue[buyers]),
        "bgnbd": (
            counted.narrow_rows(np.column_stack([rows.x, rows.t_x, rows.T])),
            counted.narrow_counts(rows.weights),
        ),
        "gamma_gamma": counted.counted_rows(np.column_stack([x[repeat], avg_repeat[repeat]])),
        "cohort": int(cohort.sum()),
        "lost": int(d["lost"][cohort].sum()),
        "acquisition": counted.counted(inputs.acquisition_cost[acquired]),
        # Money in whole cents: exact sums, the same in any grouping.
        "revenue_cents": int(np.rint(inputs.revenue[buyers] * 100).astype(np.int64).sum()),
        "cost_cents": int(np.rint(inputs.cost_of_goods[buyers] * 100).astype(np.int64).sum()),
    }


_COUNTED = ("recency", "orders", "revenue", "acquisition")
_ROWS = {"bgnbd": 3, "gamma_gamma": 2}
_TOTALS = ("buyers", "cohort", "lost", "revenue_cents", "cost_cents")


def fit_inputs(parts):
    """Every chunk's ``chunk_statistics`` (in customer order, an iterable read once) merged
    as it is read: value counts, weighted unique rows (``counted.Counted``, in memory or in
    files) and totals of the population, what ``fitted_statistics`` needs. The memory this
    takes is bounded whatever the population (``counted.Merged``)."""
    merges = {key: counted.Merged(counted.merge_counted, 0) for key in _COUNTED}
    merges |= {key: counted.Merged(counted.merge_rows, width) for key, width in _ROWS.items()}
    totals = dict.fromkeys(_TOTALS, 0)
    for part in parts:
        for key, merged in merges.items():
            merged.add(part[key])
        for key in _TOTALS:
            totals[key] += part[key]
    return {**totals, **{key: merged.result() for key, merged in merges.items()}}


def fit_statistics(parts, *, as_of):
    """The population's stats before its score references, from every chunk's
    ``chunk_statistics`` (in customer order): ``fitted_statistics`` of their ``fit_inputs``."""
    return fitted_statistics(fit_inputs(parts), as_of=as_of)


def fitted_statistics(merged, *, as_of):
    """RFM cut-offs, the BG/NBD and Gamma-Gamma fits, annual churn, replacement cost and
    margin, from the population's ``fit_inputs``."""
    buyers = merged["buyers"]
    stats = {"as_of": as_of.isoformat(), "buyers": buyers}
    if buyers:
        # rfm.rfm_cutoffs, read off the merged counts.
        stats["rfm"] = {
            "r": counted.cutoffs(merged["recency"], rfm.QUINTILES, reverse=True),
            "f": counted.cutoffs(merged["orders"], rfm.QUINTILES),
            "m": counted.cutoffs(merged["revenue"], rfm.QUINTILES),
        }
    # Merged like bgnbd.collapse merges: the same rows in the same order, whatever the chunks,
    # read by the fits a block at a time.
    bg = bgnbd.fit_rows(_fit_rows(merged["bgnbd"]))
    gg = gamma_gamma.fit_rows(_fit_rows(merged["gamma_gamma"]))
    stats["bgnbd"] = _fit_json(bg, bg.n_repeat_customers)
    stats["gamma_gamma"] = _fit_json(gg, gg.n_customers)

    # Annual churn: of the customers who had bought by a year ago, the share lost now.
    cohort = merged["cohort"]
    stats["annual_churn"] = merged["lost"] / cohort if cohort else None
    acquisition = merged["acquisition"]
    stats["replacement_cost"] = counted.exact_mean(acquisition) if acquisition.total else 0.0
    revenue, cost = merged["revenue_cents"], merged["cost_cents"]
    stats["margin"] = (revenue - cost) / revenue if revenue > 0 else 1.0
    return stats


def _fit_rows(rows):
    """Counted rows as a fit reads them: pieces of their columns, then the counts."""

    def pieces():
        for keys, counts in rows.blocks():
            yield (*(keys[:, i].astype(float) for i in range(keys.shape[1])), counts.astype(float))

    return pieces


def chunk_components(inputs, stats, params):
    """Each buyer's four score components (``composite.COMPONENTS`` order, one row per
    buyer) against the stats of ``fit_statistics``: what the selection rounds read."""
    d = _derived(inputs, params.churn_inactivity_days)
    return _component_matrix(_per_customer(inputs, d, stats, params))


def _component_matrix(out):
    components = _components(out)
    buyers = out["buyers"]
    return np.column_stack([components[key][buyers] for key in composite.COMPONENTS])


# --- The references and tier cut-offs, selected in rounds -----------------------------------
#
# Two phases, each a selection (valuemodels/selection.py) over the chunks' component rows:
# the references (every component's sorted values or their quantiles), then the tier
# cut-offs (order statistics of the buyers' value scores against those references).

REFERENCES = "references"
TIERS = "tiers"
_SCORE = "score"


def selection_start(phase):
    return selection.start(composite.COMPONENTS if phase == REFERENCES else (_SCORE,))


def selection_query(state):
    """What each chunk is asked in the next round of the selection ``state``."""
    return selection.query(state)


def selection_part(components, stats, params, phase, asked):
    """A chunk's answer (from its ``chunk_components``) to one round of ``phase``."""
    columns = {key: components[:, i] for i, key in enumerate(composite.COMPONENTS)}
    if phase == REFERENCES:
        return selection.part(columns, asked)
    # Element-wise: each buyer's score is the one the publication gives them.
    scores = composite.value_scores(
        columns, weights=params.weights, references=stats["references"]
    ).scores
    return selection.part({_SCORE: scores}, asked)


def selection_advance(phase, state, parts, params):
    """The selection after a round, from every chunk's ``selection_part`` (an iterable
    read once, one part at a time). Done when ``selection.done`` says so."""
    if phase == REFERENCES:
        return selection.advance(state, parts, lambda _name, n: _reference_ranks(n))
    shares = composite.tier_shares(a_share=params.tier_a_share, b_share=params.tier_b_share)
    return selection.advance(state, parts, lambda _name, n: _tier_ranks(n, shares))


def _tier_ranks(n, shares):
    """The ranks of the scores the tier cut-offs are (none without scores; -1, a cut-off
    every score passes, needs no score)."""
    return [rank for rank in class_cutoff_ranks(n, shares) if rank >= 0] if n else []


def selection_done(state):
    return selection.done(state)


def selection_finish(stats, phase, state, params):
    """Store what a finished selection of ``phase`` found in ``stats``."""
    if phase == REFERENCES:
        stats["references"] = {
            key: _reference(*selection.selected(state, key)) for key in composite.COMPONENTS
        }
        return stats
    n, value_at = selection.selected(state, _SCORE)
    shares = composite.tier_shares(a_share=params.tier_a_share, b_share=params.tier_b_share)
    # composite.tier_cutoffs of the buyers' scores, from the scores at its ranks.
    stats["tiers"] = (
        [value_at[rank] if rank >= 0 else -np.inf for rank in class_cutoff_ranks(n, shares)]
        if n
        else None
    )
    return stats


def finish_statistics(stats, parts, params):
    """Complete ``stats`` with the score references and the tier cut-offs, from every
    chunk's ``chunk_components``, in this process: the rounds a run spread over workers
    makes, each chunk answering in turn."""
    for phase in (REFERENCES, TIERS):
        state = selection_start(phase)
        while not selection_done(state):
            asked = selection_query(state)
            answers = (selection_part(part, stats, params, phase, asked) for part in parts)
            state = selection_advance(phase, state, answers, params)
        selection_finish(stats, phase, state, params)
    return stats


def population_scores(inputs, params):
    """A full run's two results at once: the population's stats (plain JSON, everything a
    customer's score depends on beyond their own inputs) and every customer's figures.

    The stats are those of the population as one chunk; the figures are what ``score``
    gives each customer against them, through the same functions in the same order,
    computed once instead of twice."""
    stats = fit_statistics([chunk_statistics(inputs, params)], as_of=inputs.as_of)
    d = _derived(inputs, params.churn_inactivity_days)
    out = _per_customer(inputs, d, stats, params)
    finish_statistics(stats, [_component_matrix(out)], params)
    _composite(out, stats, params)
    _assign_tiers(out, stats)
    return stats, out


def _fit_json(fit, customers):
    return {
        "params": None if fit.params is None else vars(fit.params),
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
        "customers": int(customers),
        "message": fit.message,
    }


def _per_customer(inputs, d, stats, params):
    """Every per-customer figure except the composite score and tier."""
    n = len(inputs)
    buyers = d["has_orders"]
    out = {"recency": d["recency"], "frequency": d["frequency"], "aov": d["aov"]}
    out["profit"] = (
        inputs.revenue - inputs.cost_of_goods - inputs.acquisition_cost - inputs.other_costs
    )

    # RFM
    r_score = np.zeros(n, dtype=int)
    f_score = np.zeros(n, dtype=int)
    m_score = np.zeros(n, dtype=int)
    segment = np.full(n, "", dtype=object)
    if "rfm" in stats and buyers.any():
        cut = rfm.RfmCutoffs(stats["rfm"]["r"], stats["rfm"]["f"], stats["rfm"]["m"])
        r, f, m = rfm.rfm_scores(
            recency=d["recency"][buyers],
            frequency=inputs.orders[buyers],
            monetary=inputs.revenue[buyers],
            cutoffs=cut,
        )
        r_score[buyers], f_score[buyers], m_score[buyers] = r, f, m
        segment[buyers] = rfm.segments(r, f, m)
    out.update(r_score=r_score, f_score=f_score, m_score=m_score, segment=segment)

    # Lifetime and simple CLV: T = 1 / annual churn, capped.
    churn = stats.get("annual_churn")
    cap = params.lifetime_cap_years
    lifetime = cap if not churn else min(1 / churn, cap)
    out["lifetime"] = lifetime
    out["simple_clv"] = np.where(
        buyers, d["aov"] * d["frequency"] * lifetime - inputs.acquisition_cost, np.nan
    )

    # Retention CLV: m r / (1 + d - r), m the customer's annual gross margin.
    with np.errstate(invalid="ignore", divide="ignore"):
        margin_per_order = (inputs.revenue - inputs.cost_of_goods) / inputs.orders
    annual_margin = np.where(buyers, margin_per_order * d["frequency"], np.nan)
    retention = 1 - (churn or 0.0)
    out["retention_clv"] = annual_margin * retention / (1 + params.discount_rate - retention)

    # Predictive CLV (BG/NBD + Gamma-Gamma), in days.
    nan = np.full(n, np.nan)
    out.update(p_alive=nan.copy(), expected_90=nan.copy(), eov=nan.copy(), predicted=nan.copy())
    bg, gg = stats["bgnbd"], stats["gamma_gamma"]
    if bg["converged"] and buyers.any():
        bg_params = bgnbd.BgNbdParams(**bg["params"])
        x, t_x, T = d["x"][buyers], d["t_x"][buyers], d["T"][buyers]
        out["p_alive"][buyers] = bgnbd.probability_alive(bg_params, x, t_x, T)
        out["expected_90"][buyers] = bgnbd.expected_purchases(
            bg_params, EXPECTED_PURCHASES_DAYS, x, t_x, T
        )
        if gg["converged"]:
            eov = gamma_gamma.expected_order_value(
                gamma_gamma.GammaGammaParams(**gg["params"]), x, d["avg_repeat"][buyers]
            )
            out["eov"][buyers] = eov
            out["predicted"][buyers] = predictive.predicted_clv(
                bg_params,
                x,
                t_x,
                T,
                expected_order_value=eov,
                margin=stats["margin"],
                horizon_months=params.horizon_months,
                annual_discount=params.discount_rate,
            )

    # Seed 004: relationship, continuing, loss and information value.
    years = max(1, round(lifetime))
    annuity = sum((1 + params.interest_rate) ** -t for t in range(1, years + 1))
    remaining = annual_margin * annuity
    first_purchase = inputs.revenue - inputs.repeat_value
    out["relationship"] = np.where(
        buyers, first_purchase - inputs.acquisition_cost + remaining, np.nan
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["continuing"] = np.where(
            inputs.repeat_orders > 0, inputs.repeat_value / inputs.repeat_orders, np.nan
        )
    replacement = np.where(
        inputs.acquisition_cost > 0, inputs.acquisition_cost, stats["replacement_cost"]
    )
    out["loss"] = np.where(
        buyers, (remaining + replacement) * (1 + params.goodwill_coefficient), np.nan
    )
    out["information"] = (
        params.info_k * inputs.profile_facts * inputs.activities * params.info_u
        - inputs.info_collections * params.info_c
    )

    # Loyalty, influence, churn risk.
    tenure = np.where(buyers, d["T"], np.nan)
    out["tenure"] = tenure
    nps = inputs.nps_latest
    categories = np.full(n, None, dtype=object)
    categories[nps >= 0] = "detractor"
    categories[nps >= 7] = "passive"
    categories[nps >= 9] = "promoter"
    out["nps_category"] = categories
    out["repeat_rate"] = np.where(
        buyers, (inputs.orders - 1) / np.maximum(inputs.orders, 1), np.nan
    )
    out["loyalty"] = composite.loyalty_scores(
        nps_category=categories,
        average_csat=inputs.csat_avg,
        orders=inputs.orders,
        tenure_days=np.nan_to_num(tenure, nan=0.0),
    )
    risk = composite.churn_risks(
        p_alive=out["p_alive"],
        days_since_last_order=d["recency"],
        inactivity_days=params.churn_inactivity_days,
    )
    out["churn_risk"] = np.where(inputs.churned & buyers, 1.0, risk)
    out["influence"] = inputs.referral_revenue
    out["future"] = composite.future_values(out["predicted"], out["simple_clv"])
    out["buyers"] = buyers
    return out


def _components(out):
    return {
        composite.HISTORICAL: out["profit"],
        composite.FUTURE: out["future"],
        composite.LOYALTY: out["loyalty"],
        composite.INFLUENCE: out["influence"],
    }


def score(inputs, stats, params):
    """Every stored figure for each customer in ``inputs``, against a run's ``stats``."""
    d = _derived(inputs, params.churn_inactivity_days)
    out = _per_customer(inputs, d, stats, params)
    _composite(out, stats, params)
    _assign_tiers(out, stats)
    return out


def _composite(out, stats, params):
    """The value score and component percentiles, against the stats' references."""
    n = len(out["buyers"])
    buyers = out["buyers"]
    scores = np.full(n, np.nan)
    percentiles = {key: np.full(n, np.nan) for key in composite.COMPONENTS}
    if stats.get("references") and buyers.any():
        result = composite.value_scores(
            {k: np.where(buyers, v, np.nan) for k, v in _components(out).items()},
            weights=params.weights,
            references=stats["references"],
        )
        scores, percentiles = result.scores, result.percentiles
    out.update(value_score=scores, percentiles=percentiles)
    out["clv_method"] = np.where(
        ~np.isnan(out["predicted"]), "predictive", np.where(buyers, "simple", "")
    )


def _assign_tiers(out, stats):
    scores = out["value_score"]
    tiers = np.full(len(scores), "", dtype=object)
    if stats.get("tiers") is not None:
        has_score = ~np.isnan(scores)
        tiers[has_score] = composite.tiers_against_cutoffs(scores[has_score], stats["tiers"])
    out["tier"] = tiers


def model_version(stats_id):
    return f"v{METHOD_VERSION}.{stats_id}"
