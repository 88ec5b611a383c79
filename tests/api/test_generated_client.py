"""The schema generates a working SDK: openapi-python-client (installed with the dev
requirements; it downloads nothing) writes a Python client from /api/schema/ into a
temporary directory, and a short sync runs with it against a live server: every customer
followed through the cursor, an order created, a score and its explanation read. A schema
that a generator cannot turn into a client that works (a oneOf that "" matches twice, ids
typed as strings, a missing response schema) fails here."""

import importlib
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from api.keys import api_key_create
from metrics.models import CustomerScore
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

PACKAGE = "crm_client"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory, django_db_blocker):
    """The generated client package, imported (generated once for the module's tests)."""
    root = tmp_path_factory.mktemp("sdk")
    schema_path = root / "schema.json"
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    schema_path.write_bytes(OpenApiJsonRenderer().render(schema))
    config = root / "config.yaml"
    # No post-generation hooks: the generator would run ruff over the code it wrote.
    config.write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(schema_path),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every operation and model generated: no "Warning(s) encountered" skipping any.
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture
def client(sdk, live_server, owner):
    _key, raw = api_key_create(user=owner, name="sdk")
    # Closed after the test: a kept-alive connection would hold the live server's thread.
    with sdk.AuthenticatedClient(
        base_url=live_server.url, token=raw, raise_on_unexpected_status=True
    ) as client:
        yield client


def test_a_generated_client_lists_every_customer_through_the_cursor(client, owner):
    """Empty email and website (blank-able, formatted) are read as the strings they are."""
    expected = {CustomerFactory(owner=owner, email="", website="").pk for _ in range(7)}
    customers_list = _module("api.customers.customers_list")
    ordering = _module("models").CustomersListOrdering
    UNSET = _module("types").UNSET
    seen, cursor, pages = [], None, 0
    while True:
        page = customers_list.sync(
            client=client, page_size=3, ordering=ordering("id"), cursor=cursor or UNSET
        )
        pages += 1
        seen += [customer.id for customer in page.results]
        if page.next_ is None:
            break
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
    assert sorted(seen) == sorted(expected)
    assert pages == 3
    customer = _module("api.customers.customers_retrieve").sync(seen[0], client=client)
    assert customer.id == seen[0]
    assert customer.email == ""


def test_a_generated_client_creates_an_order_and_reads_a_score(client, owner):
    customer = CustomerFactory(owner=owner, name="Acme")
    product = ProductFactory()
    models = _module("models")
    body = models.OrderCreateRequest(
        customer=customer.pk,
        ordered_on=date(2026, 3, 1),
        lines=[models.LineInputRequest(product=product.pk, quantity=2)],
    )
    orders_create = _module("api.orders.orders_create")
    response = orders_create.sync_detailed(client=client, body=body, idempotency_key="sdk-order-1")
    assert response.status_code == 201
    order = response.parsed
    assert order.customer == customer.pk
    assert [line.quantity for line in order.lines] == [2]
    assert response.headers["Location"].endswith(f"/api/v1/orders/{order.id}/")

    # The order was scored once committed (tasks run in-process in the tests).
    stored = CustomerScore.objects.get(customer=customer)
    score = _module("api.metrics.scores_retrieve").sync(customer.pk, client=client)
    assert score.customer == customer.pk
    assert score.orders_count == 1
    assert score.revenue == str(order.total_base)
    assert score.tier == models.ScoreTier(stored.tier)
    explanation = _module("api.metrics.scores_explanation_retrieve").sync(
        customer.pk, client=client
    )
    assert explanation.customer == customer.pk
    assert {component.key for component in explanation.components} == {
        "historical",
        "future",
        "loyalty",
        "influence",
    }
