"""Geometry of the value-score history chart, drawn server-side as inline SVG.

Values are written next to the points and dates under the axis, so the chart reads
without hovering (and without JavaScript); the template adds a table for screen readers.
"""

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 40, 24, 22, 30
# Beyond these, only some points carry a value or a date label, so labels never overlap.
MAX_VALUE_LABELS = 12
MAX_DATE_LABELS = 6


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    day: object
    value: float
    value_label: str
    date_label: str


@dataclass(frozen=True)
class Gridline:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    bottom: float
    points: tuple
    gridlines: tuple
    tier_lines: tuple

    @property
    def polyline(self):
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def axis_label_x(self):
        return self.left - 6

    @property
    def date_label_y(self):
        return self.bottom + 18

    @property
    def first(self):
        return self.points[0]

    @property
    def last(self):
        return self.points[-1]


def _y(value):
    return TOP + (100 - value) / 100 * (HEIGHT - TOP - BOTTOM)


def _spread(count, wanted):
    """Indices of about ``wanted`` evenly spread items out of ``count``, ends included."""
    if count <= wanted:
        return set(range(count))
    step = (count - 1) / (wanted - 1)
    return {round(i * step) for i in range(wanted)}


def history_chart(history, tier_cutoffs=None):
    """``history``: (date, score 0-100) oldest first. ``tier_cutoffs``: the run's two cut-offs
    (C/B, B/A), drawn as dashed lines. None when there is nothing to draw."""
    if not history:
        return None
    first_day, last_day = history[0][0], history[-1][0]
    span = (last_day - first_day).days
    plot_width = WIDTH - LEFT - RIGHT
    values = [value for _day, value in history]
    labelled = _spread(len(history), MAX_VALUE_LABELS)
    if len(history) > MAX_VALUE_LABELS:
        # Among many points keep the extremes readable too.
        labelled |= {values.index(max(values)), values.index(min(values))}
    dated = _spread(len(history), MAX_DATE_LABELS)
    points = []
    for index, (day, value) in enumerate(history):
        share = (day - first_day).days / span if span else 0.5
        points.append(
            ChartPoint(
                x=LEFT + share * plot_width,
                y=_y(value),
                day=day,
                value=value,
                value_label=f"{value:.0f}" if index in labelled else "",
                date_label=day.isoformat() if index in dated else "",
            )
        )
    gridlines = tuple(Gridline(y=_y(v), label=str(v)) for v in (0, 25, 50, 75, 100))
    tier_lines = ()
    if tier_cutoffs:
        tier_lines = tuple(
            Gridline(y=_y(cut), label=tier)
            for cut, tier in zip(tier_cutoffs, ("B", "A"), strict=False)
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        points=tuple(points),
        gridlines=gridlines,
        tier_lines=tier_lines,
    )
