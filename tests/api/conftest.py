"""API test helpers: a client per persona authenticated with a real API key, fresh
throttle counters, and generous rates (tests/api/test_throttling.py sets its own)."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.CRM_BASE_CURRENCY = "USD"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "100000/min", "user": "100000/min", "anon": "100000/min"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(owner, teammate, outsider, manager, admin_user):
    """One of everything, owned by ``owner`` (a rep) where it belongs to a customer."""
    from types import SimpleNamespace

    from orders.models import Order
    from tests.api.factories import ModelFitFactory, ScoreFactory, WebhookFactory
    from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
    from tests.factories import ContactFactory, CustomerFactory, TaskFactory
    from tests.orders.factories import CustomerCostFactory, OrderFactory, ProductFactory
    from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

    customer = CustomerFactory(owner=owner, name="Acme")
    product = ProductFactory()
    campaign = CampaignFactory()
    survey = SurveyFactory()
    invitation = InvitationFactory(survey=survey, customer=customer)
    fit = ModelFitFactory()
    return SimpleNamespace(
        customer=customer,
        contact=ContactFactory(customer=customer),
        task=TaskFactory(customer=customer),
        product=product,
        order=OrderFactory(customer=customer, lines=[(product, 1)]),
        paid_order=OrderFactory(customer=customer, lines=[(product, 2)], status=Order.Status.PAID),
        cost=CustomerCostFactory(customer=customer),
        campaign=campaign,
        spend=SpendEntryFactory(campaign=campaign),
        survey=survey,
        invitation=invitation,
        response=ResponseFactory(invitation=invitation, score=3),
        score=ScoreFactory(customer=customer),
        run=fit.run,
        fit=fit,
        webhook=WebhookFactory(),
    )
