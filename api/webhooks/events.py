"""The data of each event: the object as the API shows it (same serializers), read when
the event is dispatched, after the change committed."""

import json
from typing import Any

from rest_framework.renderers import JSONRenderer

from customers.models import Customer
from orders.models import Order
from surveys.models import Response

from ..serializers.customers import CustomerSerializer
from ..serializers.orders import OrderSerializer
from ..serializers.surveys import ResponseSerializer

_SOURCES = {
    "customer": (Customer.objects.prefetch_related("tags"), CustomerSerializer),
    "order": (Order.objects.prefetch_related("lines"), OrderSerializer),
    "response": (Response.objects.select_related("invitation__survey"), ResponseSerializer),
}


def snapshots(object_type: str, ids: set[int]) -> dict[int, Any]:
    """{id: the object as JSON} for those of ``ids`` that still exist."""
    queryset, serializer_class = _SOURCES[object_type]
    objects = list(queryset.filter(pk__in=ids))
    data = json.loads(JSONRenderer().render(serializer_class(objects, many=True).data))
    return {obj.pk: item for obj, item in zip(objects, data, strict=True)}
