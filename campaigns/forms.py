from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Campaign, SpendEntry

NOT_NEGATIVE = {"min_value": _("The amount cannot be negative.")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CampaignForm(forms.ModelForm):
    budget = forms.DecimalField(
        label=_("Budget"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=0,
        error_messages=NOT_NEGATIVE,
    )

    class Meta:
        model = Campaign
        fields = ["name", "channel", "starts_on", "ends_on", "budget"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}


class SpendEntryForm(forms.ModelForm):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, error_messages=NOT_NEGATIVE
    )

    class Meta:
        model = SpendEntry
        fields = ["spent_on", "amount", "note"]
        widgets = {"spent_on": DateInput()}
        error_messages = {"spent_on": {"required": _("Enter the date the money was spent.")}}


class CampaignFilterForm(forms.Form):
    """The list's query string; an invalid value is ignored rather than an error page."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.SearchInput())
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *Campaign.Channel.choices],
        required=False,
    )
    active_on = forms.DateField(label=_("Active on"), required=False, widget=DateInput())
    as_of = forms.DateField(label=_("Figures as of"), required=False, widget=DateInput())

    def value(self, name, default=None):
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return self.cleaned_data.get(name) or default
