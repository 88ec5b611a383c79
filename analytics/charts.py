"""Charts drawn server-side as inline SVG: no JavaScript, no chart library.

Builders turn figures into a ``Chart`` of plain shapes (rectangles, texts, lines) that one
template, ``analytics/chart.html``, draws. Every bar and cell carries its number as visible
text, so the charts read without hovering; the pages add tables where exact figures matter.
The second half of the module shapes the dashboard's and the cohort page's figures into
charts (labels, number formats, colours).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from valuemodels import rfm

FONT = 12
SMALL = 11
# An average glyph is about 0.6 em wide in the UI's sans-serif fonts.
GLYPH = 0.6
TEXT = "#1f2933"
MUTED = "#616e7c"
GRID = "#d9e2ec"
ACCENT = "#0b5cad"
SECOND = "#e8a33d"
PALETTE = (
    "#0b5cad",
    "#e8a33d",
    "#1a7f37",
    "#b42318",
    "#7c3aed",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#475569",
    "#c2410c",
    "#1d4ed8",
)
TIER_COLOURS = {"A": "#1a7f37", "B": "#0b5cad", "C": "#9aa5b1"}
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


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    size: int = FONT
    bold: bool = False
    fill: str = TEXT


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID


@dataclass(frozen=True)
class Polyline:
    points: str
    stroke: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    fill: str


@dataclass
class Chart:
    title: str
    width: float
    height: float
    rects: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    polylines: list = field(default_factory=list)
    dots: list = field(default_factory=list)
    legend: list = field(default_factory=list)  # [(colour, text)], drawn under the chart


def text_width(text, size=FONT):
    return len(str(text)) * size * GLYPH


def fit(text, width, size=FONT):
    """``text`` cut with an ellipsis to about ``width`` pixels."""
    room = int(width / (size * GLYPH))
    text = str(text)
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def _scale(values):
    top = max((float(v) for v in values if v is not None), default=0.0)
    return top if top > 0 else 1.0


def column_chart(*, title, items, colour=ACCENT, width=640, height=240):
    """Vertical bars. ``items``: (label lines, value, value text); negative values draw
    no bar but keep their text."""
    left, right, top, bottom = 8, 8, 22, 38
    chart = Chart(title=title, width=width, height=height)
    if not items:
        return chart
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(items)
    scale = _scale(value for _label, value, _text in items)
    base = top + plot_h
    chart.lines.append(Line(left, base, width - right, base, MUTED))
    for i, (label_lines, value, text) in enumerate(items):
        centre = left + slot * (i + 0.5)
        h = max(float(value), 0.0) / scale * plot_h
        chart.rects.append(Rect(centre - slot * 0.35, base - h, slot * 0.7, h, colour))
        chart.labels.append(Label(centre, base - h - 5, text, size=SMALL, bold=True))
        for j, line in enumerate(label_lines):
            chart.labels.append(Label(centre, base + 15 + 13 * j, line, size=SMALL, fill=MUTED))
    return chart


def grouped_bars(*, title, categories, series, shared_scale=True, width=640):
    """Horizontal bars, one group per category. ``series``: [(name, colour, [(value,
    text)])], one entry per category each; bars of different units use their own scale."""
    bar, gap, pad = 16, 4, 12
    label_w = min(max((text_width(c) for c in categories), default=0) + 12, 220)
    value_w = 90
    group_h = len(series) * (bar + gap) + pad
    chart = Chart(title=title, width=width, height=max(group_h * len(categories), 1) + 4)
    chart.legend = [(colour, name) for name, colour, _values in series]
    plot_w = width - label_w - value_w
    scales = [_scale(v for v, _t in values) for _name, _colour, values in series]
    if shared_scale and scales:
        scales = [max(scales)] * len(scales)
    for i, category in enumerate(categories):
        y0 = 2 + i * group_h
        chart.labels.append(
            Label(
                label_w - 8, y0 + (group_h - pad) / 2 + 4, fit(category, label_w - 8), anchor="end"
            )
        )
        for j, (_name, colour, values) in enumerate(series):
            value, text = values[i]
            y = y0 + j * (bar + gap)
            w = 0.0 if value is None else max(float(value), 0.0) / scales[j] * plot_w
            chart.rects.append(Rect(label_w, y, w, bar, colour))
            chart.labels.append(Label(label_w + w + 5, y + bar - 4, text, anchor="start"))
    return chart


def _blend(share):
    """A fill from pale (0) to the accent colour (1)."""
    low, high = (0xEE, 0xF4, 0xFB), (0x0B, 0x5C, 0xAD)
    rgb = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def heat_map(*, title, row_labels, column_labels, values, column_title="", cell_w=46, cell_h=26):
    """A grid of percentages (0-100, None for cells that cannot be known yet)."""
    label_w = max((text_width(r) for r in row_labels), default=0) + 14
    top = 50
    chart = Chart(
        title=title,
        width=label_w + cell_w * len(column_labels) + 4,
        height=top + cell_h * len(row_labels) + 4,
    )
    chart.labels.append(Label(label_w, 14, column_title, anchor="start", fill=MUTED))
    for j, column in enumerate(column_labels):
        chart.labels.append(Label(label_w + cell_w * (j + 0.5), top - 10, column, fill=MUTED))
    for i, (row, cells) in enumerate(zip(row_labels, values, strict=True)):
        y = top + i * cell_h
        chart.labels.append(Label(label_w - 8, y + cell_h / 2 + 4, row, anchor="end"))
        for j, value in enumerate(cells):
            x = label_w + j * cell_w
            if value is None:
                continue
            share = min(max(float(value) / 100, 0.0), 1.0)
            chart.rects.append(Rect(x + 1, y + 1, cell_w - 2, cell_h - 2, _blend(share)))
            chart.labels.append(
                Label(
                    x + cell_w / 2,
                    y + cell_h / 2 + 4,
                    percent_text(value),
                    size=SMALL,
                    fill="#fff" if share > 0.5 else TEXT,
                )
            )
    return chart


def line_chart(*, title, x_labels, series, x_title="", width=880, height=300):
    """Lines of percentages (0-100) over ``x_labels``; ``series``: [(name, [value or
    None])]. Each line ends with its last value; the legend names the lines."""
    left, right, top, bottom = 44, 56, 14, 40
    chart = Chart(title=title, width=width, height=height)
    plot_w, plot_h = width - left - right, height - top - bottom
    steps = max(len(x_labels) - 1, 1)

    def xy(i, value):
        return left + plot_w * i / steps, top + plot_h * (1 - float(value) / 100)

    for tick in (0, 25, 50, 75, 100):
        _x, y = xy(0, tick)
        chart.lines.append(Line(left, y, width - right, y))
        chart.labels.append(Label(left - 6, y + 4, f"{tick}%", anchor="end", fill=MUTED))
    for i, label in enumerate(x_labels):
        x, _y = xy(i, 0)
        chart.labels.append(Label(x, height - bottom + 16, label, fill=MUTED))
    chart.labels.append(Label(left, height - 2, x_title, anchor="start", size=SMALL, fill=MUTED))
    ends = []
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        chart.legend.append((colour, name))
        points = [xy(i, v) for i, v in enumerate(values) if v is not None]
        if not points:
            continue
        chart.polylines.append(Polyline(" ".join(f"{x:.1f},{y:.1f}" for x, y in points), colour))
        chart.dots.extend(Dot(x, y, colour) for x, y in points)
        last = [v for v in values if v is not None][-1]
        ends.append([points[-1][1], points[-1][0], percent_text(last), colour])
    # End labels sorted top-down and pushed apart so they never overlap, then back up
    # from the bottom of the plot so none falls onto the axis labels.
    ends.sort()
    for k in range(1, len(ends)):
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + 12)
    if ends:
        ends[-1][0] = min(ends[-1][0], top + plot_h)
    for k in range(len(ends) - 2, -1, -1):
        ends[k][0] = min(ends[k][0], ends[k + 1][0] - 12)
    for y, x, text, colour in ends:
        chart.labels.append(Label(x + 6, y + 4, text, anchor="start", size=SMALL, fill=colour))
    return chart


def _wrap(text, width):
    """Words on at most two lines of about ``width`` characters."""
    words, lines = text.split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if len(candidate) <= width or not lines[-1] or len(lines) == 2:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def segment_grid(*, title, counts, names):
    """The R x FM segment grid with customers per cell. ``counts``: {(r, fm): n};
    ``names``: {segment slug: display name}."""
    left, top, cell_w, cell_h = 44, 4, 118, 60
    chart = Chart(title=title, width=left + 5 * cell_w + 4, height=top + 5 * cell_h + 26)
    totals = {}
    for row, r in enumerate(sorted(rfm.SEGMENT_GRID, reverse=True)):
        y = top + row * cell_h
        chart.labels.append(Label(left - 8, y + cell_h / 2 + 4, f"R {r}", anchor="end", fill=MUTED))
        for col, slug in enumerate(rfm.SEGMENT_GRID[r]):
            x = left + col * cell_w
            n = counts.get((r, col + 1), 0)
            totals[slug] = totals.get(slug, 0) + n
            chart.rects.append(Rect(x + 1, y + 1, cell_w - 2, cell_h - 2, SEGMENT_COLOURS[slug]))
            for k, line in enumerate(_wrap(names[slug], 18)):
                chart.labels.append(Label(x + cell_w / 2, y + 15 + 12 * k, line, size=SMALL))
            chart.labels.append(Label(x + cell_w / 2, y + cell_h - 8, count_text(n), bold=True))
    for col in range(5):
        chart.labels.append(
            Label(left + cell_w * (col + 0.5), top + 5 * cell_h + 18, f"FM {col + 1}", fill=MUTED)
        )
    chart.legend = [
        (SEGMENT_COLOURS[slug], f"{names[slug]}: {count_text(totals.get(slug, 0))}")
        for slug, _name in rfm.SEGMENTS
    ]
    return chart


# --- Number formats -----------------------------------------------------------------------


def count_text(value):
    return number_format(value, 0, use_l10n=True, force_grouping=True)


def percent_text(value):
    return _("%(percent)s%%") % {"percent": number_format(round(float(value)), 0)}


def money_text(value):
    """Whole units, shortened above ten thousand so bar labels stay narrow (12.3k, 4.5M)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if abs(amount) >= 1_000_000:
        return _("%(amount)sM") % {"amount": number_format(amount / 1_000_000, 1)}
    if abs(amount) >= 10_000:
        return _("%(amount)sk") % {"amount": number_format(amount / 1000, 1)}
    return number_format(amount, 0, use_l10n=True, force_grouping=True)


def month_text(month):
    return date_format(month, "M Y")


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
    names = {slug: _(name) for slug, name in rfm.SEGMENTS}
    return segment_grid(title=_("RFM segments"), counts=counts, names=names)


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
