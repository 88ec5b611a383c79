"""core.html writes what Django writes, faster (issue 14): the escaping of format_html and
the template engine, and the jump field's <input> as Django's own widget template renders
it, for any value and attributes."""

import datetime as dt

from django import forms
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from core.html import FastInput, escaped, html

TEXT = st.text(alphabet=st.sampled_from(list("aZ9 <>&\"'é展\n=/")), max_size=12)
lazy_text = lazy(str, str)


@given(TEXT)
def test_escaped_is_conditional_escape(text):
    for value in (text, mark_safe(text), lazy_text(text), 12, 3.5, None):
        assert escaped(value) == conditional_escape(value)


@given(TEXT, TEXT)
def test_html_is_format_html(first, second):
    template = '<a href="{}">{}</a>'
    assert html(template, first, mark_safe(second)) == format_html(
        template, first, mark_safe(second)
    )


class FastText(FastInput, forms.TextInput):
    pass


class FastDate(FastInput, forms.DateInput):
    pass


class FastNumber(FastInput, forms.NumberInput):
    pass


ATTRS = st.dictionaries(
    st.sampled_from(["form", "autocomplete", "aria-describedby", "maxlength", "required"]),
    st.one_of(TEXT, st.booleans(), st.integers(0, 999)),
    max_size=4,
)


@given(st.one_of(st.none(), TEXT), ATTRS, ATTRS)
def test_the_fast_inputs_write_what_djangos_template_writes(value, attrs, extra):
    pairs = [
        (forms.TextInput(attrs), FastText(attrs)),
        (
            forms.DateInput({**attrs, "type": "date"}, "%Y-%m-%d"),
            FastDate(attrs | {"type": "date"}, "%Y-%m-%d"),
        ),
        (forms.NumberInput(attrs), FastNumber(attrs)),
    ]
    for django_widget, fast_widget in pairs:
        for shown in (value, dt.date(2026, 12, 7), 12.5):
            expected = django_widget.render("from", shown, attrs=extra)
            assert fast_widget.render("from", shown, attrs=extra) == expected
