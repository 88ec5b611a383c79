"""The API with Redis down, the broker and the cache both on it: a write is saved and
answered, its recalculation left to the sweep (docs/architecture.md)."""

from metrics.models import DirtyCustomer
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory
from tests.outages import CACHE_UNREACHABLE, broker_unreachable


def test_an_order_posted_with_redis_down_is_saved_and_left_to_the_sweep(
    api_for, owner, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CACHES = CACHE_UNREACHABLE  # the API's rate limits count there
    customer = CustomerFactory(owner=owner)
    product = ProductFactory()
    client = api_for(owner)
    order = {
        "customer": customer.pk,
        "ordered_on": "2026-03-01",
        "lines": [{"product": product.pk, "quantity": 2}],
    }

    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/orders/", order, format="json")

    assert response.status_code == 201, response.content
    assert Order.objects.filter(customer=customer).count() == 1
    assert DirtyCustomer.objects.filter(customer_id=customer.pk).exists()
    assert "Cache unavailable" in caplog.text
    assert "Could not queue metrics.tasks.recalculate_dirty()" in caplog.text
