"""The server-side SVG charts (core.charts): builder geometry and the shared template."""

import datetime as dt
from decimal import Decimal

from django.template.loader import render_to_string

from core import charts


def test_column_chart_labels_every_bar_and_scales_to_the_tallest():
    chart = charts.column_chart(
        title="t", items=[(["a"], 10, "10"), (["b"], 20, "20"), (["c"], -5, "-5")], height=240
    )
    heights = [rect.height for rect in chart.rects]
    assert heights[1] == 2 * heights[0]
    assert heights[2] == 0
    assert {"10", "20", "-5", "a", "b", "c"} <= {label.text for label in chart.labels}


def test_heat_map_leaves_unknown_cells_empty():
    chart = charts.heat_map(
        title="t",
        row_labels=["Jan", "Feb"],
        column_labels=["0", "1"],
        values=[[100, 40], [100, None]],
    )
    assert len(chart.rects) == 3
    assert [label.text for label in chart.labels if label.text.endswith("%")] == [
        "100%",
        "40%",
        "100%",
    ]


def test_line_chart_end_labels_never_overlap():
    chart = charts.line_chart(
        title="t", x_labels=["0", "1"], series=[("a", [100, 50]), ("b", [100, 50.4])]
    )
    ends = sorted(label.y for label in chart.labels if label.anchor == "start")
    assert ends[1] - ends[0] >= 12
    assert len(chart.polylines) == 2
    assert len(chart.legend) == 2


def test_long_category_names_are_cut_to_fit():
    chart = charts.grouped_bars(
        title="t", categories=["A" * 80], series=[("s", "#000", [(1, "1")])]
    )
    name = chart.labels[0].text
    assert name.endswith("…")
    assert charts.text_width(name) <= 220


def test_money_labels_stay_short():
    assert charts.money_text(Decimal("950")) == "950"
    assert charts.money_text(Decimal("12345")) == "12.3k"
    assert charts.money_text(Decimal("4500000")) == "4.5M"
    assert charts.money_text(None) == "—"


def _dated(values, *, start=dt.date(2024, 1, 1), step=7, **kwargs):
    days = [start + dt.timedelta(days=step * i) for i in range(len(values))]
    points = list(zip(days, values, strict=True))
    chart = charts.dated_line_chart(
        title="t", points=points, headers=("Day", "Value"), caption="c", **kwargs
    )
    return chart, days


def test_a_long_dated_line_labels_some_points_and_always_the_extremes():
    values = [50.0] * 40
    values[17], values[23] = 95.0, 5.0

    chart, days = _dated(values, marks=[(55.0, "B"), (80.0, "A")])

    labelled = [label.text for label in chart.labels if label.bold]
    assert 2 < len(labelled) <= 14
    assert {"95", "5"} <= set(labelled)
    iso = {day.isoformat() for day in days}
    dated = [label for label in chart.labels if label.text in iso]
    assert [label.text for label in dated][0::5] == ["2024-01-01", days[-1].isoformat()]
    assert len(dated) == 6
    assert dated[-1].anchor == "end"  # the last date stays inside the chart
    dashed = [line for line in chart.lines if line.dashed]
    assert len(dashed) == 2
    assert dashed[0].y1 > dashed[1].y1
    assert {"B", "A"} <= {label.text for label in chart.labels if label.anchor == "start"}
    xs = [dot.x for dot in chart.dots]
    assert xs == sorted(xs)
    assert xs[0] < xs[-1]
    # Every point, labelled or not, is in the screen-reader table.
    assert [row[0] for row in chart.table.rows] == [day.isoformat() for day in days]
    assert chart.table.rows[17][1] == "95"


def test_dated_line_places_points_by_date_and_one_point_in_the_middle():
    chart, _days = _dated([20.0, 40.0, 90.0], step=1)
    chart_gap, _days = _dated([20.0, 40.0, 90.0], step=10)
    assert [d.x for d in chart.dots] == [d.x for d in chart_gap.dots]  # evenly spaced days

    single, _days = _dated([30.0])
    assert single.dots[0].x == (40 + 640 - 24) / 2
    assert single.table.rows == [("2024-01-01", "30")]

    empty, _days = _dated([])
    assert not empty.dots
    assert empty.table is None


def test_the_template_draws_dashes_dots_the_table_and_the_note():
    chart, _days = _dated([20.0, 80.0], marks=[(55.0, "B")], note="Dashed: tiers")

    html = render_to_string("partials/chart.html", {"chart": chart})

    assert 'stroke-dasharray="4 4"' in html
    assert 'r="3.5"' in html
    assert '<table class="visually-hidden">' in html
    assert "<caption>c</caption>" in html
    assert "<td>2024-01-01</td><td>20</td>" in html
    assert '<figcaption class="muted">Dashed: tiers</figcaption>' in html
    assert ">80</text>" in html
    assert ">2024-01-08</text>" in html


def test_a_chart_without_table_or_note_draws_neither():
    chart = charts.column_chart(title="t", items=[(["a"], 1, "1")])

    html = render_to_string("partials/chart.html", {"chart": chart})

    assert "<table" not in html
    assert "<figcaption" not in html
    assert "<circle" not in html
    assert "stroke-dasharray" not in html


def test_cell_grid_writes_each_cell_name_and_count():
    chart = charts.cell_grid(
        title="t",
        row_labels=["R 2", "R 1"],
        column_labels=["FM 1", "FM 2"],
        cells=[[("Big name here", 1200, "#fff"), ("b", 0, "#eee")], [("c", 3, "#ddd")] * 2],
        legend=[("#fff", "Big: 1,200")],
    )

    texts = [label.text for label in chart.labels]
    assert len(chart.rects) == 4
    assert chart.legend == [("#fff", "Big: 1,200")]
    assert {"R 2", "R 1", "FM 1", "FM 2", "Big name here", "1,200", "0", "3"} <= set(texts)


def test_cell_names_wrap_at_spaces_and_never_split_a_word():
    assert charts._wrap("Customers who bought 10,000 items", 18) == [
        "Customers who",
        "bought 10,000 items",
    ]
    assert charts._wrap("Champions", 18) == ["Champions"]


def test_chinese_cell_names_wrap_between_characters_counted_full_width():
    # Ten Chinese characters fill the room of about 17 narrow ones.
    assert charts._wrap("重要价值客户重要价值客户", 18) == ["重要价值客户重要价值", "客户"]
    assert charts._wrap("重要价值客户", 18) == ["重要价值客户"]
    # No line starts with closing punctuation or ends with opening punctuation.
    assert charts._wrap("需要关注（可能流失）的客户", 10) == ["需要关注（可", "能流失）的客户"]


def test_mixed_cell_names_keep_latin_words_whole():
    lines = charts._wrap("RFM 分群：重要价值客户", 10)
    assert lines == ["RFM 分群：", "重要价值客户"]
    assert charts._wrap("RFM分群", 4) == ["RFM", "分群"]
    assert charts._wrap("客户数12345人", 6) == ["客户数", "12345人"]
