"""Products, orders (with their lines, status changes, refunds and a bulk import) and
customer costs. Every amount comes from orders.services / orders.totals."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from orders import selectors, services
from orders.models import CustomerCost, Order, Product

from .. import bulk, idempotency
from ..jobs import BulkJob
from ..pagination import KeysetPagination, newest_first
from ..serializers.batch import BulkQuery
from ..serializers.common import (
    ErrorSerializer,
    choice_list_query_field,
    id_list_query_field,
    id_query_field,
)
from ..serializers.jobs import JobSerializer
from ..serializers.orders import (
    BulkOrdersSerializer,
    BulkResultSerializer,
    CustomerCostSerializer,
    OrderCreateSerializer,
    OrderRefundSerializer,
    OrderSerializer,
    OrderStatusSerializer,
    OrderUpdateSerializer,
    ProductSerializer,
)
from . import jobs
from .base import ApiViewSet


class ProductQuery(serializers.Serializer):
    search = serializers.CharField(required=False, help_text="In the name; exact SKU.")
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(
    list=extend_schema(summary="List products"),
    retrieve=extend_schema(summary="Get a product"),
    create=extend_schema(summary="Add a product (admins)"),
    partial_update=extend_schema(summary="Change a product (admins)"),
)
@extend_schema(tags=["orders"])
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ProductSerializer
    permission_model = Product
    http_method_names = ["get", "post", "patch", "head"]
    query_serializers = {"list": ProductQuery}

    def get_queryset(self):
        if self.action == "list":
            filters = self.query()
            return selectors.product_list(
                search=filters.get("search", ""), active=filters.get("active")
            )
        return Product.objects.all()

    @idempotency.idempotent
    def create(self, request):
        product = services.product_create(user=request.user, **self.validated().validated_data)
        return self.respond(product, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        product = self.get_object()
        fields = self.validated(instance=product, partial=True).validated_data
        return self.respond(services.product_update(user=request.user, product=product, **fields))


class OrderQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    date_from = serializers.DateField(required=False, help_text="Ordered on or after.")
    date_to = serializers.DateField(required=False, help_text="Ordered on or before.")
    customer = id_query_field()
    owner = id_query_field(help_text="The customer's owner (managers and admins).")
    search = serializers.CharField(
        required=False, help_text="Exact order number; customer name; exact external id."
    )
    status__in = choice_list_query_field(
        Order.Status.choices, help_text="Any of these statuses, separated by commas."
    )
    customer__in = id_list_query_field(help_text="Any of these customer ids, separated by commas.")
    owner__in = id_list_query_field(
        help_text="The customer's owner is any of these user ids, separated by commas."
    )
    total_min = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Total (in the order's currency) at least this.",
    )
    total_max = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text="Total (in the order's currency) at most this.",
    )


# The list filters by their selector's names (orders.selectors.order_list).
_ORDER_LIST_FILTERS = {
    "status__in": "statuses",
    "customer__in": "customers",
    "owner__in": "owners",
}


_BULK_EXAMPLE_ERROR = {
    "error": {
        "code": "validation_error",
        "message": "The request is invalid; see details.",
        "details": {
            "items": [{"index": 1, "errors": {"lines": {"0": {"product": ['Invalid pk "999"']}}}}]
        },
    }
}


@extend_schema_view(
    list=extend_schema(summary="List orders"),
    retrieve=extend_schema(summary="Get an order with its lines"),
)
@extend_schema(tags=["orders"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OrderSerializer
    permission_model = Order
    pagination_class = KeysetPagination
    keyset_orderings = {
        "-ordered_on": ("-ordered_on", "-id"),
        "ordered_on": ("ordered_on", "id"),
        "-id": ("-id",),
        "id": ("id",),
        "updated_at": ("updated_at", "id"),
        "-updated_at": ("-updated_at", "-id"),
    }
    keyset_default = "-ordered_on"
    query_serializers = {"list": OrderQuery, "bulk": BulkQuery}
    since_fields = {"created_since": "created_at", "updated_since": "updated_at"}
    since_ordering = "updated_at"
    http_method_names = ["get", "post", "patch", "head"]
    action_permissions = {
        "bulk": ("orders.add_order",),
        "set_status": ("orders.change_order",),
        "refund": ("orders.change_order",),
    }

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            filters = {_ORDER_LIST_FILTERS.get(k, k): v for k, v in self.query().items()}
            # An order names its customer by id: the customers are not read.
            return selectors.order_list(user=user, **filters).select_related(None)
        return selectors.orders_visible_to(user).prefetch_related("lines")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            selectors.lines_attach(page)
        return page

    def _created(self, order):
        return self.respond(self.get_queryset().get(pk=order.pk), status_code=201)

    @extend_schema(
        summary="Create an order",
        description="Totals, costs and the exchange rate are computed by the CRM.",
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
    )
    @idempotency.idempotent
    def create(self, request):
        serializer = self.validated(OrderCreateSerializer)
        order = services.order_create(user=request.user, **serializer.service_fields())
        return self._created(order)

    @extend_schema(
        summary="Change an order",
        description="Fields left out keep their value; `lines`, when given, replace them all.",
        request=OrderUpdateSerializer,
    )
    def partial_update(self, request, pk=None):
        order = self.get_object()
        serializer = self.validated(OrderUpdateSerializer, order=order)
        services.order_update(user=request.user, order=order, **serializer.service_fields(order))
        return self.respond(self.get_object())

    @extend_schema(summary="Move an order to another status", request=OrderStatusSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    @idempotency.idempotent
    def set_status(self, request, pk=None):
        new_status = self.validated(OrderStatusSerializer).validated_data["status"]
        services.order_set_status(user=request.user, order=self.get_object(), status=new_status)
        return self.respond(self.get_object())

    @extend_schema(summary="Refund part of a paid order", request=OrderRefundSerializer)
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def refund(self, request, pk=None):
        amount = self.validated(OrderRefundSerializer).validated_data["amount"]
        services.order_refund(user=request.user, order=self.get_object(), amount=amount)
        return self.respond(self.get_object())

    @extend_schema(
        summary="Import orders in bulk, all or nothing",
        description=(
            "Up to 1,000 orders, each as for creating one. Every order is checked first; if "
            "any is invalid, nothing is written and the 400 lists each invalid item by index. "
            "Otherwise all are created in one transaction (201, their ids). More than "
            "`API_BULK_ASYNC_ITEMS` (100) orders, `?async=true` or `Prefer: respond-async` "
            "make it a job: 202 with the job, to poll at its `url` (`Location`), which "
            "succeeds with the ids or fails with every item's errors, all or nothing as well; "
            "`?async=false` answers at once whatever the size."
        ),
        request=BulkOrdersSerializer,
        responses={
            201: BulkResultSerializer,
            202: OpenApiResponse(JobSerializer, description="A job, to poll at its `url`."),
            400: ErrorSerializer,
        },
        examples=[
            OpenApiExample("Item 1 is invalid", value=_BULK_EXAMPLE_ERROR, status_codes=["400"])
        ],
    )
    @action(detail=False, methods=["post"])
    @idempotency.idempotent
    def bulk(self, request):
        items = self._bulk_items(request.data)

        def write_now():
            orders = bulk.order_items_check(user=request.user, items=items)
            return bulk.orders_create(user=request.user, orders=orders)

        return jobs.job_or_now(
            self,
            kind=BulkJob.Kind.ORDERS,
            payload={"orders": items},
            items=items,
            write_now=write_now,
        )

    def _bulk_items(self, data):
        items = data.get("orders") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise ValidationError({"orders": [_("Send a non-empty list of orders.")]})
        limit = settings.API_BULK_MAX_ITEMS
        if len(items) > limit:
            raise ValidationError(
                {"orders": [_("At most %(n)s orders per request.") % {"n": limit}]}
            )
        return items


class CostQuery(serializers.Serializer):
    customer = id_query_field()


@extend_schema_view(
    list=extend_schema(summary="List customer costs"),
    retrieve=extend_schema(summary="Get a customer cost"),
    destroy=extend_schema(summary="Delete a customer cost"),
)
@extend_schema(tags=["orders"])
class CustomerCostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CustomerCostSerializer
    permission_model = CustomerCost
    http_method_names = ["get", "post", "delete", "head"]
    # By keyset, as every list that grows with the customers (page 7,000 of 371,000 costs
    # by OFFSET at a million customers); the index cost_date_id serves the default.
    pagination_class = KeysetPagination
    keyset_orderings = newest_first("incurred_on")
    keyset_default = "-incurred_on"
    # No created_since / updated_since: costs keep neither time.
    query_serializers = {"list": CostQuery}

    def get_queryset(self):
        qs = selectors.costs_visible_to(self.request.user)
        if self.action == "list":
            filters = self.query()
            if "customer" in filters:
                qs = qs.filter(customer_id=filters["customer"])
        return qs

    @extend_schema(summary="Log a cost against a customer", responses={201: CustomerCostSerializer})
    @idempotency.idempotent
    def create(self, request):
        cost = services.customer_cost_create(user=request.user, **self.validated().validated_data)
        return self.respond(cost, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.customer_cost_delete(user=request.user, cost=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
