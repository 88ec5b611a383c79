import datetime as dt

import factory

from surveys import tokens
from surveys.models import Invitation, Response, Survey
from tests.factories import CustomerFactory

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = Survey.Kind.NPS
    question = "How likely are you to recommend us to a friend or colleague?"
    follow_up_question = "Why?"
    email_subject = "A quick question"
    status = Survey.Status.OPEN
    audience = factory.LazyFunction(lambda: {"mode": "filters", "status": "active"})
    created_at = NOW


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(CustomerFactory)
    email = factory.SelfAttribute("customer.email")
    token = factory.LazyFunction(tokens.new_token)
    state = Invitation.State.SENT
    sent_at = NOW
    created_at = NOW


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    invitation = factory.SubFactory(InvitationFactory)
    score = 9
    responded_at = NOW
    updated_at = NOW
