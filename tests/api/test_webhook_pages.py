"""The webhook pages (admins) and the webhook resource of the API."""

import datetime as dt

import pytest
from django.urls import reverse

from api.webhooks.models import PING, Event, Webhook, WebhookDelivery
from tests.api.factories import NOW, DeliveryFactory, WebhookFactory
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk

PAGES = [
    ("get", "api_pages:webhooks", False),
    ("get", "api_pages:webhook_create", False),
    ("get", "api_pages:webhook_detail", True),
    ("get", "api_pages:webhook_edit", True),
    ("get", "api_pages:webhook_delete", True),
    ("post", "api_pages:webhook_delete", True),
]


@pytest.mark.parametrize(("method", "name", "detail"), PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [(None, 302), ("outsider", 403), ("owner", 403), ("manager", 403), ("admin_user", 200)],
)
def test_webhook_pages_are_for_admins(
    db, request, client_for, method, name, detail, persona, expected
):
    webhook = WebhookFactory()
    user = request.getfixturevalue(persona) if persona else None
    url = reverse(name, args=[webhook.pk] if detail else [])
    response = getattr(client_for(user), method)(url)
    if method == "post" and expected == 200:
        expected = 302  # deleted, back to the list
    assert response.status_code == expected


def test_create_then_the_detail_shows_the_log(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(
        reverse("api_pages:webhook_create"),
        {"url": "https://hooks.example.com/crm", "events": ["order.created"], "active": "on"},
    )
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response.url == webhook.get_absolute_url()
    assert webhook.created_by == admin_user
    assert webhook.secret

    DeliveryFactory(webhook=webhook, status=WebhookDelivery.Status.FAILED, last_error="HTTP 500")
    page = client.get(webhook.get_absolute_url()).content.decode()
    assert "HTTP 500" in page
    assert "Retry" in page
    assert "Order created" in page


def test_form_errors_are_shown_inline(client_for, admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    response = client_for(admin_user).post(
        reverse("api_pages:webhook_create"), {"url": "http://127.0.0.1/x", "events": []}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["events"]
    assert not Webhook.objects.exists()


def test_editing_keeps_the_secret_when_left_empty(client_for, admin_user):
    webhook = WebhookFactory(secret="keep-me")
    client_for(admin_user).post(
        reverse("api_pages:webhook_edit", args=[webhook.pk]),
        {"url": webhook.url, "events": ["customer.created", "order.updated"], "secret": ""},
    )
    webhook.refresh_from_db()
    assert webhook.secret == "keep-me"
    assert webhook.events == ["customer.created", "order.updated"]
    assert webhook.active is False


def test_retry_puts_a_failed_delivery_back(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(status=WebhookDelivery.Status.FAILED, attempts=6)
    url = reverse("api_pages:delivery_retry", args=[delivery.webhook_id, delivery.pk])
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(admin_user).post(url)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)


def _log_of_every_kind(webhook):
    """Deliveries in every state the log shows, ties on the time among them: pending with a
    next attempt, delivered, failed on an HTTP status or a network error, a test ping, one
    whose event the outbox has since pruned (outbox_event None)."""
    Status, minute = WebhookDelivery.Status, dt.timedelta(minutes=1)
    kinds = [
        {"status": Status.PENDING, "attempts": 1, "last_error": "timed out"},
        {"status": Status.SUCCEEDED, "attempts": 1, "delivered_at": NOW, "next_attempt_at": None},
        {"status": Status.FAILED, "attempts": 8, "last_status_code": 500},
        {"status": Status.FAILED, "attempts": 8, "last_error": "connection refused"},
        {"event": PING, "payload": {"event": PING, "data": {"webhook": webhook.pk}}},
        {"event": Event.ORDER_DELETED, "outbox_event": None},
        {"status": Status.SUCCEEDED, "last_status_code": 204},
    ]
    return [
        DeliveryFactory(webhook=webhook, created_at=NOW + (i // 2) * minute, **kind)
        for i, kind in enumerate(kinds)
    ]


def _newest_first(deliveries):
    return [d.pk for d in sorted(deliveries, key=lambda d: (d.created_at, d.pk), reverse=True)]


def test_the_delivery_log_walks_every_delivery_once_newest_first_in_the_same_queries(
    client_for, admin_user, settings
):
    settings.CRM_PAGE_SIZE = 3
    webhook = WebhookFactory()
    deliveries = _log_of_every_kind(webhook)
    DeliveryFactory.create_batch(2, created_at=NOW)  # another webhook's
    client = client_for(admin_user)

    whole = walk(client, webhook.get_absolute_url())
    swapped = walk(client, webhook.get_absolute_url(), target="delivery-log")

    assert whole.ids == swapped.ids == _newest_first(deliveries)
    assert [len(page) for page in whole.pages] == [3, 3, 1]
    # The first page and the deepest run the same queries, whole and swapped.
    assert len(set(whole.queries)) == 1, whole.queries
    assert len(set(swapped.queries)) == 1, swapped.queries
    assert all("<h1>" not in html and "<table" in html for html in swapped.html)
    html = "".join(whole.html)
    assert "HTTP 500" in html
    assert "connection refused" in html
    assert "Test ping" in html


def test_a_paused_webhooks_log_still_pages(client_for, admin_user, settings):
    settings.CRM_PAGE_SIZE = 3
    webhook = WebhookFactory(active=False)
    deliveries = _log_of_every_kind(webhook)

    pages = walk(client_for(admin_user), webhook.get_absolute_url())

    assert pages.ids == _newest_first(deliveries)
    assert "Paused: nothing is sent" in pages.html[0]


def test_a_cursor_not_made_here_shows_the_newest_deliveries(client_for, admin_user, settings):
    settings.CRM_PAGE_SIZE = 3
    webhook = WebhookFactory()
    deliveries = _log_of_every_kind(webhook)

    assert_cursors_not_ours_show_the_first_page(
        client_for(admin_user), webhook.get_absolute_url(), _newest_first(deliveries)[:3]
    )


def test_empty_states(client_for, admin_user):
    client = client_for(admin_user)
    assert "No webhooks yet." in client.get(reverse("api_pages:webhooks")).content.decode()
    webhook = WebhookFactory()
    assert "Nothing sent yet" in client.get(webhook.get_absolute_url()).content.decode()


def test_api_shows_the_secret_only_on_creation(api_for, admin_user):
    api = api_for(admin_user)
    created = api.post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/a", "events": ["customer.updated"]},
    ).json()
    assert len(created["secret"]) > 30
    assert "secret" not in api.get(f"/api/v1/webhooks/{created['id']}/").json()
    bad = api.post("/api/v1/webhooks/", {"url": "https://x.example.com", "events": ["nope"]})
    assert bad.status_code == 400
    assert "events" in bad.json()["error"]["details"]


def test_api_delivery_log(api_for, admin_user):
    delivery = DeliveryFactory(last_error="timed out", attempts=2)
    rows = api_for(admin_user).get(f"/api/v1/webhooks/{delivery.webhook_id}/deliveries/").json()
    assert rows["results"][0]["last_error"] == "timed out"
    assert rows["results"][0]["attempts"] == 2
    assert rows["results"][0]["status"] == "pending"
