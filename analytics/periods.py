"""The dashboard's period picker (presets relative to today, or a custom range) and the
cohort page's as-of date.

Periods are half-open [start, end); the form's "To" date is the last day included, as
people read a range.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .cohorts import DEFAULT_MONTHS, MONTH_CHOICES
from .company import add_months, month_start, previous_period

LAST_30_DAYS = "30d"
THIS_MONTH = "month"
LAST_MONTH = "last_month"
THIS_QUARTER = "quarter"
THIS_YEAR = "year"
CUSTOM = "custom"
PRESETS = [
    (LAST_30_DAYS, _("Last 30 days")),
    (THIS_MONTH, _("This month")),
    (LAST_MONTH, _("Last month")),
    (THIS_QUARTER, _("This quarter")),
    (THIS_YEAR, _("This year")),
    (CUSTOM, _("Custom range")),
]
# Far enough apart for any real report; close enough that the previous period and the
# inactivity window never leave the calendar.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    preset: str

    @property
    def last_day(self):
        return self.end - timedelta(days=1)

    @property
    def days(self):
        return (self.end - self.start).days

    def previous(self):
        start, end = previous_period(self.start, self.end)
        return Period(start=start, end=end, preset=CUSTOM)


def preset_period(preset, today):
    """The period a preset means on ``today``; an unknown preset is the last 30 days."""
    tomorrow = today + timedelta(days=1)
    if preset == THIS_MONTH:
        return Period(month_start(today), tomorrow, preset)
    if preset == LAST_MONTH:
        this_month = month_start(today)
        return Period(add_months(this_month, -1), this_month, preset)
    if preset == THIS_QUARTER:
        return Period(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), tomorrow, preset)
    if preset == THIS_YEAR:
        return Period(date(today.year, 1, 1), tomorrow, preset)
    return Period(tomorrow - timedelta(days=30), tomorrow, LAST_30_DAYS)


def _between():
    return _("Pick a date between %(first)s and %(last)s.") % {
        "first": EARLIEST.isoformat(),
        "last": LATEST.isoformat(),
    }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(
        label=_("To"), required=False, widget=DateInput(), help_text=_("Included.")
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("period") and (data.get("start") or data.get("end")):
            # Dates alone mean a custom range; the select says so.
            data = data.copy()
            data["period"] = CUSTOM
        super().__init__(data, **kwargs)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if data.get("period") == CUSTOM:
            if self.errors:
                return data
            if not start:
                self.add_error("start", _("Enter the first day of the range."))
            if not end:
                self.add_error("end", _("Enter the last day of the range."))
            if start and end and end < start:
                self.add_error("end", _("The range cannot end before it starts."))
            for name, day in (("start", start), ("end", end)):
                if day and not EARLIEST <= day <= LATEST:
                    self.add_error(name, _between())
        return data

    def period_for(self, today):
        """The chosen period; the default (last 30 days) when the form is invalid."""
        if not self.is_valid():
            return preset_period(LAST_30_DAYS, today)
        data = self.cleaned_data
        if data["period"] == CUSTOM:
            return Period(data["start"], data["end"] + timedelta(days=1), CUSTOM)
        return preset_period(data["period"], today)


class CohortForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())
    months = forms.TypedChoiceField(
        label=_("Cohorts"),
        coerce=int,
        required=False,
        empty_value=DEFAULT_MONTHS,
        # The page without a query string (a form with no data) shows this many months too.
        initial=DEFAULT_MONTHS,
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and not data.get("months"):
            # So the select shows the number of months the page uses.
            data = data.copy()
            data["months"] = str(DEFAULT_MONTHS)
        super().__init__(data, **kwargs)
        self.fields["months"].choices = [
            (n, gettext("Last %(n)s months") % {"n": n}) for n in MONTH_CHOICES
        ]

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(_between())
        return value
