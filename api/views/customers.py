"""Customers, contacts and activities. Reads start from customers_visible_to (a rep sees
their own customers only); writes go through customers.services."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers import services
from customers.models import Activity, Contact, Customer
from customers.selectors import (
    CHURN_RISK_BANDS,
    TIERS,
    activities_visible_to,
    customer_list,
    customer_rows_visible_to,
    customers_visible_to,
    tags_attach,
)
from valuemodels.rfm import SEGMENTS

from .. import idempotency
from ..errors import Conflict
from ..pagination import KeysetPagination, newest_first
from ..serializers.common import (
    QueryListField,
    choice_list_query_field,
    id_list_query_field,
    id_query_field,
)
from ..serializers.customers import (
    ActivityCreateSerializer,
    ActivitySerializer,
    ContactSerializer,
    CustomerSerializer,
    TaskDoneSerializer,
)
from .base import ApiViewSet

SEGMENT_SLUGS = [slug for slug, _label in SEGMENTS]
# What ``expand`` may embed in a customer.
EXPANSIONS = ("score",)
# The list filters by their selector's names (customers.selectors.customer_list).
_LIST_FILTERS = {
    "status__in": "statuses",
    "owner__in": "owners",
    "region__in": "regions",
    "tier__in": "tiers",
    "segment__in": "segments",
}


class ExpandQuery(serializers.Serializer):
    expand = choice_list_query_field(
        EXPANSIONS,
        help_text=_(
            "Embed related data in each customer: score (its value score in brief, or "
            "null), read in the same query."
        ),
    )


class CustomerQuery(ExpandQuery):
    search = serializers.CharField(
        required=False, help_text=_("In name, email, phone; exact external id.")
    )
    owner = id_query_field(help_text=_("Owner's user id."))
    status = serializers.ChoiceField(choices=Customer.Status.choices, required=False)
    region = serializers.CharField(required=False)
    tag = serializers.CharField(required=False, help_text=_("A tag name."))
    tier = serializers.ChoiceField(choices=TIERS, required=False)
    segment = serializers.ChoiceField(choices=SEGMENT_SLUGS, required=False)
    churn_risk = serializers.ChoiceField(choices=list(CHURN_RISK_BANDS), required=False)
    status__in = choice_list_query_field(
        Customer.Status.choices, help_text=_("Any of these statuses, separated by commas.")
    )
    owner__in = id_list_query_field(
        help_text=_("Any of these owners' user ids, separated by commas.")
    )
    region__in = QueryListField(
        child=serializers.CharField(), help_text=_("Any of these regions, separated by commas.")
    )
    tier__in = choice_list_query_field(
        TIERS, help_text=_("Any of these value tiers, separated by commas.")
    )
    segment__in = choice_list_query_field(
        SEGMENT_SLUGS, help_text=_("Any of these RFM segments, separated by commas.")
    )
    score_min = serializers.FloatField(
        required=False, min_value=0, max_value=100, help_text=_("Value score at least this.")
    )
    score_max = serializers.FloatField(
        required=False, min_value=0, max_value=100, help_text=_("Value score at most this.")
    )
    created_before = serializers.DateTimeField(
        required=False,
        help_text=_(
            "Only customers created before this moment (ISO 8601 date-time); with "
            "created_since, the period [created_since, created_before)."
        ),
    )


@extend_schema_view(
    list=extend_schema(summary="List customers"),
    retrieve=extend_schema(summary="Get a customer"),
    destroy=extend_schema(
        summary="Delete a customer without orders (with its contacts and activities)",
        description="A customer with orders is not deleted: 409 (`conflict`); set its "
        "`status` to `churned` instead (docs/api.md, Deleting customers).",
    ),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CustomerSerializer
    permission_model = Customer
    # Actions that may answer 409 (api.schema documents it): deleting one with orders.
    conflicts = ("destroy",)
    pagination_class = KeysetPagination
    keyset_orderings = {
        "-id": ("-id",),
        "id": ("id",),
        "name": ("name", "id"),
        "-created_at": ("-created_at", "-id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
        "-updated_at": ("-updated_at", "-id"),
    }
    keyset_default = "-id"
    query_serializers = {"list": CustomerQuery, "retrieve": ExpandQuery}
    since_fields = {"created_since": "created_at", "updated_since": "updated_at"}
    since_ordering = "updated_at"

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            filters = self.query()
            expand = filters.pop("expand", None) or ()
            filters = {_LIST_FILTERS.get(name, name): value for name, value in filters.items()}
            # A customer names its owner by id; its score is read only when expanded.
            qs = customer_list(user=user, **filters).select_related(None)
            return qs.select_related("score") if "score" in expand else qs
        # The score joined in, for expand=score: no second query.
        return customers_visible_to(user).select_related("score").prefetch_related("tags")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            # The page's tags in one query, as plain names (the list's cost, issue 14).
            tags_attach(page)
        return page

    def get_serializer_context(self):
        context = super().get_serializer_context()
        request = getattr(self, "request", None)
        if request is not None and self.action in self.query_serializers:
            context["expand"] = self.query().get("expand", ())
        return context

    def _save(self, save, serializer):
        fields = dict(serializer.validated_data)
        names = fields.pop("tags", None)
        with transaction.atomic():
            tags = (
                None
                if names is None
                else services.tags_get_or_create(user=self.request.user, names=names)
            )
            return save(tags=tags, **fields)

    @extend_schema(
        summary="Create a customer",
        description="A rep always owns the customers they create.",
        responses={201: CustomerSerializer},
    )
    @idempotency.idempotent
    def create(self, request):
        serializer = self.validated()
        customer = self._save(
            lambda tags, **fields: services.customer_create(
                user=request.user, tags=tags or (), **fields
            ),
            serializer,
        )
        return self.respond(self.get_queryset().get(pk=customer.pk), status_code=201)

    @extend_schema(summary="Change a customer", description="Only managers can reassign.")
    def partial_update(self, request, pk=None):
        customer = self.get_object()
        serializer = self.validated(instance=customer, partial=True)
        self._save(
            lambda **fields: services.customer_update(
                user=request.user, customer=customer, **fields
            ),
            serializer,
        )
        return self.respond(self.get_object())

    def destroy(self, request, pk=None):
        try:
            services.customer_delete(user=request.user, customer=self.get_object())
        except services.CustomerHasOrders as exc:
            # Archived instead: the details say how, for a client to do it.
            raise Conflict(exc.messages[0], details={"archive": {"status": "churned"}}) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactQuery(serializers.Serializer):
    customer = id_query_field()


@extend_schema_view(
    list=extend_schema(summary="List contacts"),
    retrieve=extend_schema(summary="Get a contact"),
    partial_update=extend_schema(summary="Change a contact"),
    destroy=extend_schema(summary="Delete a contact"),
)
@extend_schema(tags=["customers"])
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ContactSerializer
    permission_model = Contact
    query_serializers = {"list": ContactQuery}
    since_fields = {"created_since": "created_at"}

    # By keyset: 839,000 contacts at a million customers. The default keeps each customer's
    # contacts together, the primary one first (the index contact_customer_primary_id).
    pagination_class = KeysetPagination
    keyset_orderings = {
        "customer": ("customer", "-is_primary", "id"),
        "id": ("id",),
        "-id": ("-id",),
    }
    keyset_default = "customer"

    def get_queryset(self):
        # A rep's rows found customer by customer, not by a semi-join that walks the index.
        qs = customer_rows_visible_to(Contact.objects.all(), self.request.user)
        if self.action == "list":
            filters = self.query()
            if "customer" in filters:
                qs = qs.filter(customer_id=filters["customer"])
        return qs

    @extend_schema(summary="Add a contact", responses={201: ContactSerializer})
    @idempotency.idempotent
    def create(self, request):
        serializer = self.validated()
        contact = services.contact_save(
            user=request.user, contact=Contact(**serializer.validated_data)
        )
        return self.respond(contact, status_code=201)

    def partial_update(self, request, pk=None):
        contact = self.get_object()
        serializer = self.validated(instance=contact, partial=True)
        for name, value in serializer.validated_data.items():
            setattr(contact, name, value)
        services.contact_save(user=request.user, contact=contact)
        return self.respond(contact)

    def destroy(self, request, pk=None):
        services.contact_delete(user=request.user, contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityQuery(serializers.Serializer):
    customer = id_query_field()
    kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False)
    assignee = id_query_field()
    open_tasks = serializers.BooleanField(
        required=False, default=False, help_text=_("Only tasks not done yet.")
    )


@extend_schema_view(
    list=extend_schema(summary="List activities (timeline and tasks)"),
    retrieve=extend_schema(summary="Get an activity"),
)
@extend_schema(tags=["customers"])
class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ActivitySerializer
    permission_model = Activity
    pagination_class = KeysetPagination
    keyset_orderings = newest_first("occurred_at")
    keyset_default = "-occurred_at"
    http_method_names = ["get", "post", "patch", "head"]
    # No created_since / updated_since: activities keep neither time (occurred_at is when
    # the call or meeting happened, which the user may set to any day).
    query_serializers = {"list": ActivityQuery}

    def get_queryset(self):
        qs = activities_visible_to(self.request.user)
        if self.action == "list":
            filters = self.query()
            if filters.get("open_tasks"):
                qs = qs.open_tasks()
            if "customer" in filters:
                qs = qs.filter(customer_id=filters["customer"])
            if "assignee" in filters:
                qs = qs.filter(assignee_id=filters["assignee"])
            if "kind" in filters:
                qs = qs.filter(kind=filters["kind"])
        return qs

    @extend_schema(
        summary="Log an activity or create a task",
        request=ActivityCreateSerializer,
        responses={201: ActivitySerializer},
    )
    @idempotency.idempotent
    def create(self, request):
        fields = dict(self.validated(ActivityCreateSerializer).validated_data)
        activity = services.activity_create(
            user=request.user, customer=fields.pop("customer"), **fields
        )
        return self.respond(activity, status_code=201)

    @extend_schema(
        summary="Mark a task done or open", request=TaskDoneSerializer, responses=ActivitySerializer
    )
    def partial_update(self, request, pk=None):
        activity = self.get_object()
        done = self.validated(TaskDoneSerializer).validated_data["done"]
        if not activity.is_task:
            raise ValidationError({"done": [_("Only a task can be marked done.")]})
        services.task_set_done(user=request.user, task=activity, done=done)
        return self.respond(activity)
