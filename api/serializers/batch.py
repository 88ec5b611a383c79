"""Bulk and batch request bodies, checked item by item as the single endpoints check them,
but with the rows they name loaded once for the whole request (``batch_context``), never
one query per item."""

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import serializers

from campaigns.models import Campaign
from customers.models import Customer
from customers.selectors import assignable_users, customers_visible_to
from orders.forms import MAX_LINES
from orders.models import Product
from orders.selectors import products_for_order

from .common import MAX_ID, IdRelatedField
from .customers import CustomerSerializer
from .orders import _LINES_HELP, LineInputSerializer, OrderCreateSerializer

BATCH_MODES = ["create", "update", "upsert"]


class LoadedRelatedField(IdRelatedField):
    """A reference to a row loaded with the others of the request (``context[rows]``,
    {id: row}): the checks and messages of IdRelatedField, without a query."""

    def __init__(self, *, rows, **kwargs):
        self.rows = rows
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isdecimal():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        row = self.context[self.rows].get(data)
        if row is None:
            self.fail("does_not_exist", pk_value=data)
        return row


def referenced_ids(values):
    """The ids among ``values`` that a LoadedRelatedField could accept."""
    ids = set()
    for value in values:
        if isinstance(value, str) and value.isdecimal():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
            ids.add(value)
    return ids


def _dicts(values):
    return [value for value in values if isinstance(value, dict)]


class BulkLineSerializer(LineInputSerializer):
    product = LoadedRelatedField(rows="products", queryset=Product.objects.all())


class BulkOrderSerializer(OrderCreateSerializer):
    """One order of a bulk import: the fields and checks of a single create."""

    customer = LoadedRelatedField(rows="customers", queryset=Customer.objects.all())
    lines = BulkLineSerializer(many=True, min_length=1, max_length=MAX_LINES, help_text=_LINES_HELP)


def order_batch_context(*, user, items):
    """The customers (among those ``user`` may see) and the products (those a new order
    may use) that ``items`` name, one query each."""
    orders = _dicts(items)
    lines = [
        line for order in orders if isinstance(order.get("lines"), list) for line in order["lines"]
    ]
    customer_ids = referenced_ids(order.get("customer") for order in orders)
    product_ids = referenced_ids(line.get("product") for line in _dicts(lines))
    return {
        "customers": customers_visible_to(user).in_bulk(customer_ids),
        "products": products_for_order(None).in_bulk(product_ids),
    }


# ``async`` is a Python keyword, hence a serializer built by name.
BulkQuery = type(
    "BulkQuery",
    (serializers.Serializer,),
    {
        "async": serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="true: answer 202 with a job to poll; false: answer when done, whatever "
            "the number of items. Left out: a job above API_BULK_ASYNC_ITEMS (100) items or "
            "with `Prefer: respond-async`.",
        )
    },
)


class BatchCustomerSerializer(CustomerSerializer):
    """One customer of a batch: the fields and checks of a single create or change. The
    external id's uniqueness is checked for the whole batch by the service."""

    owner = LoadedRelatedField(
        rows="users",
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text=CustomerSerializer._declared_fields["owner"].help_text,
    )
    acquired_by_campaign = LoadedRelatedField(
        rows="campaigns", queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    referred_by = LoadedRelatedField(
        rows="customers", queryset=Customer.objects.all(), required=False, allow_null=True
    )

    class Meta(CustomerSerializer.Meta):
        extra_kwargs = {
            **CustomerSerializer.Meta.extra_kwargs,
            "external_id": {"validators": []},
        }


class CustomerBatchSerializer(serializers.Serializer):
    """The body of ``POST /customers/batch/`` (for the schema: the view checks the size
    first and reports the errors of each invalid item by index)."""

    mode = serializers.ChoiceField(
        choices=BATCH_MODES,
        default="create",
        help_text="create: every item is a new customer. update: every item changes the "
        "customer with its `external_id` (required; the fields left out keep their value). "
        "upsert: an item changes the customer with its `external_id`, or creates one.",
    )
    customers = BatchCustomerSerializer(
        many=True, min_length=1, max_length=settings.API_BULK_MAX_ITEMS
    )


def customer_batch_context(*, user, mode, items):
    """The users, campaigns and referrers ``items`` name, and (to update or upsert) the
    customers of their external ids among those ``user`` may see: one query each."""
    customers = _dicts(items)
    external_ids = {
        value
        for value in (customer.get("external_id") for customer in customers)
        if isinstance(value, str) and value
    }
    visible = customers_visible_to(user)
    return {
        "users": assignable_users().in_bulk(referenced_ids(c.get("owner") for c in customers)),
        "campaigns": Campaign.objects.in_bulk(
            referenced_ids(c.get("acquired_by_campaign") for c in customers)
        ),
        "customers": visible.in_bulk(referenced_ids(c.get("referred_by") for c in customers)),
        "existing": (
            {}
            if mode == "create" or not external_ids
            else visible.in_bulk(list(external_ids), field_name="external_id")
        ),
    }
