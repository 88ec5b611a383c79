"""Every list page and list endpoint runs the same number of queries whatever its size and
depth (issue 14): a page of 2 rows, a page of 20 rows and the second page of 20 (the page
number, the page's keyset cursor, or the API's ``next`` cursor), each with a next page after
it, are counted, and the three counts must be equal; a keyset page's way back too. A
per-row query (an N+1) shows up as a count growing with the rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dataio.models import ImportJob
from tests.api.factories import DeliveryFactory, RecalcRunFactory, ScoreFactory, WebhookFactory
from tests.campaigns.factories import CampaignFactory
from tests.dataio.factories import csv_bytes, upload_job
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory, TaskFactory
from tests.orders.factories import OrderFactory, ProductFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

PAGE = 20  # rows per page, HTML and API alike


class World:
    """The manager looking at the lists, and one customer whose tabs are listed."""

    def __init__(self, user):
        self.user = user
        self.customer = CustomerFactory(owner=user, name="Tabbed customer")
        self.sequence = 0

    def next(self):
        self.sequence += 1
        return self.sequence


def _customers(w, n):
    for _ in range(n):
        i = w.next()
        customer = CustomerFactory(owner=w.user, created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        ScoreFactory(
            customer=customer,
            value_score=float(i),
            revenue=Decimal(10 * i),
            churn_risk=0.9,
            previous_churn_risk=0.1,
            tier="A",
            loss_value=Decimal(100 + i),
            nps_category="detractor",
        )
        OrderFactory(customer=customer, total="50.00")
        TaskFactory(customer=customer, assignee=w.user, author=w.user)
        ResponseFactory(invitation__customer=customer, score=2, comment="Slow.")


def _orders(w, n):
    for _ in range(n):
        OrderFactory(customer=CustomerFactory(owner=w.user), total="10.00")


def _products(w, n):
    ProductFactory.create_batch(n)


def _campaigns(w, n):
    CampaignFactory.create_batch(n)


def _surveys(w, n):
    for _ in range(n):
        ResponseFactory(invitation__survey=SurveyFactory(), invitation__customer=w.customer)


def _imports(w, n):
    for _ in range(n):
        data = csv_bytes([["external_id", "name"], [f"C-{w.next()}", "Acme"]])
        upload_job(user=w.user, kind=ImportJob.Kind.CUSTOMERS, data=data)


def _keys(w, n):
    from api import keys

    for _ in range(n):
        keys.api_key_create(user=w.user, name=f"key {w.next()}")


def _webhooks(w, n):
    for _ in range(n):
        DeliveryFactory(webhook=WebhookFactory())


def _survey(w):
    w.survey = SurveyFactory()
    return {"pk": w.survey.pk}


def _comments(w, n):
    for _ in range(n):
        ResponseFactory(
            invitation__survey=w.survey,
            invitation__customer=CustomerFactory(owner=w.user),
            comment="Slow.",
        )


def _webhook(w):
    w.webhook = WebhookFactory()
    return {"pk": w.webhook.pk}


def _deliveries(w, n):
    DeliveryFactory.create_batch(n, webhook=w.webhook)


def _runs(w, n):
    for _ in range(n):
        RecalcRunFactory(started_by=w.user)


def _activities(w, n):
    ActivityFactory.create_batch(n, customer=w.customer, author=w.user)


def _customer_orders(w, n):
    for _ in range(n):
        OrderFactory(customer=w.customer, total="10.00")


def _contacts(w, n):
    ContactFactory.create_batch(n, customer=w.customer)


def _invitations(w, n):
    InvitationFactory.create_batch(n, customer=CustomerFactory(owner=w.user))


def _responses(w, n):
    for _ in range(n):
        ResponseFactory(invitation__customer=CustomerFactory(owner=w.user))


def _line_orders(w, n):
    """Orders made through the service, each with a product line: the API nests lines."""
    for _ in range(n):
        OrderFactory(customer=CustomerFactory(owner=w.user))


def _customer(w):
    return {"pk": w.customer.pk}


def _customer_id(w):
    return {"customer_id": w.customer.pk}


# Lists of a fixed length, not paged by CRM_PAGE_SIZE: search (10 of each kind), the last
# 10 recalculation runs, and the contacts tab (every contact).
FIXED_LENGTH = {"search", "metrics-runs", "customer-contacts"}

# id: (URL name, its kwargs, extra query string, how to make n rows)
HTML_LISTS = {
    "customers-by-name": ("customers:list", None, "sort=name", _customers),
    "customers-by-created": ("customers:list", None, "sort=-created", _customers),
    "customers-by-score": ("customers:list", None, "sort=-score", _customers),
    "customers-by-churn": ("customers:list", None, "sort=-churn", _customers),
    "customers-by-revenue": ("customers:list", None, "sort=-revenue", _customers),
    "customers-by-score-ascending": ("customers:list", None, "sort=score", _customers),
    # From the top score down: the pages measured stay among the scored customers (the
    # page where the unscored begin reads one query more, tests/core/test_pagination.py).
    "customers-from-a-jump": ("customers:list", None, "sort=-score&from=41", _customers),
    "orders": ("orders:list", None, "", _orders),
    "orders-by-number": ("orders:list", None, "sort=number", _orders),
    "orders-by-total": ("orders:list", None, "sort=-total", _orders),
    "products": ("orders:products", None, "", _products),
    "campaigns": ("campaigns:list", None, "", _campaigns),
    "surveys": ("surveys:list", None, "", _surveys),
    "my-tasks": ("customers:my_tasks", None, "", _customers),
    "call-next": ("metrics:call_next", None, "", _customers),
    "detractors": ("metrics:detractors", None, "", _customers),
    "search": ("search", None, "q=Customer", _customers),
    "imports": ("dataio:imports", None, "", _imports),
    "api-keys": ("api_pages:keys", None, "", _keys),
    "webhooks": ("api_pages:webhooks", None, "", _webhooks),
    "webhook-deliveries": ("api_pages:webhook_detail", _webhook, "", _deliveries),
    "survey-comments": ("surveys:comments", _survey, "", _comments),
    "metrics-runs": ("metrics:index", None, "", _runs),
    "customer-activities": ("customers:activities", _customer, "", _activities),
    "customer-orders": ("orders:customer_orders", _customer_id, "", _customer_orders),
    "customer-contacts": ("customers:contacts", _customer, "", _contacts),
}

API_LISTS = {
    "api-customers": ("api:customer-list", _customers),
    "api-contacts": ("api:contact-list", _contacts),
    "api-activities": ("api:activity-list", _activities),
    "api-products": ("api:product-list", _products),
    "api-orders": ("api:order-list", _line_orders),
    "api-campaigns": ("api:campaign-list", _campaigns),
    "api-surveys": ("api:survey-list", _surveys),
    "api-invitations": ("api:invitation-list", _invitations),
    "api-responses": ("api:response-list", _responses),
    "api-scores": ("api:score-list", _customers),
    "api-recalculations": ("api:recalculation-list", _runs),
    "api-webhooks": ("api:webhook-list", _webhooks),
}


# The API lists whose default order's keys run opposite ways and whose first key holds long
# ties (``keyset_ties_apart``).
OPPOSITE_KEYS = {"api-scores"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response


@pytest.mark.parametrize("case", HTML_LISTS.keys())
def test_list_page_runs_a_constant_number_of_queries(case, client_for, admin_user, settings):
    _assert_page_queries_constant(case, client_for(admin_user), admin_user, settings)


# A rep's order lists read the owner copied onto the orders (Order.customer_owner) and
# check each listed order's customer: still one query per page, whatever its rows. Their
# tasks, imports, keys and a survey's comments are read within their own customers.
@pytest.mark.parametrize(
    "case",
    [
        "orders",
        "orders-by-number",
        "orders-by-total",
        "my-tasks",
        "imports",
        "api-keys",
        "survey-comments",
    ],
)
def test_a_reps_order_list_runs_a_constant_number_of_queries(case, client_for, owner, settings):
    _assert_page_queries_constant(case, client_for(owner), owner, settings)


def _assert_page_queries_constant(case, client, user, settings):
    name, kwargs, query, make = HTML_LISTS[case]
    settings.CRM_PAGE_SIZE = PAGE
    world = World(user)
    url = reverse(name, kwargs=kwargs(world) if kwargs else None) + "?" + query
    client.get(url)  # warm per-process caches (content types, settings rows)
    make(world, 2 * PAGE + 1)  # every page measured has a next page
    settings.CRM_PAGE_SIZE = 2
    few, small = _count(client, url)
    settings.CRM_PAGE_SIZE = PAGE
    many, large = _count(client, url)
    second, following = _count(client, _next_page(url, large))
    if case not in FIXED_LENGTH:
        assert len(large.content) > len(small.content) + 1000, "the rows are on the page"
    assert (few, many, second) == (few, few, few), f"2 rows, {PAGE} rows, page 2"
    previous = getattr(following.context.get("page"), "previous_cursor", "")
    if previous:  # a keyset page: back from the second page too
        back, _ = _count(client, f"{url}&cursor={previous}")
        assert back == few, "back to page 1"


def _next_page(url, response):
    """The page after ``response``'s: the keyset cursor it links to, or page 2."""
    cursor = getattr(response.context.get("page"), "next_cursor", "")
    if cursor:
        assert f"cursor={cursor}" in response.content.decode(), "the next link"
        return f"{url}&cursor={cursor}"
    return f"{url}&page=2"


@pytest.mark.parametrize("case", API_LISTS.keys())
def test_api_list_runs_a_constant_number_of_queries(case, client_for, admin_user):
    _assert_api_queries_constant(case, client_for(admin_user), admin_user)


def test_a_reps_api_order_list_runs_a_constant_number_of_queries(client_for, owner):
    _assert_api_queries_constant("api-orders", client_for(owner), owner)


def _assert_api_queries_constant(case, client, user):
    name, make = API_LISTS[case]
    world = World(user)
    url = f"{reverse(name)}?page_size={PAGE}"
    client.get(url)
    make(world, 2 * PAGE + 1)  # every page measured has a next page
    few, small = _count(client, f"{reverse(name)}?page_size=2")
    many, large = _count(client, url)
    assert (len(small.json()["results"]), len(large.json()["results"])) == (2, PAGE)
    next_url = large.json()["next"]
    assert next_url, "a second page"
    second, _ = _count(client, next_url)
    # Keys that run opposite ways (the scores: the highest first, then by customer id) read
    # the rows tied with the position and those beyond its value apart, each one range of
    # an index (api.pagination._page_queries): one query more after the first page, at
    # any depth.
    apart = 1 if case in OPPOSITE_KEYS else 0
    assert (few, many, second) == (few, few, few + apart), f"2 rows, {PAGE} rows, next page"
