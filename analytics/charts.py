"""The dashboard's and the cohort page's figures shaped into charts: titles, labels,
colours per tier and segment, number formats. The shapes, the builders and their template
(``partials/chart.html``) are ``core.charts``, shared with the Value tab.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.charts import (
    ACCENT,
    SECOND,
    cell_grid,
    column_chart,
    count_text,
    grouped_bars,
    heat_map,
    line_chart,
    money_text,
    month_text,
)
from valuemodels import rfm
from valuemodels.labels import segment_choices

SEGMENT_COLOURS = {
    rfm.CHAMPIONS: "#b7e4c7",
    rfm.LOYAL: "#d8f3dc",
    rfm.POTENTIAL_LOYALIST: "#dbeafe",
    rfm.NEW: "#e0f2fe",
    rfm.PROMISING: "#ede9fe",
    rfm.NEED_ATTENTION: "#fef3c7",
    rfm.ABOUT_TO_SLEEP: "#fde68a",
    rfm.AT_RISK: "#fed7aa",
    rfm.CANNOT_LOSE: "#fecaca",
    rfm.HIBERNATING: "#e5e7eb",
    rfm.LOST: "#d1d5db",
}


# --- The dashboard's and the cohort page's charts --------------------------------------


def value_histogram_chart(overview):
    items = [
        ([f"{10 * i}–{10 * i + 10}"], n, count_text(n)) for i, n in enumerate(overview.histogram)
    ]
    return column_chart(title=_("Customers by value score"), items=items)


def tier_chart(overview):
    return grouped_bars(
        title=_("Customers and revenue by tier"),
        categories=[_("Tier %(tier)s") % {"tier": tier} for tier, _n, _r in overview.tiers],
        series=[
            (_("Customers"), ACCENT, [(n, count_text(n)) for _t, n, _r in overview.tiers]),
            (_("Revenue"), SECOND, [(r, money_text(r)) for _t, _n, r in overview.tiers]),
        ],
        shared_scale=False,
    )


def rfm_chart(counts):
    """The R x FM segment grid with customers per cell; ``counts``: {(r, fm): n}."""
    names = {slug: str(label) for slug, label in segment_choices()}
    recencies = sorted(rfm.SEGMENT_GRID, reverse=True)
    cells, totals = [], {}
    for r in recencies:
        row = []
        for col, slug in enumerate(rfm.SEGMENT_GRID[r]):
            n = counts.get((r, col + 1), 0)
            totals[slug] = totals.get(slug, 0) + n
            row.append((names[slug], n, SEGMENT_COLOURS[slug]))
        cells.append(row)
    return cell_grid(
        title=_("RFM segments"),
        row_labels=[f"R {r}" for r in recencies],
        column_labels=[f"FM {fm}" for fm in range(1, 6)],
        cells=cells,
        legend=[
            (
                SEGMENT_COLOURS[slug],
                _("%(segment)s: %(count)s")
                % {"segment": names[slug], "count": count_text(totals.get(slug, 0))},
            )
            for slug in names
        ],
    )


def monthly_revenue_chart(rows):
    items = []
    for i, (month, revenue) in enumerate(rows):
        lines = [date_format(month, "M")]
        if i == 0 or month.month == 1:
            lines.append(str(month.year))
        items.append((lines, revenue, money_text(revenue)))
    return column_chart(title=_("Revenue by month"), items=items, width=960, height=220)


def cohort_heat_map(table):
    return heat_map(
        title=_("Cohort retention: share of each first-purchase month still buying"),
        row_labels=[month_text(c.month) for c in table.cohorts],
        column_labels=[str(k) for k in table.offsets],
        values=[c.shares for c in table.cohorts],
        column_title=_("Months since the first purchase →"),
    )


def cohort_lines(table):
    return line_chart(
        title=_("Retention by first-purchase month"),
        x_labels=[str(k) for k in table.offsets],
        x_title=_("Months since the first purchase"),
        series=[(month_text(c.month), c.shares) for c in table.cohorts if c.size],
    )


def campaign_lines(table):
    return line_chart(
        title=_("Retention by acquiring campaign"),
        x_labels=[str(k) for k in table.offsets],
        x_title=_("Months since the first purchase"),
        series=[(curve.name, curve.shares) for curve in table.campaigns],
    )


def campaign_value_chart(values):
    return grouped_bars(
        title=_("CAC and average CLV per campaign"),
        categories=[v.campaign.name for v in values],
        series=[
            (_("CAC"), SECOND, [(v.cac, money_text(v.cac)) for v in values]),
            (
                _("Average CLV"),
                ACCENT,
                [(v.average_clv, money_text(v.average_clv)) for v in values],
            ),
        ],
    )
