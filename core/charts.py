"""Charts drawn server-side as inline SVG: no JavaScript, no chart library.

Builders turn numbers into a ``Chart`` of plain shapes (rectangles, texts, lines, dots) that
one template, ``partials/chart.html``, draws. Every bar, cell and point carries its number
as visible text, so the charts read without hovering; a chart may carry a ``DataTable``
with the same figures for screen readers, and the pages add tables where exact figures
matter. The builders know nothing of the figures they draw: the apps shape their figures
into labels, colours and number formats (``analytics.charts``, ``metrics.explain``).
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

FONT = 12
SMALL = 11
# An average glyph is about 0.6 em wide in the UI's sans-serif fonts; a Chinese character
# (East Asian wide or full-width) is a whole em.
GLYPH = 0.6
WIDE_GLYPH = 1.0
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
# What the builders scale and label: counts, shares, money.
Number = int | float | Decimal


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
    dashed: bool = False


@dataclass(frozen=True)
class Polyline:
    points: str
    stroke: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    fill: str
    radius: float = 3


@dataclass(frozen=True)
class DataTable:
    """The chart's figures as a table for screen readers (drawn visually hidden)."""

    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]  # cell texts, one per header


@dataclass
class Chart:
    title: str
    width: float
    height: float
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    polylines: list[Polyline] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, text), under it
    note: str = ""  # a caption under the chart
    table: DataTable | None = None


def _glyph(char: str) -> float:
    return WIDE_GLYPH if unicodedata.east_asian_width(char) in "WF" else GLYPH


def text_width(text: object, size: int = FONT) -> float:
    return sum(map(_glyph, str(text))) * size


def fit(text: object, width: float, size: int = FONT) -> str:
    """``text`` cut with an ellipsis to about ``width`` pixels."""
    text = str(text)
    if text_width(text, size) <= width:
        return text
    room, kept = width / size - GLYPH, 0  # the ellipsis takes a narrow glyph
    for char in text:
        room -= _glyph(char)
        if room < 0:
            break
        kept += 1
    return text[: max(kept, 1)] + "…"


def _scale(values: Iterable[Number | None]) -> float:
    top = max((float(v) for v in values if v is not None), default=0.0)
    return top if top > 0 else 1.0


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


# --- Number formats of the labels ---------------------------------------------------------


# Languages that count large numbers by ten thousands (Chinese 万 and 亿), not by thousands.
MYRIAD_LANGUAGES = ("zh",)


def count_text(value: Number) -> str:
    return number_format(value, 0, use_l10n=True, force_grouping=True)


def percent_text(value: Number) -> str:
    return _("%(percent)s%%") % {"percent": number_format(round(float(value)), 0)}


def money_text(value: Number | None) -> str:
    """Whole units, shortened above ten thousand so bar labels stay narrow (12.3k, 4.5M);
    in a language that counts large numbers by ten thousands, in its units (1.2 万, 4.5 亿)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if (get_language() or "").startswith(MYRIAD_LANGUAGES):
        if abs(amount) >= 100_000_000:
            # Translators: an amount in hundreds of millions (亿), for a chart label.
            return _("%(amount)s hundred million") % {
                "amount": number_format(amount / 100_000_000, 1)
            }
        if abs(amount) >= 10_000:
            # Translators: an amount in ten thousands (万), for a chart label.
            return _("%(amount)s ten thousand") % {"amount": number_format(amount / 10_000, 1)}
        return number_format(amount, 0, use_l10n=True, force_grouping=True)
    if abs(amount) >= 1_000_000:
        return _("%(amount)sM") % {"amount": number_format(amount / 1_000_000, 1)}
    if abs(amount) >= 10_000:
        return _("%(amount)sk") % {"amount": number_format(amount / 1000, 1)}
    return number_format(amount, 0, use_l10n=True, force_grouping=True)


def month_text(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


# --- Builders ------------------------------------------------------------------------------


def column_chart(
    *,
    title: str,
    items: Sequence[tuple[Sequence[str], Number, str]],
    colour: str = ACCENT,
    width: float = 640,
    height: float = 240,
) -> Chart:
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


def grouped_bars(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[tuple[Number | None, str]]]],
    shared_scale: bool = True,
    width: float = 640,
) -> Chart:
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


def _blend(share: float) -> str:
    """A fill from pale (0) to the accent colour (1)."""
    low, high = (0xEE, 0xF4, 0xFB), (0x0B, 0x5C, 0xAD)
    rgb = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def heat_map(
    *,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[Number | None]],
    column_title: str = "",
    cell_w: float = 46,
    cell_h: float = 26,
) -> Chart:
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


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number | None]]],
    x_title: str = "",
    width: float = 880,
    height: float = 300,
) -> Chart:
    """Lines of percentages (0-100) over ``x_labels``; ``series``: [(name, [value or
    None])]. Each line ends with its last value; the legend names the lines."""
    left, right, top, bottom = 44, 56, 14, 40
    chart = Chart(title=title, width=width, height=height)
    plot_w, plot_h = width - left - right, height - top - bottom
    steps = max(len(x_labels) - 1, 1)

    def xy(i: int, value: Number) -> tuple[float, float]:
        return left + plot_w * i / steps, top + plot_h * (1 - float(value) / 100)

    for tick in (0, 25, 50, 75, 100):
        _x, y = xy(0, tick)
        chart.lines.append(Line(left, y, width - right, y))
        chart.labels.append(Label(left - 6, y + 4, f"{tick}%", anchor="end", fill=MUTED))
    for i, label in enumerate(x_labels):
        x, _y = xy(i, 0)
        chart.labels.append(Label(x, height - bottom + 16, label, fill=MUTED))
    chart.labels.append(Label(left, height - 2, x_title, anchor="start", size=SMALL, fill=MUTED))
    ends: list[tuple[float, float, str, str]] = []  # (y, x, text, colour) of each line's end
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        chart.legend.append((colour, name))
        points = [xy(i, v) for i, v in enumerate(values) if v is not None]
        if not points:
            continue
        chart.polylines.append(Polyline(_points(points), colour))
        chart.dots.extend(Dot(x, y, colour) for x, y in points)
        last = [v for v in values if v is not None][-1]
        ends.append((points[-1][1], points[-1][0], percent_text(last), colour))
    # End labels sorted top-down and pushed apart so they never overlap, then back up
    # from the bottom of the plot so none falls onto the axis labels.
    ends.sort()
    ys = [y for y, _x, _text, _colour in ends]
    for k in range(1, len(ys)):
        ys[k] = max(ys[k], ys[k - 1] + 12)
    if ys:
        ys[-1] = min(ys[-1], top + plot_h)
    for k in range(len(ys) - 2, -1, -1):
        ys[k] = min(ys[k], ys[k + 1] - 12)
    for y, (_y, x, text, colour) in zip(ys, ends, strict=True):
        chart.labels.append(Label(x + 6, y + 4, text, anchor="start", size=SMALL, fill=colour))
    return chart


# Beyond these, only some points of a dated line carry a value or a date label, so labels
# never overlap.
MAX_VALUE_LABELS = 12
MAX_DATE_LABELS = 6


def _spread(count: int, wanted: int) -> set[int]:
    """Indices of about ``wanted`` evenly spread items out of ``count``, ends included."""
    if count <= wanted:
        return set(range(count))
    step = (count - 1) / (wanted - 1)
    return {round(i * step) for i in range(wanted)}


def dated_line_chart(
    *,
    title: str,
    points: Sequence[tuple[date, float]],
    headers: Sequence[str],
    caption: str,
    marks: Iterable[tuple[float, str]] = (),
    note: str = "",
    width: float = 640,
    height: float = 220,
) -> Chart:
    """One line of values (0-100) over dates: ``points`` [(date, value)], oldest first.

    The x axis is time: points sit at their date. Values are written next to the points
    (about a dozen, the extremes always) and dates under the axis (about six), so the
    chart reads without hovering; ``marks`` [(value, label)] are dashed lines labelled at
    the right. ``headers`` and ``caption`` title the screen-reader table of every point;
    ``note`` is a caption under the chart. An empty chart when there are no points."""
    left, right, top, bottom = 40, 24, 22, 30
    chart = Chart(title=title, width=width, height=height, note=note)
    if not points:
        return chart
    plot_w, base = width - left - right, height - bottom

    def y_of(value: float) -> float:
        return top + (100 - value) / 100 * (height - top - bottom)

    for tick in (0, 25, 50, 75, 100):
        y = y_of(tick)
        chart.lines.append(Line(left, y, width - right, y))
        chart.labels.append(Label(left - 6, y + 4, str(tick), anchor="end", size=SMALL, fill=MUTED))
    for value, label in marks:
        y = y_of(value)
        chart.lines.append(Line(left, y, width - right, y, MUTED, dashed=True))
        chart.labels.append(
            Label(width - right + 4, y + 4, label, anchor="start", size=SMALL, fill=MUTED)
        )

    first_day, last_day = points[0][0], points[-1][0]
    span = (last_day - first_day).days
    values = [value for _day, value in points]
    labelled = _spread(len(points), MAX_VALUE_LABELS)
    if len(points) > MAX_VALUE_LABELS:
        # Among many points keep the extremes readable too.
        labelled |= {values.index(max(values)), values.index(min(values))}
    dated = _spread(len(points), MAX_DATE_LABELS)
    xys = []
    for index, (day, value) in enumerate(points):
        x = left + ((day - first_day).days / span if span else 0.5) * plot_w
        y = y_of(value)
        xys.append((x, y))
        chart.dots.append(Dot(x, y, ACCENT, radius=3.5))
        if index in labelled:
            chart.labels.append(Label(x, y - 9, f"{value:.0f}", size=SMALL, bold=True))
        if index in dated:
            text, half = day.isoformat(), text_width(day.isoformat(), SMALL) / 2
            # A date at either end of the axis stays inside the chart.
            anchor = "end" if x + half > width else "start" if x - half < 0 else "middle"
            chart.labels.append(Label(x, base + 18, text, anchor=anchor, size=SMALL, fill=MUTED))
    chart.polylines.append(Polyline(_points(xys), ACCENT))
    chart.table = DataTable(
        caption=caption,
        headers=tuple(headers),
        rows=[(day.isoformat(), floatformat(value, 0)) for day, value in points],
    )
    return chart


# Punctuation a line never starts with (，。：、）」) or ends with (（「“): Chinese line breaking.
_CLOSING = ("Pe", "Pf", "Po")
_OPENING = ("Ps", "Pi")


def _columns(text: str) -> float:
    """``text``'s width in narrow glyphs: a Chinese character counts as WIDE_GLYPH / GLYPH."""
    return sum(_glyph(char) / GLYPH for char in text)


def _pieces(word: str) -> list[str]:
    """A word (no spaces) cut where a line may break inside it: beside a wide (CJK)
    character, so Chinese breaks between any two characters, while a Latin word or a
    number stays whole; never before closing or after opening punctuation."""
    pieces, start = [], 0
    for i in range(1, len(word)):
        before, after = word[i - 1], word[i]
        if (
            WIDE_GLYPH in (_glyph(before), _glyph(after))
            and unicodedata.category(after) not in _CLOSING
            and unicodedata.category(before) not in _OPENING
        ):
            pieces.append(word[start:i])
            start = i
    pieces.append(word[start:])
    return pieces


def _wrap(text: str, width: int) -> list[str]:
    """Words on at most two lines of about ``width`` narrow characters (a Chinese character
    is wider); Latin text breaks at spaces, Chinese between characters."""
    lines = [""]
    for word in text.split():
        for k, piece in enumerate(_pieces(word)):
            # The pieces of one word join without a space.
            candidate = lines[-1] + piece if k else f"{lines[-1]} {piece}".strip()
            if _columns(candidate) <= width or not lines[-1] or len(lines) == 2:
                lines[-1] = candidate
            else:
                lines.append(piece)
    return lines


def cell_grid(
    *,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[tuple[str, int, str]]],
    legend: Iterable[tuple[str, str]] = (),
) -> Chart:
    """A grid of named cells with a count each, e.g. segments. ``cells``: one list per row
    label of (name, count, fill), one per column label; ``legend``: [(colour, text)]."""
    left, top, cell_w, cell_h = 44, 4, 118, 60
    chart = Chart(
        title=title,
        width=left + len(column_labels) * cell_w + 4,
        height=top + len(row_labels) * cell_h + 26,
    )
    for row, (row_label, row_cells) in enumerate(zip(row_labels, cells, strict=True)):
        y = top + row * cell_h
        chart.labels.append(
            Label(left - 8, y + cell_h / 2 + 4, row_label, anchor="end", fill=MUTED)
        )
        for col, (name, count, fill) in enumerate(row_cells):
            x = left + col * cell_w
            chart.rects.append(Rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill))
            for k, line in enumerate(_wrap(name, 18)):
                chart.labels.append(Label(x + cell_w / 2, y + 15 + 12 * k, line, size=SMALL))
            chart.labels.append(Label(x + cell_w / 2, y + cell_h - 8, count_text(count), bold=True))
    for col, column_label in enumerate(column_labels):
        chart.labels.append(
            Label(
                left + cell_w * (col + 0.5),
                top + len(row_labels) * cell_h + 18,
                column_label,
                fill=MUTED,
            )
        )
    chart.legend = list(legend)
    return chart
