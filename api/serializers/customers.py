from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import SkipField

from campaigns.models import Campaign
from customers.models import Activity, Contact, Customer, Tag
from customers.selectors import TAG_LIST

from .common import IdRelatedField, UserField, VisibleCustomerField
from .metrics import ScoreSummarySerializer
from .rows import RowListSerializer

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


class TagNamesField(serializers.ListField):
    child = serializers.CharField(max_length=TAG_MAX_LENGTH)

    def get_attribute(self, instance):
        # A list reads its page's tag names into a plain list (customers.selectors.tags_attach).
        tags = getattr(instance, TAG_LIST, None)
        return tags if tags is not None else super().get_attribute(instance)

    def to_representation(self, data):
        return data if isinstance(data, list) else [tag.name for tag in data.all()]

    def to_internal_value(self, data):
        names = []
        for name in super().to_internal_value(data):
            name = name.strip()
            if name and name.lower() not in (n.lower() for n in names):
                names.append(name)
        return names


@extend_schema_serializer(component_name="ScoreSummary")
class ExpandedScoreField(ScoreSummarySerializer):
    """The customer's score, present only when the request asks ``expand=score`` (the
    view puts what it expands in the context); null for a customer not scored yet. The
    list reads it in the same query as the customers (select_related), never one a row."""

    expand_name = "score"

    def get_attribute(self, instance):
        if self.expand_name not in self.context.get("expand", ()):
            raise SkipField
        return super().get_attribute(instance)


# For the schema: developer-facing, so plain English rather than translated.
CUSTOMER_FIELD_HELP = {
    "id": "The customer's id.",
    "name": "The company's or the person's name.",
    "kind": "company or person.",
    "status": "lead, active or churned; churned needs churned_on.",
    "email": "Main email address; empty for none.",
    "phone": "Main phone number, as written.",
    "website": "Website URL; empty for none.",
    "industry": "Industry, free text.",
    "region": "Region, free text; list filters take it exactly (region, region__in).",
    "address": "Postal address, free text.",
    "churned_on": "The day the customer was lost; only for a churned customer.",
    "churn_reason": "Why the customer was lost; only for a churned customer.",
    "acquired_on": "The day the customer was acquired (for CAC by period); empty: its first order.",
    "acquisition_cost_override": "Its acquisition cost in the base currency, instead of its "
    "campaign's share of spend; null to use the campaign's.",
    "acquired_by_campaign": "The campaign that acquired it (its id), for CAC per campaign.",
    "referred_by": "The customer (id) who referred this one: counts in the referrer's influence.",
    "external_id": "Your system's id for it, unique; null for none. Search and batch upserts "
    "match it exactly.",
    "marketing_opt_out": "True: no survey or marketing email is sent to it.",
    "created_at": "When it was created; created_since compares this.",
    "updated_at": "When it was last changed; updated_since compares this.",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new customer",
            request_only=True,
            value={
                "name": "Acme Ltd",
                "kind": "company",
                "status": "active",
                "email": "buyer@acme.example",
                "region": "North",
                "tags": ["wholesale"],
                "external_id": "ERP-1001",
            },
        )
    ]
)
class CustomerSerializer(serializers.ModelSerializer):
    owner = UserField(
        required=False,
        allow_null=True,
        help_text=_("User id. Reps always own what they create and cannot reassign."),
    )
    tags = TagNamesField(required=False, help_text=_("Tag names; new tags are created."))
    acquired_by_campaign = IdRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    # Unchanged, the referrer stays valid even if this user cannot see it.
    referred_by = VisibleCustomerField(required=False, allow_null=True, keep_stored=True)
    score = ExpandedScoreField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "Only with expand=score: the customer's value score in brief (null when none "
            "is calculated yet)."
        ),
    )

    class Meta:
        model = Customer
        list_serializer_class = RowListSerializer
        fields = [
            "id",
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
            "created_at",
            "updated_at",
            "score",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            **{name: {"help_text": text} for name, text in CUSTOMER_FIELD_HELP.items()},
            "acquisition_cost_override": {
                "min_value": 0,
                "help_text": CUSTOMER_FIELD_HELP["acquisition_cost_override"],
            },
            "language": {
                "help_text": _(
                    "Survey emails and pages use it: a code of the site's languages. "
                    "Empty: the site's default language."
                )
            },
        }

    def validate_external_id(self, value):
        return value or None


class ContactSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField(help_text=_("Set when the contact is created."))

    class Meta:
        model = Contact
        list_serializer_class = RowListSerializer
        fields = ["id", "customer", "name", "role", "email", "phone", "is_primary", "created_at"]
        read_only_fields = ["created_at"]
        # Not DRF's one-primary check: the service demotes the previous primary first.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["customer"].read_only = True


class ActivitySerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField()
    assignee = UserField(required=False, allow_null=True, help_text=_("Tasks only."))

    class Meta:
        model = Activity
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "customer",
            "kind",
            "subject",
            "body",
            "author",
            "occurred_at",
            "due_on",
            "assignee",
            "done",
            "done_at",
        ]
        read_only_fields = ["author", "done", "done_at"]
        extra_kwargs = {"due_on": {"help_text": _("Tasks only; required for a task.")}}


class ActivityCreateSerializer(ActivitySerializer):
    kind = serializers.ChoiceField(
        choices=[c for c in Activity.Kind.choices if c[0] != Activity.Kind.SYSTEM],
        default=Activity.Kind.NOTE,
        help_text=_("System events are written by the CRM itself, never logged by hand."),
    )

    def validate(self, attrs):
        if attrs.get("kind") != Activity.Kind.TASK:
            attrs["due_on"] = None
            attrs["assignee"] = None
        return attrs


class TaskDoneSerializer(serializers.Serializer):
    # The body of a PATCH, yet ``done`` is required (api.schema keeps it so).
    whole_on_patch = True

    done = serializers.BooleanField(help_text=_("Mark a task done or open again."))
