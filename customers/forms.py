from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.jump import Day, Number, Prefix
from valuemodels.rfm import SEGMENTS

from . import selectors
from .models import Activity, Contact, Customer, Tag

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class CustomerFilterForm(forms.Form):
    """Parses the list's query string; an invalid value is ignored, never an error page."""

    q = forms.CharField(required=False)
    # Beyond a bigint no user can have the id: ignored like any invalid value.
    owner = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Status.choices])
    region = forms.CharField(required=False)
    tag = forms.CharField(required=False)
    tier = forms.ChoiceField(required=False, choices=[("", ""), *((t, t) for t in selectors.TIERS)])
    segment = forms.ChoiceField(
        required=False, choices=[("", ""), *((slug, slug) for slug, _label in SEGMENTS)]
    )
    churn_risk = forms.ChoiceField(
        required=False, choices=[("", ""), *((b, b) for b in selectors.CHURN_RISK_BANDS)]
    )
    sort = forms.CharField(required=False)

    def filters(self, *, can_filter_owner):
        self.is_valid()
        data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        data["search"] = data.pop("q")
        data["sort"] = data["sort"] or "name"
        if not can_filter_owner:
            data["owner"] = None
        return data


def _capitalized(name):
    # Names are capitalised: "m" means "M".
    return name[:1].upper() + name[1:]


# The list's "jump to" (core.jump.JumpForm) for each of its sorts: a name's first letters,
# the day a customer was created, a score, a churn risk typed in percent (the column shows
# one) and a revenue no bigger than the score table holds (metrics MONEY: 16 digits, 2
# decimals).
JUMPS = {
    "name": Prefix(
        _("Go to names starting with"),
        _("Go to names starting with"),
        invalid=_("Enter the beginning of a name."),
        max_length=Customer._meta.get_field("name").max_length,
        normalize=_capitalized,
        attrs={"type": "search"},
    ),
    "created": Day(
        _("Go to customers created on or after"),
        _("Go to customers created on or before"),
        moment=True,
    ),
    "score": Number(_("Go to a score of at least"), _("Go to a score of at most")),
    "churn": Number(
        # xgettext:no-python-format
        _("Go to a churn risk (%) of at least"),
        # xgettext:no-python-format
        _("Go to a churn risk (%) of at most"),
        per=100,
    ),
    "revenue": Number(
        _("Go to a revenue of at least"), _("Go to a revenue of at most"), digits=(16, 2)
    ),
}
# The filters a jump carries over (query parameters), so it keeps them and the sort, but
# no cursor or page number, which would contradict it.
KEPT_BY_JUMP = ("q", "owner", "status", "region", "tag", "tier", "segment", "churn_risk")


class CustomerForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas; new tags are created."),
    )
    referred_by = forms.CharField(
        label=_("Referred by"),
        required=False,
        help_text=_("The referring customer's number or external id."),
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "kind",
            "status",
            "owner",
            "email",
            "phone",
            "website",
            "industry",
            "region",
            "address",
            "tags",
            "churned_on",
            "churn_reason",
            "acquired_on",
            "acquisition_cost_override",
            "acquired_by_campaign",
            "referred_by",
            "external_id",
            "marketing_opt_out",
            "language",
        ]
        field_classes = {"owner": UserChoiceField}
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "churned_on": DATE,
            "acquired_on": DATE,
        }
        error_messages = {
            "external_id": {"unique": _("Another customer already has this external id.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The database refuses a negative cost; say so on the field, not as a constraint name.
        cost = self.fields["acquisition_cost_override"]
        cost.validators.append(MinValueValidator(0))
        cost.widget.attrs["min"] = "0"
        language = self.fields["language"]
        language.choices = [("", _("Site default")), *language.choices[1:]]
        if user.has_perm("customers.reassign_customer"):
            owners = selectors.assignable_users()
            if self.instance.owner_id:
                # An inactive owner stays selectable, or saving would silently fail.
                owners = owners | get_user_model().objects.filter(pk=self.instance.owner_id)
            self.fields["owner"].queryset = owners
            if not self.instance.pk:
                self.initial["owner"] = user.pk
        else:
            del self.fields["owner"]
        if self.instance.pk:
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())
            referrer = self.instance.referred_by
            if referrer is not None:
                self.initial["referred_by"] = referrer.pk
                self.fields["referred_by"].help_text = _("Now: %(name)s (#%(pk)s).") % {
                    "name": referrer.name,
                    "pk": referrer.pk,
                }

    def clean_tags(self):
        names = []
        max_length = Tag._meta.get_field("name").max_length
        for raw in self.cleaned_data["tags"].split(","):
            name = raw.strip()
            if not name or name.lower() in (n.lower() for n in names):
                continue
            if len(name) > max_length:
                raise forms.ValidationError(
                    _("A tag has at most %(n)d characters: %(tag)s"),
                    params={"n": max_length, "tag": name},
                )
            names.append(name)
        return names

    def clean_referred_by(self):
        value = self.cleaned_data["referred_by"].strip().lstrip("#")
        if not value:
            return None
        if self.instance.referred_by_id and value == str(self.instance.referred_by_id):
            # Unchanged, even when the referrer belongs to someone this user cannot see.
            return self.instance.referred_by
        visible = selectors.customers_visible_to(self.user)
        referrer = None
        if value.isdigit():
            referrer = visible.filter(pk=int(value)).first()
        if referrer is None:
            referrer = visible.filter(external_id=value).first()
        if referrer is None:
            raise forms.ValidationError(
                _("No customer you can see has the number or external id “%(value)s”."),
                params={"value": value},
            )
        return referrer

    def service_fields(self):
        """The keyword arguments for customer_create / customer_update, without tags."""
        return {name: value for name, value in self.cleaned_data.items() if name != "tags"}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "email", "phone", "is_primary"]


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "subject", "body", "occurred_at", "due_on", "assignee"]
        field_classes = {"assignee": UserChoiceField}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 3}),
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "due_on": DATE,
        }
        help_texts = {
            "due_on": _("Tasks only."),
            "assignee": _("Tasks only."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # System events are written by the CRM itself, never logged by hand.
        self.fields["kind"].choices = [
            choice for choice in Activity.Kind.choices if choice[0] != Activity.Kind.SYSTEM
        ]
        self.fields["assignee"].queryset = selectors.assignable_users()
        self.initial["assignee"] = user.pk
        self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != Activity.Kind.TASK:
            cleaned["due_on"] = None
            cleaned["assignee"] = None
        return cleaned
