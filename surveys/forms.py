from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from customers.models import Customer, Tag
from valuemodels.labels import TIER_CHOICES, segment_choices

from . import selectors
from .models import Survey, band_labels

MAX_UPLOAD_BYTES = 1_000_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "name",
            "kind",
            "question",
            "follow_up_question",
            "email_subject",
            "email_intro",
            "closes_on",
            "send_reminder",
            "trigger_days_after_paid",
        ]
        widgets = {"closes_on": DateInput(), "email_intro": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "question": _("Leave empty for the standard wording of the kind."),
            "email_subject": _("Leave empty for “A quick question: <name>”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].required = False
        self.fields["email_subject"].required = False
        if self.instance.pk and not self.instance.is_editable:
            for name in list(self.fields):
                if name not in ("closes_on", "send_reminder"):
                    del self.fields[name]


class AudienceForm(forms.Form):
    """Who gets the survey: filters (all active customers by default) or a list."""

    MODES = [("filters", _("Customers matching filters")), ("list", _("A list of customers"))]

    mode = forms.ChoiceField(label=_("Audience"), choices=MODES, widget=forms.RadioSelect)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Customer.Status.choices], required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label=_("Any owner"),
    )
    campaign = forms.ModelChoiceField(
        label=_("Acquiring campaign"),
        queryset=Campaign.objects.order_by("name"),
        required=False,
        empty_label=_("Any campaign"),
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.all(), required=False, empty_label=_("Any tag")
    )
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    last_order_after = forms.DateField(
        label=_("Last order on or after"), required=False, widget=DateInput()
    )
    last_order_before = forms.DateField(
        label=_("Last order on or before"), required=False, widget=DateInput()
    )
    tiers = forms.MultipleChoiceField(
        label=_("Value tier"),
        choices=TIER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The customer's current tier. Customers without a value score are left out."),
    )
    segments = forms.MultipleChoiceField(
        label=_("RFM segment"),
        choices=segment_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The customer's current segment. Customers without a value score are left out."
        ),
    )
    entries = forms.CharField(
        label=_("Emails or external ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, or separated by commas or spaces."),
    )
    upload = forms.FileField(
        label=_("…or upload a file"),
        required=False,
        help_text=_("CSV or text: the first column holds emails or external ids."),
    )

    @classmethod
    def initial_from(cls, audience):
        initial = {"mode": "filters", **audience}
        initial["entries"] = "\n".join(audience.get("entries") or [])
        return initial

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return []
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text (CSV or TXT).")) from exc
        return selectors.parse_uploaded_entries(content)

    def clean(self):
        data = super().clean()
        if data.get("mode") != "list":
            return data
        entries = selectors.parse_entries(data.get("entries", ""))
        data["list"] = selectors.dedupe_entries([*entries, *data.get("upload", [])])
        if not data["list"] and not self.has_error("upload"):
            self.add_error("entries", _("Paste or upload at least one email or external id."))
        elif len(data["list"]) > selectors.MAX_LIST_ENTRIES:
            self.add_error(
                "entries",
                _("At most %(max)s entries, please.") % {"max": selectors.MAX_LIST_ENTRIES},
            )
        return data

    def criteria(self):
        """The audience as stored on the survey (JSON)."""
        data = self.cleaned_data
        if data["mode"] == "list":
            return {"mode": "list", "entries": data["list"]}

        def pk(obj):
            return obj.pk if obj else None

        def iso(day):
            return day.isoformat() if day else None

        return {
            "mode": "filters",
            "status": data.get("status") or "",
            "owner": pk(data.get("owner")),
            "campaign": pk(data.get("campaign")),
            "tag": pk(data.get("tag")),
            "region": data.get("region", "").strip(),
            "last_order_after": iso(data.get("last_order_after")),
            "last_order_before": iso(data.get("last_order_before")),
            "tiers": data.get("tiers") or [],
            "segments": data.get("segments") or [],
        }


class SendForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to send now."),
    )


class ResponseForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your score"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(score, str(score)) for score in survey.scale]
        self.fields["score"].label = survey.question
        if survey.follow_up_question:
            self.fields["comment"].label = survey.follow_up_question
        else:
            del self.fields["comment"]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class CommentFilterForm(forms.Form):
    band = forms.ChoiceField(label=_("Score band"), required=False)
    q = forms.CharField(label=_("Search"), required=False, widget=forms.SearchInput())

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        labels = band_labels(survey.kind)
        self.fields["band"].choices = [("", _("All answers")), *labels.items()]

    def value(self, name):
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return self.cleaned_data.get(name) or ""
