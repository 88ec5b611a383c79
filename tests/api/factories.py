import datetime as dt

import factory

from api.webhooks.models import Event, Webhook, WebhookDelivery
from metrics.models import CustomerScore, ModelFit, RecalcRun

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    secret = "test-secret"
    events = factory.LazyFunction(lambda: [Event.CUSTOMER_CREATED])


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    event = Event.CUSTOMER_CREATED
    payload = factory.LazyFunction(lambda: {"event": "customer.created", "data": {"id": 1}})
    next_attempt_at = NOW
    created_at = NOW


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerScore

    as_of = dt.date(2026, 6, 1)
    model_version = "test"
    value_score = 50.0
    churn_risk = 0.2
    tier = "B"
    segment = "loyal"
    # As every writer of the scores copies it (metrics.storage, metrics.receivers).
    customer_status = factory.LazyAttribute(lambda score: score.customer.status)
    customer_owner = factory.LazyAttribute(lambda score: score.customer.owner)


class RecalcRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecalcRun

    as_of = dt.date(2026, 6, 1)
    status = RecalcRun.Status.DONE
    created_at = NOW
    started_at = NOW
    finished_at = NOW


class ModelFitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelFit

    kind = ModelFit.Kind.BGNBD
    run = factory.SubFactory(RecalcRunFactory)
    as_of = dt.date(2026, 6, 1)
    params = factory.LazyFunction(lambda: {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43})
    customers = 10
    converged = True
    created_at = NOW
