import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import Campaign
from surveys import selectors
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory


def answers(survey, scores, *, customer=None, at=None, comment="", **customer_fields):
    for score in scores:
        invitation = InvitationFactory(
            survey=survey,
            customer=customer or CustomerFactory(**customer_fields),
        )
        fields = {"responded_at": at} if at else {}
        ResponseFactory(invitation=invitation, score=score, comment=comment, **fields)


def unanswered(survey, count, **customer_fields):
    InvitationFactory.create_batch(
        count, survey=survey, customer=CustomerFactory(**customer_fields)
    )


def test_nps_is_percent_promoters_minus_percent_detractors(manager, owner):
    survey = SurveyFactory(kind=Survey.Kind.NPS)
    # The spec's example: 50 promoters, 30 passives, 20 detractors -> 30.
    answers(survey, [9] * 25 + [10] * 25 + [7] * 15 + [8] * 15 + [0] * 5 + [6] * 15, owner=owner)

    results = selectors.survey_results(user=manager, survey=survey)

    assert results.overall.value == Decimal("30.00")
    assert (results.overall.good, results.overall.neutral, results.overall.bad) == (50, 30, 20)
    # 1.96 x 100 x sqrt((0.5 + 0.2 - 0.3^2) / 100)
    assert results.overall.margin == Decimal("15.31")
    assert [(label, count, share) for _b, label, count, share in results.bands] == [
        ("Promoters", 50, 50.0),
        ("Passives", 30, 30.0),
        ("Detractors", 20, 20.0),
    ]
    assert [(score, count) for score, count, _w, _b in results.distribution] == [
        (0, 5),
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 15),
        (7, 15),
        (8, 15),
        (9, 25),
        (10, 25),
    ]


def test_csat_is_the_share_of_4_and_5(manager, owner):
    survey = SurveyFactory(kind=Survey.Kind.CSAT)
    # The spec's example: 80 of 100 -> 80%.
    answers(survey, [5] * 50 + [4] * 30 + [3] * 10 + [2] * 5 + [1] * 5, owner=owner)

    overall = selectors.survey_results(user=manager, survey=survey).overall

    assert overall.value == Decimal("80.00")
    assert overall.margin == Decimal("7.84")  # 1.96 x 100 x sqrt(0.8 x 0.2 / 100)


def test_response_rate_is_responses_over_delivered_invitations(manager, owner):
    survey = SurveyFactory()
    answers(survey, [9] * 30, owner=owner)
    unanswered(survey, 90, owner=owner)
    # Never delivered: not in the denominator.
    for state in (Invitation.State.FAILED, Invitation.State.PENDING):
        InvitationFactory(survey=survey, customer__owner=owner, state=state, sent_at=None)

    overall = selectors.survey_results(user=manager, survey=survey).overall

    assert overall.delivered == 120
    assert overall.response_rate == Decimal("25.00")


def test_an_edited_answer_counts_once_with_its_latest_score(manager, owner):
    from surveys import services

    survey = SurveyFactory()
    invitation = InvitationFactory(survey=survey, customer__owner=owner)
    now = dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
    services.response_submit(invitation=invitation, score=2, now=now)
    services.response_submit(invitation=invitation, score=10, now=now)

    overall = selectors.survey_results(user=manager, survey=survey).overall
    assert (overall.responses, overall.value) == (1, Decimal("100.00"))


def test_no_answers_is_undefined_not_zero(manager):
    overall = selectors.survey_results(user=manager, survey=SurveyFactory()).overall
    assert (overall.value, overall.margin, overall.response_rate) == (None, None, None)


def test_a_rep_sees_results_of_their_own_customers(owner, teammate, manager):
    survey = SurveyFactory()
    answers(survey, [10, 10], owner=owner)
    answers(survey, [0, 0, 0], owner=teammate)

    mine = selectors.survey_results(user=owner, survey=survey).overall
    everyone = selectors.survey_results(user=manager, survey=survey).overall

    assert (mine.responses, mine.value) == (2, Decimal("100.00"))
    assert (everyone.responses, everyone.value) == (5, Decimal("-20.00"))


def test_breakdown_by_owner_campaign_and_region(manager, owner, teammate):
    survey = SurveyFactory()
    spring = Campaign.objects.create(name="Spring", starts_on=dt.date(2026, 3, 1))
    answers(survey, [10, 9], owner=owner, region="North", acquired_by_campaign=spring)
    answers(survey, [3], owner=teammate, region="South")
    unanswered(survey, 2, owner=teammate, region="South")

    breakdowns = selectors.survey_results(user=manager, survey=survey).breakdowns

    # Owners by name, as every page names them (their username only when they have none).
    assert [label for label, _score in breakdowns["owner"]] == ["Olivia", "Tom"]
    by_owner = dict(breakdowns["owner"])
    assert by_owner["Olivia"].value == Decimal("100.00")
    assert by_owner["Tom"].value == Decimal("-100.00")
    assert by_owner["Tom"].response_rate == Decimal("33.33")
    assert {label: s.responses for label, s in breakdowns["campaign"]} == {None: 1, "Spring": 2}
    assert {label: s.responses for label, s in breakdowns["region"]} == {"North": 2, "South": 1}


@pytest.mark.parametrize("period", ["week", "month"])
def test_trend_by_period(manager, owner, period):
    survey = SurveyFactory()
    answers(survey, [10, 0], owner=owner, at=dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC))
    answers(survey, [10], owner=owner, at=dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC))

    trend = selectors.survey_results(user=manager, survey=survey, period=period).trend

    assert [(bucket.date(), s.responses, s.value) for bucket, s in trend] == [
        (dt.date(2026, 3, 2) if period == "week" else dt.date(2026, 3, 1), 2, Decimal("0.00")),
        (dt.date(2026, 4, 13) if period == "week" else dt.date(2026, 4, 1), 1, Decimal("100.00")),
    ]


def test_comments_filter_by_band_and_search(manager, owner):
    survey = SurveyFactory()
    answers(survey, [10], owner=owner, comment="Lovely people")
    answers(survey, [2], owner=owner, comment="Delivery was late")
    answers(survey, [8], owner=owner, comment="Late but fine")
    answers(survey, [9], owner=owner)

    def comments(**kwargs):
        qs = selectors.survey_comments(user=manager, survey=survey, **kwargs)
        return sorted(r.comment for r in qs)

    assert comments() == ["Delivery was late", "Late but fine", "Lovely people"]
    assert comments(band="bad") == ["Delivery was late"]
    assert comments(band="good") == ["Lovely people"]
    assert comments(search="late") == ["Delivery was late", "Late but fine"]
    assert comments(band="neutral", search="late") == ["Late but fine"]
