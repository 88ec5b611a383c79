"""Survey audiences and result breakdowns by the customer's current value tier and RFM
segment (metrics.CustomerScore, computed here by a real full run)."""

import csv
import io
import random
from collections import Counter, defaultdict

import pytest
from django.urls import reverse

from customers.models import Customer
from metrics import services as metrics_services
from metrics.models import CustomerScore
from surveys import selectors
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory, persona
from tests.metrics.population import AS_OF, population
from tests.shared import shared_rows
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory
from valuemodels.company import csat, nps, response_rate
from valuemodels.labels import segment_label
from valuemodels.rfm import SEGMENTS

# The module shares rows built once (tests/shared.py): one worker runs all of it.
pytestmark = pytest.mark.xdist_group("value-breakdowns")

TIER_ORDER = ["A", "B", "C"]
SEGMENT_ORDER = [slug for slug, _english in SEGMENTS]


@pytest.fixture(scope="module", autouse=True)
def scored_ids(django_db_setup, django_db_blocker):
    """Built once for the module (tests/shared.py): both reps' customers, scored as of AS_OF,
    plus one customer of each rep created after the run (no score row at all). Leads of the
    population have a score row with a blank tier and segment."""

    def build():
        owner, teammate = persona("owner"), persona("teammate")
        mine = population(40, seed=3, owner=owner)
        theirs = population(20, seed=4, owner=teammate)
        metrics_services.full_run_sync(as_of=AS_OF)
        mine.append(CustomerFactory(owner=owner, name="New of olivia"))
        theirs.append(CustomerFactory(owner=teammate, name="New of tom"))
        return {"mine": [c.pk for c in mine], "theirs": [c.pk for c in theirs]}

    yield from shared_rows(django_db_blocker, build)


@pytest.fixture
def scored(db, scored_ids):
    """The customers of ``scored_ids``, read afresh for each test."""
    found = Customer.objects.in_bulk([*scored_ids["mine"], *scored_ids["theirs"]])
    return {group: [found[pk] for pk in ids] for group, ids in scored_ids.items()}


def current(customer):
    """(tier, segment) of the customer's stored score, "" for each when unscored."""
    score = CustomerScore.objects.filter(customer=customer).first()
    return (score.tier, score.segment) if score else ("", "")


def audience_ids(user, criteria):
    customers, _unknown = selectors.audience_customers(user=user, criteria=criteria)
    return set(customers.values_list("pk", flat=True))


def ids_where(customers, keep):
    return {c.pk for c in customers if keep(*current(c))}


# --- Audience --------------------------------------------------------------------------


def test_scene_has_every_kind_of_customer(scored):
    everyone = scored["mine"] + scored["theirs"]
    tiers = Counter(current(c)[0] for c in everyone)
    assert set(tiers) == {"A", "B", "C", ""}
    assert not CustomerScore.objects.filter(customer__name__startswith="New of").exists()
    assert CustomerScore.objects.filter(tier="", customer__in=scored["mine"]).exists()


def test_audience_by_tier_keeps_only_those_tiers_and_leaves_unscored_out(scored, manager):
    everyone = scored["mine"] + scored["theirs"]
    for tiers in (["A"], ["B", "C"], ["A", "B", "C"]):
        got = audience_ids(manager, {"mode": "filters", "tiers": tiers})
        assert got == ids_where(everyone, lambda tier, _segment, t=tiers: tier in t)
        assert got
    # All three tiers still leave out the leads (blank tier) and the never scored.
    all_tiers = audience_ids(manager, {"mode": "filters", "tiers": TIER_ORDER})
    assert len(all_tiers) < len(everyone)
    assert not {c.pk for c in everyone if current(c)[0] == ""} & all_tiers


def test_audience_by_segment_and_with_other_filters(scored, manager, owner):
    everyone = scored["mine"] + scored["theirs"]
    segments = Counter(current(c)[1] for c in everyone if current(c)[1])
    common = [slug for slug, _n in segments.most_common()]
    two = common[:2]
    assert len(two) == 2

    by_segment = audience_ids(manager, {"mode": "filters", "segments": two})
    assert by_segment == ids_where(everyone, lambda _tier, segment: segment in two)

    both = audience_ids(
        manager, {"mode": "filters", "owner": owner.pk, "tiers": ["A", "B"], "segments": two}
    )
    assert both == ids_where(
        scored["mine"], lambda tier, segment: tier in ("A", "B") and segment in two
    )


def test_old_and_empty_value_criteria_do_not_filter(scored, manager):
    everyone = {c.pk for c in scored["mine"] + scored["theirs"]}
    assert audience_ids(manager, {"mode": "filters", "status": "active"}) == everyone
    assert audience_ids(manager, {"mode": "filters", "tiers": [], "segments": []}) == everyone


def test_a_rep_audience_by_tier_has_only_their_customers(scored, owner):
    got = audience_ids(owner, {"mode": "filters", "tiers": ["A"]})
    assert got == ids_where(scored["mine"], lambda tier, _segment: tier == "A")


def test_preview_save_and_reload_the_value_filters(scored, client_for, admin_user):
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    client = client_for(admin_user)
    url = reverse("surveys:audience", args=[survey.pk])
    everyone = scored["mine"] + scored["theirs"]
    tier_a = ids_where(everyone, lambda tier, _segment: tier == "A")
    segment = next(current(c)[1] for c in everyone if current(c)[0] == "A")
    in_both = ids_where(everyone, lambda tier, seg: tier == "A" and seg == segment)

    preview = client.post(
        url, {"mode": "filters", "tiers": ["A"]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f"{len(tier_a)} customers will be emailed" in preview
    assert f'<dd class="num">{len(tier_a)}</dd>' in preview  # matching the audience

    saved = client.post(
        url, {"mode": "filters", "tiers": ["A"], "segments": [segment], "action": "save"}
    )
    assert saved.status_code == 302
    survey.refresh_from_db()
    assert survey.audience["tiers"] == ["A"]
    assert survey.audience["segments"] == [segment]

    page = client.get(url).content.decode()
    assert 'value="A" id="id_tiers_0" checked' in page
    assert f'value="{segment}"' in page
    n = len(in_both)
    expected = f"{n} customer will be emailed" if n == 1 else f"{n} customers will be emailed"
    assert expected in page
    confirm = client.get(reverse("surveys:send", args=[survey.pk])).content.decode()
    assert expected in confirm


def test_unknown_tier_or_segment_is_an_inline_error(client_for, admin_user):
    survey = SurveyFactory(status=Survey.Status.DRAFT)
    url = reverse("surveys:audience", args=[survey.pk])
    response = client_for(admin_user).post(
        url, {"mode": "filters", "tiers": ["Z"]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    response = client_for(admin_user).post(
        url, {"mode": "filters", "segments": ["nobody"], "action": "save"}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    survey.refresh_from_db()
    assert "segments" not in survey.audience


# --- Results ---------------------------------------------------------------------------


def survey_with_answers(customers, kind, seed=7):
    """Each customer invited; most answer, some never do, some were never delivered.
    Returns {customer pk: (delivered, score or None)}."""
    rng = random.Random(seed)
    survey = SurveyFactory(kind=kind)
    scale = list(Survey(kind=kind).scale)
    outcome = {}
    for customer in customers:
        fate = rng.choice(["answer", "answer", "answer", "silent", "failed"])
        if fate == "failed":
            InvitationFactory(
                survey=survey, customer=customer, state=Invitation.State.FAILED, sent_at=None
            )
            outcome[customer.pk] = (False, None)
            continue
        invitation = InvitationFactory(survey=survey, customer=customer)
        score = rng.choice(scale) if fate == "answer" else None
        if score is not None:
            ResponseFactory(invitation=invitation, score=score)
        outcome[customer.pk] = (True, score)
    return survey, outcome


def expected_breakdown(customers, outcome, kind, key_of):
    """{group: (responses, value, response rate)} from the formulas of valuemodels."""
    formula = nps if kind == Survey.Kind.NPS else csat
    answers, delivered = defaultdict(list), Counter()
    for customer in customers:
        group = key_of(*current(customer))
        was_delivered, score = outcome[customer.pk]
        delivered[group] += was_delivered
        if score is not None:
            answers[group].append(score)
    return {
        group: (
            len(scores),
            formula(scores),
            response_rate(responses=len(scores), invitations=delivered[group]),
        )
        for group, scores in answers.items()
    }


def actual(rows):
    return {str(label): (s.responses, s.value, s.response_rate) for label, s in rows}


def tier_label(tier, _segment):
    return tier or "Not scored"


def segment_group(_tier, segment):
    return str(segment_label(segment)) if segment else "Not scored"


@pytest.mark.parametrize("kind", [Survey.Kind.NPS, Survey.Kind.CSAT])
def test_breakdowns_by_tier_and_segment_follow_the_formulas(scored, manager, kind):
    everyone = scored["mine"] + scored["theirs"]
    survey, outcome = survey_with_answers(everyone, kind)

    breakdowns = selectors.survey_results(user=manager, survey=survey).breakdowns

    by_tier = expected_breakdown(everyone, outcome, kind, tier_label)
    assert actual(breakdowns["tier"]) == by_tier
    assert "Not scored" in by_tier
    assert len(by_tier) == 4
    by_segment = expected_breakdown(everyone, outcome, kind, segment_group)
    assert actual(breakdowns["segment"]) == by_segment
    assert len(by_segment) > 3
    # Display order: A, B, C, then the unscored; segments in the methodology's order.
    assert [str(label) for label, _s in breakdowns["tier"]] == ["A", "B", "C", "Not scored"]
    order = [str(segment_label(slug)) for slug in SEGMENT_ORDER] + ["Not scored"]
    labels = [str(label) for label, _s in breakdowns["segment"]]
    assert labels == sorted(set(labels), key=order.index)
    # Every answer lands in exactly one group.
    overall = selectors.survey_results(user=manager, survey=survey).overall
    assert sum(s.responses for _l, s in breakdowns["tier"]) == overall.responses
    assert sum(s.responses for _l, s in breakdowns["segment"]) == overall.responses


def test_breakdowns_follow_the_current_score(scored, manager):
    customer = next(c for c in scored["mine"] if current(c)[0] == "A")
    survey = SurveyFactory()
    ResponseFactory(invitation=InvitationFactory(survey=survey, customer=customer), score=10)
    CustomerScore.objects.filter(customer=customer).update(tier="C", segment="lost")

    breakdowns = selectors.survey_results(user=manager, survey=survey).breakdowns

    assert [(label, s.responses) for label, s in breakdowns["tier"]] == [("C", 1)]
    assert [(str(label), s.responses) for label, s in breakdowns["segment"]] == [("Lost", 1)]


def test_a_rep_breakdowns_cover_only_their_customers(scored, owner, manager):
    everyone = scored["mine"] + scored["theirs"]
    survey, outcome = survey_with_answers(everyone, Survey.Kind.NPS, seed=11)

    mine = selectors.survey_results(user=owner, survey=survey).breakdowns
    everybody = selectors.survey_results(user=manager, survey=survey).breakdowns

    kind = Survey.Kind.NPS
    assert actual(mine["tier"]) == expected_breakdown(scored["mine"], outcome, kind, tier_label)
    assert actual(mine["segment"]) == expected_breakdown(
        scored["mine"], outcome, kind, segment_group
    )
    assert actual(everybody["tier"]) != actual(mine["tier"])


# --- Pages -----------------------------------------------------------------------------


def test_results_page_and_csv_show_tier_and_segment(scored, client_for, owner):
    champion = next(c for c in scored["mine"] if current(c)[1])
    tier, segment = current(champion)
    newcomer = next(c for c in scored["mine"] if c.name == "New of olivia")
    stranger = next(c for c in scored["theirs"] if current(c)[0])
    survey = SurveyFactory()
    for customer, score in ((champion, 10), (newcomer, 3), (stranger, 0)):
        ResponseFactory(invitation=InvitationFactory(survey=survey, customer=customer), score=score)
    client = client_for(owner)

    page = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "By value tier" in page
    assert "By RFM segment" in page
    assert "current value score" in page
    assert f"<td>{segment_label(segment)}</td>" in page
    assert "<td>Not scored</td>" in page

    export = client.get(reverse("surveys:export", args=[survey.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Value tier (current)", "RFM segment (current)"]
    by_name = {row[0]: row[-2:] for row in rows[1:]}
    assert by_name == {
        champion.name: [tier, str(segment_label(segment))],
        newcomer.name: ["", ""],
    }
