"""Every GET page of the app, once, as a history-restore request: the back button after
``hx-push-url`` when htmx's history cache missed. htmx sends ``HX-Request`` with it, yet
puts whatever comes back in place of the whole page, so it must get the whole page; and a
URL that serves a page and a fragment must say so with ``Vary: HX-Request``.

The pages come from the URL resolver: a URL added without being listed below fails
``test_every_url_is_listed``, so a new page cannot miss this check."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from api import keys
from api.jobs import BulkJob
from dataio.models import ImportJob
from orders.models import Order
from surveys import tokens
from tests.api.factories import DeliveryFactory, WebhookFactory
from tests.campaigns.factories import SpendEntryFactory
from tests.dataio.factories import csv_bytes, upload_job
from tests.factories import ContactFactory, CustomerFactory, TaskFactory
from tests.orders.factories import (
    CustomerCostFactory,
    ExchangeRateFactory,
    OrderFactory,
    ProductFactory,
)
from tests.surveys.factories import ResponseFactory

RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}

# Under these prefixes nothing is a page of ours: Django's admin, and the JSON API.
SKIPPED_PREFIXES = ("admin/", "api/v1/")

# URL names that are not pages of ours, and why. Everything else must be in PAGES.
NOT_PAGES = {
    "login": "Django's auth views: whole pages only, never swapped by htmx",
    "logout": "Django's auth views (POST)",
    "password_change": "Django's auth views: whole pages only, never swapped by htmx",
    "password_change_done": "Django's auth views: whole pages only, never swapped by htmx",
    "password_reset": "Django's auth views: whole pages only, never swapped by htmx",
    "password_reset_done": "Django's auth views: whole pages only, never swapped by htmx",
    "password_reset_confirm": "Django's auth views: whole pages only, never swapped by htmx",
    "password_reset_complete": "Django's auth views: whole pages only, never swapped by htmx",
    "api:schema": "the OpenAPI schema (YAML)",
    "api:docs": "drf-spectacular's Swagger UI page, never swapped by htmx",
    "healthz": "JSON for load balancers",
    "favicon": "a redirect to the icon in the static files",
    "customers:task_toggle": "POST only",
    "orders:preview": "POST only: the order form's totals box",
    "orders:edit_preview": "POST only: the order form's totals box",
    "orders:line_row": "an htmx fragment only: one blank order line",
    "orders:line_remove": "an htmx answer only: an empty swap",
    "orders:customer_suggest": "an htmx fragment only: the customer picker's <option>s",
    "orders:cost_create": "POST; a GET redirects to the customer's Orders tab",
    "campaigns:spend_add": "POST only",
    "surveys:progress": "polled by htmx; without htmx a redirect to the survey",
    "surveys:export": "a CSV download",
    "metrics:recalculate": "POST only",
    "metrics:run_progress": "polled by htmx; without htmx a redirect to the metrics page",
    "metrics:customer_summary": "an htmx fragment of the Overview; else a redirect to Value",
    "metrics:customer_recalc_status": "polled by htmx; without htmx a redirect to the Value tab",
    "metrics:settings": "POST only",
    "dataio:import_report": "a CSV download",
    "dataio:export_customers": "a CSV download",
    "dataio:export_orders": "a CSV download",
    "api_pages:delivery_retry": "POST only",
    "set_language": "POST only: the language switcher",
}


# URL name: its arguments, each filled from an attribute of World ("pk=customer": its pk).
PAGES = {
    "analytics:dashboard": "",
    "analytics:cohorts": "",
    "customers:list": "",
    "customers:create": "",
    "customers:my_tasks": "",
    "customers:detail": "pk=customer",
    "customers:edit": "pk=customer",
    "customers:delete": "pk=customer",
    "customers:merge": "pk=customer",
    "customers:contacts": "pk=customer",
    "customers:contact_edit": "pk=customer contact_pk=contact",
    "customers:contact_delete": "pk=customer contact_pk=contact",
    "customers:activities": "pk=customer",
    "customers:history": "pk=customer",
    "orders:list": "",
    "orders:create": "",
    "orders:detail": "pk=order",
    "orders:edit": "pk=order",
    "orders:set_status": "pk=order status=status",
    "orders:refund": "pk=order",
    "orders:customer_orders": "customer_id=customer",
    "orders:cost_delete": "pk=cost",
    "orders:products": "",
    "orders:product_create": "",
    "orders:product_edit": "pk=product",
    "orders:rates": "",
    "orders:rate_edit": "pk=rate",
    "orders:rate_delete": "pk=rate",
    "campaigns:list": "",
    "campaigns:create": "",
    "campaigns:detail": "pk=campaign",
    "campaigns:update": "pk=campaign",
    "campaigns:delete": "pk=campaign",
    "campaigns:spend_delete": "pk=campaign entry_pk=spend",
    "surveys:list": "",
    "surveys:create": "",
    "surveys:detail": "pk=survey",
    "surveys:edit": "pk=survey",
    "surveys:audience": "pk=survey",
    "surveys:send": "pk=survey",
    "surveys:retry": "pk=survey",
    "surveys:close": "pk=survey",
    "surveys:comments": "pk=survey",
    "surveys:customer_surveys": "customer_id=customer",
    "surveys_public:respond": "signed=signed",
    "surveys_public:thanks": "signed=signed",
    "surveys_public:unsubscribe": "signed=signed",
    "metrics:customer_value": "customer_id=customer",
    "metrics:call_next": "",
    "metrics:detractors": "",
    "metrics:index": "",
    "metrics:health": "",
    "metrics:methodology": "",
    "search": "",
    "preferences": "",
    "dataio:imports": "",
    "dataio:import_upload": "kind=kind",
    "dataio:import_detail": "pk=job",
    "dataio:import_mapping": "pk=job",
    "dataio:import_commit": "pk=job",
    "api_pages:keys": "",
    "api_pages:key_revoke": "pk=api_key",
    "api_pages:webhooks": "",
    "api_pages:webhook_create": "",
    "api_pages:webhook_detail": "pk=webhook",
    "api_pages:webhook_edit": "pk=webhook",
    "api_pages:webhook_delete": "pk=webhook",
}


def _url_names(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, route, inner)
        else:
            yield f"{namespace}{pattern.name}" if pattern.name else f"unnamed: {route}"


def test_every_url_is_listed():
    names = set(_url_names(get_resolver().url_patterns))
    assert not PAGES.keys() & NOT_PAGES.keys()
    assert names - PAGES.keys() - NOT_PAGES.keys() == set(), (
        "A new URL: add it to PAGES (with objects for its arguments) or NOT_PAGES (why)"
    )
    assert PAGES.keys() | NOT_PAGES.keys() <= names, "Listed URLs that no longer exist"


def _arguments(spec, world):
    """The reverse() kwargs of a PAGES entry: "pk=customer" gives {"pk": world.customer.pk}."""
    kwargs = {}
    for pair in spec.split():
        name, attribute = pair.split("=")
        value = getattr(world, attribute)
        kwargs[name] = getattr(value, "pk", value)
    return kwargs


class World:
    """One of each object a page needs, all visible to ``user``."""

    status = Order.Status.REFUNDED  # where the paid order may go next
    kind = ImportJob.Kind.CUSTOMERS

    def __init__(self, user, client, on_commit):
        self.customer = CustomerFactory(owner=user)
        self.contact = ContactFactory(customer=self.customer)
        TaskFactory(customer=self.customer)
        self.product = ProductFactory()
        # Paid: it may still be edited, refunded and marked as refunded.
        self.order = OrderFactory(customer=self.customer, status=Order.Status.PAID)
        self.cost = CustomerCostFactory(customer=self.customer)
        self.rate = ExchangeRateFactory()
        self.spend = SpendEntryFactory()
        self.campaign = self.spend.campaign
        answer = ResponseFactory(invitation__customer=self.customer, score=3, comment="Slow.")
        self.survey = answer.invitation.survey
        self.signed = tokens.sign(answer.invitation.token)
        self.api_key, _raw = keys.api_key_create(user=user, name="laptop")
        self.webhook = DeliveryFactory(webhook=WebhookFactory()).webhook
        self.bulk_job = BulkJob.objects.create(
            kind=BulkJob.Kind.ORDERS, created_by=user, status=BulkJob.Status.SUCCEEDED
        )
        data = csv_bytes([["external_id", "name"], ["C-1", "Acme"]])
        self.job = upload_job(user=user, kind=ImportJob.Kind.CUSTOMERS, data=data)
        # Mapped and validated, so its commit page asks "Import now?".
        with on_commit(execute=True):
            client.post(
                reverse("dataio:import_mapping", args=[self.job.pk]),
                {"external_id": "0", "name": "1", "date_format": "iso"},
            )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_page_answers_a_history_restore_with_the_whole_page(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    world = World(admin_user, client, django_capture_on_commit_callbacks)
    failures = []
    for name, arguments in PAGES.items():
        url = reverse(name, kwargs=_arguments(arguments, world))
        response = client.get(url, headers=RESTORE)
        body = response.content.decode()
        if response.status_code != 200:
            failures.append(f"{name} {url}: status {response.status_code}")
        elif "<html" not in body:
            failures.append(f"{name} {url}: a fragment, not the whole page")
        elif "HX-Request" not in response.get("Vary", ""):
            failures.append(f"{name} {url}: no Vary: HX-Request")
    assert not failures, "\n".join(failures)
