"""The lists' sortable column header (core.listing.sort_header, written in Python for
speed, issue 14) writes what its template wrote, whatever the query string, label and
direction."""

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils.translation import gettext_lazy

# The template it replaced (templates/partials/sort_header.html), as the reference.
TEMPLATE = Template(
    '<th scope="col"{% if num %} class="num"{% endif %}{% if column.direction == "asc" %}'
    ' aria-sort="ascending"{% elif column.direction == "desc" %} aria-sort="descending"'
    "{% endif %}>\n  {% querystring sort=column.sort page=None cursor=None from=None as url %}"
    '<a href="{{ url }}" hx-get="{{ url }}" hx-target="{{ target }}" hx-push-url="true">'
    '{{ column.label }}{% if column.direction == "asc" %} <span aria-hidden="true">▲</span>'
    '{% elif column.direction == "desc" %} <span aria-hidden="true">▼</span>{% endif %}</a>\n'
    "</th>"
)
TAG = Template("{% load listing %}{% sort_header column target num=num %}")


@pytest.mark.parametrize(
    "query",
    ["", "q=a%26b%3C%22&tier=A", "cursor=abc&from=M&page=3&sort=name", "q=%E5%B1%95&tag=x&tag=y"],
)
@pytest.mark.parametrize("direction", ["asc", "desc", ""])
@pytest.mark.parametrize("num", [False, True])
@pytest.mark.parametrize("label", ["Name", "<b>R&D</b>", gettext_lazy("Churn risk")])
def test_the_header_is_what_the_template_wrote(query, direction, num, label):
    request = RequestFactory().get(f"/customers/?{query}")
    column = {"label": label, "direction": direction, "sort": "-score"}
    values = {"column": column, "target": "#a&b", "num": num}
    expected = TEMPLATE.render(RequestContext(request, values))
    assert TAG.render(RequestContext(request, values)) == expected
