from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.formatting import as_written

from .models import MetricSettings

WEIGHT_FIELDS = ["weight_historical", "weight_future", "weight_loyalty", "weight_influence"]
VALUATION_FIELDS = [
    "discount_rate",
    "horizon_months",
    "churn_inactivity_days",
    "lifetime_cap_years",
    "interest_rate",
    "goodwill_coefficient",
]
INFORMATION_FIELDS = ["info_k", "info_u", "info_c"]
TIER_FIELDS = ["tier_a_share", "tier_b_share"]
AS_OF_FIELDS = ["as_of_mode", "as_of_date"]

FRACTION_HELP = _("A fraction: 0.10 means 10%.")


class MetricSettingsForm(forms.ModelForm):
    """The value model settings. The model's clean() checks that the weights add up to 1
    and the tier shares to at most 1; ``read_only`` shows them to managers."""

    class Meta:
        model = MetricSettings
        fields = AS_OF_FIELDS + WEIGHT_FIELDS + VALUATION_FIELDS + INFORMATION_FIELDS + TIER_FIELDS
        widgets = {
            "as_of_mode": forms.RadioSelect,
            "as_of_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "as_of_mode": _(
                "The day every recalculation, nightly or after a change, computes recency, "
                "churn risk and CLV as of. Today suits live data; a past order history (an "
                "imported log) is scored as of its last order or a date you choose, so its "
                "customers do not all look churned."
            ),
            "as_of_date": _("Used with “A fixed date”; not in the future."),
            "weight_historical": _("The four weights must add up to 1."),
            "discount_rate": FRACTION_HELP,
            "interest_rate": FRACTION_HELP,
            "goodwill_coefficient": _("0.15 adds 15% to the loss value for lost reputation."),
            "lifetime_cap_years": _("Longest expected lifetime the simple CLV assumes."),
            "tier_a_share": _("Share of scored customers in tier A: 0.20 is the top 20%."),
            "tier_b_share": _("Share in tier B, after tier A; the rest are tier C."),
        }

    def __init__(self, *args, read_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.disabled = read_only
        # A post without the choice keeps the stored one (the radios always send one).
        self.fields["as_of_mode"].required = False
        # Stored with six decimal places; shown as a person writes them ("0.35", not "0.350000").
        for name, value in self.initial.items():
            if isinstance(value, Decimal):
                self.initial[name] = as_written(value)

    def clean_as_of_mode(self):
        return self.cleaned_data["as_of_mode"] or self.instance.as_of_mode

    def groups(self):
        """The fields as (legend, bound fields) for the template's fieldsets."""
        return [
            (_("Scoring date"), [self[name] for name in AS_OF_FIELDS]),
            (_("Value score weights"), [self[name] for name in WEIGHT_FIELDS]),
            (_("Valuation"), [self[name] for name in VALUATION_FIELDS]),
            (_("Information value"), [self[name] for name in INFORMATION_FIELDS]),
            (_("Tiers"), [self[name] for name in TIER_FIELDS]),
        ]


class HoldoutForm(forms.Form):
    """Where the model-health check splits the order history."""

    calibration_end = forms.DateField(
        label=_("Calibration period ends"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The model is fitted on orders up to this date."),
    )
    as_of = forms.DateField(
        label=_("Holdout period ends"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Its prediction is compared with the orders after the calibration period."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("calibration_end"), data.get("as_of")
        if start and end and start >= end:
            raise forms.ValidationError(
                _("The calibration period must end before the holdout period.")
            )
        return data
