"""What-if on one customer's CLV: another margin, discount rate or horizon, or one more
order, scored by the same engine against the latest full run. Nothing is saved.

The customer's inputs are read as the engine reads them, changed in memory, and scored
twice with the run's population stats: once as they are ("now") and once changed, so the
difference shows only the effect of the change.
"""

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from . import engine
from .explain import whole
from .selectors import customer_inputs
from .selectors_customer import has_purchase_on
from .services import parameters_from_json

CENT = Decimal("0.01")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


@dataclass(frozen=True)
class Scenario:
    margin: Decimal | None = None
    discount_rate: Decimal | None = None
    horizon_months: int | None = None
    order_amount: Decimal | None = None
    order_date: date | None = None


class WhatIfForm(forms.Form):
    """Empty fields keep the current value; at least one must change."""

    margin = forms.DecimalField(
        label=pgettext_lazy("share of an order's value that is profit", "Margin"),
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=4,
        help_text=gettext_lazy("Share of an order's value that is profit, 0–1 (0.4 for 40%)."),
    )
    discount_rate = forms.DecimalField(
        label=gettext_lazy("Annual discount rate"),
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=4,
        help_text=gettext_lazy("0–1 (0.1 for 10%)."),
    )
    horizon_months = forms.IntegerField(
        label=gettext_lazy("Horizon (months)"),
        required=False,
        min_value=1,
        max_value=240,
        help_text=gettext_lazy("Predicted CLV only, 1–240."),
    )
    order_amount = forms.DecimalField(
        label=gettext_lazy("Hypothetical order amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
    )
    order_date = forms.DateField(
        label=gettext_lazy("Hypothetical order date"),
        required=False,
        widget=DATE,
        help_text=gettext_lazy("On or before the as-of date; empty: the as-of date."),
    )

    def __init__(self, *args, as_of, current=None, **kwargs):
        """``current``: field name -> the value in use now, shown as the placeholder."""
        super().__init__(*args, **kwargs)
        self.as_of = as_of
        self.fields["order_date"].widget.attrs["max"] = as_of.isoformat()
        for name, value in (current or {}).items():
            if value is not None:
                self.fields[name].widget.attrs["placeholder"] = value

    def clean_order_amount(self):
        amount = self.cleaned_data["order_amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be more than 0."))
        return amount

    def clean_order_date(self):
        day = self.cleaned_data["order_date"]
        if day is not None and day > self.as_of:
            raise forms.ValidationError(
                _("The order cannot be after the as-of date (%(date)s).")
                % {"date": date_format(self.as_of)}
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("order_date") and cleaned.get("order_amount") is None:
            self.add_error("order_amount", _("Give the hypothetical order's amount."))
        elif not any(cleaned.get(name) is not None for name in self.fields):
            raise forms.ValidationError(_("Change at least one value to see its effect."))
        return cleaned

    def scenario(self):
        data = self.cleaned_data
        order_date = data["order_date"]
        if data["order_amount"] is not None and order_date is None:
            order_date = self.as_of
        return Scenario(
            margin=data["margin"],
            discount_rate=data["discount_rate"],
            horizon_months=data["horizon_months"],
            order_amount=data["order_amount"],
            order_date=order_date,
        )


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    now: Decimal | int | None  # money in Decimal, the value score in whole points
    then: Decimal | int | None
    note: str = ""
    is_money: bool = True

    @property
    def change(self):
        if self.now is None or self.then is None:
            return None
        return self.then - self.now


@dataclass(frozen=True)
class Assumption:
    label: str
    now: str
    then: str


@dataclass(frozen=True)
class WhatIf:
    rows: tuple
    assumptions: tuple
    order: Scenario


def _money(value):
    value = float(value)
    if math.isnan(value):
        return None
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _own_margin(inputs, population_margin):
    revenue = float(inputs.revenue[0])
    if revenue <= 0:
        return population_margin
    return (revenue - float(inputs.cost_of_goods[0])) / revenue


def _add_order(inputs, *, amount, day, margin, same_day_purchase):
    """One more purchase in the arrays the engine reads (see metrics.selectors)."""
    c = inputs.columns
    value = float(amount)
    number = engine.day_number(day)
    had_orders = c["orders"][0] > 0
    first = c["first_order"][0]
    c["orders"][0] += 1
    c["revenue"][0] += value
    c["cost_of_goods"][0] += value * (1 - margin)
    if not had_orders:
        c["first_order"][0] = c["last_order"][0] = number
        c["purchase_days"][0] = 1
        return
    if not same_day_purchase:
        c["purchase_days"][0] += 1
    if number < first:
        # Every earlier order, the old first day's included, becomes a repeat purchase.
        c["repeat_value"][0] = c["revenue"][0] - value
        c["repeat_orders"][0] = c["orders"][0] - 1
        c["first_order"][0] = number
    elif number > first:
        c["repeat_value"][0] += value
        c["repeat_orders"][0] += 1
        c["last_order"][0] = max(c["last_order"][0], number)


def current_values(score, parameters):
    """What the form's fields are now: the customer's own margin, the run's discount rate
    and horizon (placeholders of WhatIfForm)."""
    margin = None
    if score.revenue and score.cost_of_goods is not None:
        margin = _share((score.revenue - score.cost_of_goods) / score.revenue)
    return {
        "margin": margin,
        "discount_rate": _share(parameters["discount_rate"]),
        "horizon_months": parameters["horizon_months"],
    }


def _copy(inputs):
    return engine.CustomerInputs(
        as_of=inputs.as_of,
        customer_id=inputs.customer_id.copy(),
        columns={name: np.array(column, copy=True) for name, column in inputs.columns.items()},
    )


def _share(value):
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def what_if(*, customer_id, as_of, stats, scenario):
    """Each CLV variant (and the value score) now and under ``scenario``; ``stats`` is the
    latest run's PopulationStats.data. Reads only."""
    params = parameters_from_json(stats["parameters"])
    inputs = customer_inputs(as_of=as_of, customer_ids=[customer_id])
    now = engine.score(inputs, stats, params)

    changed = _copy(inputs)
    own_margin = _own_margin(inputs, stats["margin"])
    margin = float(scenario.margin) if scenario.margin is not None else own_margin
    if scenario.order_amount is not None:
        _add_order(
            changed,
            amount=scenario.order_amount,
            day=scenario.order_date,
            margin=margin,
            same_day_purchase=has_purchase_on(customer_id=customer_id, day=scenario.order_date),
        )
    changed_stats = stats
    if scenario.margin is not None:
        changed.columns["cost_of_goods"] = changed.revenue * (1 - margin)
        changed_stats = {**stats, "margin": margin}
    changed_params = dataclasses.replace(
        params,
        discount_rate=(
            float(scenario.discount_rate)
            if scenario.discount_rate is not None
            else params.discount_rate
        ),
        horizon_months=scenario.horizon_months or params.horizon_months,
    )
    then = engine.score(changed, changed_stats, changed_params)

    fitted = stats["bgnbd"]["converged"] and stats["gamma_gamma"]["converged"]
    rows = (
        Row("simple", _("Simple CLV"), _money(now["simple_clv"][0]), _money(then["simple_clv"][0])),
        Row(
            "retention",
            _("Retention CLV"),
            _money(now["retention_clv"][0]),
            _money(then["retention_clv"][0]),
        ),
        Row(
            "predicted",
            _("Predicted CLV"),
            _money(now["predicted"][0]),
            _money(then["predicted"][0]),
            "" if fitted else _("BG/NBD and Gamma-Gamma are not fitted."),
        ),
        Row(
            "value_score",
            _("Value score"),
            _score(now["value_score"][0]),
            _score(then["value_score"][0]),
            is_money=False,
        ),
    )
    assumptions = (
        Assumption(
            _("Margin (this customer)"),
            _share(own_margin),
            _share(margin),
        ),
        Assumption(
            _("Margin (predicted CLV)"),
            _share(stats["margin"]),
            _share(changed_stats["margin"]),
        ),
        Assumption(
            _("Annual discount rate"),
            _share(params.discount_rate),
            _share(changed_params.discount_rate),
        ),
        Assumption(
            _("Horizon (months)"),
            str(params.horizon_months),
            str(changed_params.horizon_months),
        ),
    )
    return WhatIf(rows=rows, assumptions=assumptions, order=scenario)


def _score(value):
    """A value score in whole points, rounded as everywhere else it is shown (the header,
    the lists, the chart): the what-if's "now" is the figure the page's header shows."""
    return whole(float(value))
