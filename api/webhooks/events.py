"""The data of each event: the object as the API shows it (same serializers), read after
the change committed."""

from customers.models import Customer
from orders.models import Order
from surveys.models import Response

from ..serializers.customers import CustomerSerializer
from ..serializers.orders import OrderSerializer
from ..serializers.surveys import ResponseSerializer
from . import services
from .models import Event

_SOURCES = {
    "customer": (Customer.objects.prefetch_related("tags"), CustomerSerializer),
    "order": (Order.objects.prefetch_related("lines"), OrderSerializer),
    "response": (Response.objects.select_related("invitation__survey"), ResponseSerializer),
}


def object_event(event, model_name, pk):
    queryset, serializer_class = _SOURCES[model_name]
    instance = queryset.filter(pk=pk).first()
    if instance is None:
        return  # Deleted meanwhile.
    data = serializer_class(instance).data
    services.event_emit(event=event, data=data)
    if event == Event.SURVEY_RESPONSE and instance.band == "bad":
        services.event_emit(event=Event.DETRACTOR_RESPONSE, data=data)
