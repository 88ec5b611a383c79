"""Every detail page renders for objects made by every path that creates them.

Objects differ by how they were made: a page and the API go through the services with a
signed-in user; an import writes in bulk; the demo loader writes straight to the tables
(orders without a history row or ``created_by``); a survey follow-up task and the note an
unsubscribe adds have no author (the CRM wrote them); a task may have no assignee and a
customer no owner. A page that assumes any of these is there fails here.

Templates run with a ``string_if_invalid`` that raises, so a variable that does not
resolve (an attribute of a missing object) fails the test instead of printing nothing.
"""

import copy
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from customers.models import Activity, Customer
from metrics import services as metrics_services
from orders.models import Order
from surveys import services as survey_services
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory, TaskFactory
from tests.orders.factories import ProductFactory
from tests.surveys.factories import InvitationFactory, SurveyFactory

AS_OF = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC)


class InvalidTemplateVariable(str):
    """``string_if_invalid`` that raises: Django formats it with the variable's name when
    it holds "%s", which this one claims to."""

    def __contains__(self, item):
        return item == "%s"

    def __mod__(self, variable):
        raise AssertionError(f"Template variable {variable!r} does not resolve")


@pytest.fixture
def strict_templates(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")
    settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CRM_BASE_CURRENCY = "USD"


def _created_by_pages(client, product):
    """A customer, a note, a task and an order, each made through its page."""
    page = {"name": "Made on the page", "kind": "company", "status": "active"}
    response = client.post(reverse("customers:create"), page)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(name="Made on the page")
    activities = reverse("customers:activities", args=[customer.pk])
    when = {"occurred_at": "2026-10-01T10:00"}
    for data in (
        {"kind": "note", "subject": "Met at the fair", **when},
        {"kind": "task", "subject": "Call back", "due_on": "2026-10-10", **when},
    ):
        response = client.post(activities, data)
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("orders:create"),
        {
            "customer": str(customer.pk),
            "number": "",
            "ordered_on": "2026-10-01",
            "currency": "USD",
            "status": "paid",
            "note": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": str(product.pk),
            "lines-0-quantity": "2",
            "lines-0-unit_price": "",
            "lines-0-discount": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert customer.orders.count() == 1
    return customer


def _created_by_the_api(client, product):
    """A customer, a task with no assignee given, a contact and an order, through the API."""
    api = {"content_type": "application/json"}

    def post(path, data):
        response = client.post(f"/api/v1/{path}/", data, **api)
        assert response.status_code == 201, response.content.decode()
        return response.json()

    customer = post("customers", {"name": "Made by the API"})
    post(
        "activities",
        {"customer": customer["id"], "kind": "task", "subject": "API task", "due_on": "2026-10-15"},
    )
    post("contacts", {"customer": customer["id"], "name": "Ann API"})
    post(
        "orders",
        {
            "customer": customer["id"],
            "ordered_on": "2026-10-02",
            "status": "paid",
            "lines": [{"product": product.pk, "quantity": 1}],
        },
    )
    return Customer.objects.get(pk=customer["id"])


def _created_by_an_import(user):
    """Customers imported by a rep on the page; their orders by the operator's command
    (no user: the orders have no ``created_by``)."""
    customers = csv_bytes(
        [["external_id", "name", "acquired_on"], ["IMP-1", "Imported", "2026-01-05"]]
    )
    assert not import_file("customers", customers, user=user).has_errors
    orders = csv_bytes(
        [
            ["customer_external_id", "number", "date", "total"],
            ["IMP-1", "INV-IMP-1", "2026-10-03", "99.50"],
        ]
    )
    assert not import_file("orders", orders, user=None).has_errors
    assert Order.objects.get(number="INV-IMP-1").created_by is None
    return Customer.objects.get(external_id="IMP-1")


def _orders_without_history():
    return Order.objects.exclude(pk__in=Order.history.model.objects.values("id"))


def _created_by_the_demo_loader():
    out = io.StringIO()
    call_command("seed_demo", "--customers", "12", "--as-of", AS_OF.isoformat(), stdout=out)
    # Written in bulk: no history row.
    order = _orders_without_history().select_related("customer").order_by("pk").first()
    assert order is not None
    return order.customer


def _created_by_the_crm_itself():
    """An ownerless customer whose detractor answer made a follow-up task (no author, no
    assignee) and whose unsubscribe added a note (no author); and an orphan task."""
    customer = CustomerFactory(owner=None, name="Nobody's")
    survey = SurveyFactory(name="Autumn NPS", created_at=NOW)
    invitation = InvitationFactory(survey=survey, customer=customer, sent_at=NOW, created_at=NOW)
    survey_services.response_submit(invitation=invitation, score=2, comment="Slow.", now=NOW)
    survey_services.customer_unsubscribe(invitation=invitation, now=NOW)
    TaskFactory(customer=customer, author=None, assignee=None, subject="Orphan task")
    activities = customer.activities.all()
    assert {(a.kind, a.author_id, a.assignee_id) for a in activities} >= {
        (Activity.Kind.TASK, None, None),
        (Activity.Kind.SYSTEM, None, None),
    }
    return customer, survey


CUSTOMER_PAGES = [
    "customers:detail",
    "customers:activities",
    "customers:history",
    "customers:contacts",
    "orders:customer_orders",
    "metrics:customer_value",
    "surveys:customer_surveys",
]


def test_every_detail_page_renders_whatever_made_its_objects(
    db, client_for, owner, manager, admin_user, strict_templates
):
    product = ProductFactory(list_price=Decimal("10.00"), unit_cost=Decimal("4.00"))
    made = {
        "page": _created_by_pages(client_for(owner), product),
        "api": _created_by_the_api(client_for(owner), product),
        "import": _created_by_an_import(owner),
        "demo loader": _created_by_the_demo_loader(),
    }
    made["crm itself"], survey = _created_by_the_crm_itself()
    assert all(made.values()), made
    # Scored, so the value tab, call next and detractors show the customers.
    metrics_services.full_run_sync(as_of=AS_OF)

    urls = []
    for path, customer in made.items():
        urls += [(path, reverse(name, args=[customer.pk])) for name in CUSTOMER_PAGES]
        orders = customer.orders.all()
        urls += [(path, reverse("orders:detail", args=[order.pk])) for order in orders]
        urls.append((path, reverse("customers:merge", args=[customer.pk]) + "?q=a"))
    demo_campaign = made["demo loader"].acquired_by_campaign
    urls += [
        ("survey", reverse("surveys:detail", args=[survey.pk])),
        ("survey", reverse("surveys:comments", args=[survey.pk])),
        ("lists", reverse("metrics:detractors")),
        ("lists", reverse("metrics:call_next")),
        ("lists", reverse("customers:my_tasks")),
        ("lists", reverse("customers:list")),
        ("lists", reverse("orders:list")),
        ("lists", reverse("search") + "?q=a"),
        ("lists", reverse("campaigns:list")),
    ]
    if demo_campaign is not None:
        urls.append(("demo loader", reverse("campaigns:detail", args=[demo_campaign.pk])))

    failures = []
    for user in (admin_user, manager, owner):
        client = client_for(user)
        for path, url in urls:
            try:
                response = client.get(url)
            except Exception as error:  # noqa: BLE001 (every failing page is listed)
                failures.append(f"{user.username} {path} {url}: {error!r}")
                continue
            if response.status_code not in (200, 403, 404) or (
                user != owner and response.status_code != 200
            ):
                failures.append(f"{user.username} {path} {url}: status {response.status_code}")
    assert not failures, "\n".join(failures)
