from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from orders.forms import MAX_LINES
from orders.models import MAX_QUANTITY, MONEY, CustomerCost, Order, OrderLine, Product
from orders.selectors import LINE_LIST, products_for_order
from orders.services import INITIAL_STATUSES, LineData

from .common import IdRelatedField, VisibleCustomerField
from .rows import RowListSerializer


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        list_serializer_class = RowListSerializer
        fields = ["id", "sku", "name", "list_price", "unit_cost", "active"]
        extra_kwargs = {"list_price": {"min_value": 0}, "unit_cost": {"min_value": 0}}


_IN_CURRENCY = "In the order's currency, as a decimal string."
_IN_BASE = "In the base currency (converted at exchange_rate), as a decimal string."
# For the schema: developer-facing, so plain English rather than translated.
ORDER_FIELD_HELP = {
    "id": "The order's id.",
    "number": "The order number (SO-0000001 unless given); unique.",
    "customer": "The customer's id.",
    "status": "draft, placed, paid, cancelled or refunded; placed and paid orders are purchases.",
    "ordered_on": "The day it was ordered.",
    "currency": "ISO 4217 code of its amounts.",
    "exchange_rate": "Base currency per unit of currency, on ordered_on.",
    "subtotal": f"Sum of the lines before discounts. {_IN_CURRENCY}",
    "discount_total": f"Sum of the lines' discounts. {_IN_CURRENCY}",
    "total": f"Subtotal less discounts. {_IN_CURRENCY}",
    "cost_total": f"Cost of the goods. {_IN_CURRENCY}",
    "refunded_total": f"Refunded so far. {_IN_CURRENCY}",
    "total_base": f"The total. {_IN_BASE}",
    "cost_base": f"The cost of the goods. {_IN_BASE}",
    "refunded_base": f"Refunded so far. {_IN_BASE}",
    "note": "Free text.",
    "lines": "Its lines, in the order given.",
    "created_by": "The user (id) who created it; null for imports and the system.",
    "created_at": "When it was created; created_since compares this.",
    "updated_at": "When it was last changed; updated_since compares this.",
}
LINE_FIELD_HELP = {
    "id": "The line's id.",
    "product": "The product's id.",
    "quantity": "How many.",
    "unit_price": f"Price of one. {_IN_CURRENCY}",
    "unit_cost": f"Cost of one, from the product when ordered. {_IN_CURRENCY}",
    "discount": f"Discount on the whole line. {_IN_CURRENCY}",
}


class OrderLineList(RowListSerializer):
    def get_attribute(self, instance):
        # A list reads its page's lines in one query (orders.selectors.lines_attach).
        lines = getattr(instance, LINE_LIST, None)
        return lines if lines is not None else super().get_attribute(instance)


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        list_serializer_class = OrderLineList
        fields = ["id", "product", "quantity", "unit_price", "unit_cost", "discount"]
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": LINE_FIELD_HELP[name]} for name in fields}


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True, help_text=ORDER_FIELD_HELP["lines"])

    class Meta:
        model = Order
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "number",
            "customer",
            "status",
            "ordered_on",
            "currency",
            "exchange_rate",
            "subtotal",
            "discount_total",
            "total",
            "cost_total",
            "refunded_total",
            "total_base",
            "cost_base",
            "refunded_base",
            "note",
            "lines",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": ORDER_FIELD_HELP[name]} for name in fields}


class _ProductField(IdRelatedField):
    """A product an order line may use: an active one, or one already on the order."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Product.objects.all(), **kwargs)

    def get_queryset(self):
        return products_for_order(self.context.get("order"))


class LineInputSerializer(serializers.Serializer):
    product = _ProductField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        allow_null=True,
        help_text=_("Omit for the product's list price."),
    )
    discount = serializers.DecimalField(**MONEY, min_value=0, required=False, default=Decimal("0"))


_LINES_HELP = _("Every line of the order (1 to %(max)s); totals are computed from them.") % {
    "max": MAX_LINES
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An order of two products",
            request_only=True,
            value={
                "customer": 1,
                "ordered_on": "2026-03-01",
                "currency": "USD",
                "status": "placed",
                "lines": [
                    {"product": 1, "quantity": 2},
                    {"product": 2, "quantity": 1, "unit_price": "80.00", "discount": "5.00"},
                ],
            },
        )
    ]
)
class OrderCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField()
    number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text=_("Empty: the next SO-number.")
    )
    ordered_on = serializers.DateField()
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, help_text=_("ISO 4217; the base currency by default.")
    )
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in INITIAL_STATUSES], default=Order.Status.PLACED
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInputSerializer(
        many=True, min_length=1, max_length=MAX_LINES, help_text=_LINES_HELP
    )

    def service_fields(self):
        return order_create_fields(self.validated_data)


def order_create_fields(validated):
    """Keyword arguments for orders.services.order_create from one validated order."""
    data = dict(validated)
    data["lines"] = [_line_data(line) for line in data["lines"]]
    return data


def _line_data(line):
    return LineData(line["product"], line["quantity"], line.get("unit_price"), line["discount"])


class OrderUpdateSerializer(serializers.Serializer):
    """Fields left out keep their value; ``lines``, when given, replace every line."""

    customer = VisibleCustomerField(required=False)
    number = serializers.CharField(max_length=64, required=False)
    ordered_on = serializers.DateField(required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    lines = LineInputSerializer(
        many=True, min_length=1, max_length=MAX_LINES, required=False, help_text=_LINES_HELP
    )

    def service_fields(self, order):
        """Keyword arguments for orders.services.order_update: the order's values where the
        request gave none."""
        data = dict(self.validated_data)
        if "lines" in data:
            lines = [_line_data(line) for line in data["lines"]]
        else:
            lines = [
                LineData(line.product, line.quantity, line.unit_price, line.discount)
                for line in order.lines.select_related("product")
            ]
        return {
            "customer": data.get("customer", order.customer),
            "number": data.get("number", order.number),
            "ordered_on": data.get("ordered_on", order.ordered_on),
            "currency": data.get("currency", order.currency),
            "note": data.get("note", order.note),
            "lines": lines,
        }


class OrderStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Order.Status.choices,
        help_text=_("draft → placed or cancelled; placed → paid or cancelled; paid → refunded."),
    )


class OrderRefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))


class BulkOrdersSerializer(serializers.Serializer):
    """The request body of a bulk import (for the schema: the view checks the size first
    and reports the errors of each invalid item by index)."""

    orders = OrderCreateSerializer(many=True, min_length=1, max_length=settings.API_BULK_MAX_ITEMS)


class BulkItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position in `orders`, from 0."))
    errors = serializers.DictField(help_text=_("{field: [messages]} as for a single order."))


class BulkResultSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), help_text=_("In request order."))


class CustomerCostSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField()
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)

    class Meta:
        model = CustomerCost
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "customer",
            "kind",
            "incurred_on",
            "amount",
            "currency",
            "amount_base",
            "note",
            "created_by",
        ]
        read_only_fields = ["amount_base", "created_by"]
        extra_kwargs = {
            "amount": {"min_value": 0},
            # Optional, as in the schema: the model's default, given to the service.
            "kind": {"default": CustomerCost.Kind.SERVICE},
        }
