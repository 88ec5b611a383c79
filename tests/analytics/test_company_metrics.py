"""Company metrics (spec §1) through the set-based selectors of metrics.company."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from analytics.company import company_metrics, kpis, period_over_period, previous_period
from customers.models import Customer
from metrics.models import CustomerScore, MetricSettings
from orders.models import Order
from surveys.models import Invitation, Survey
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory, SurveyFactory

START, END = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
BEFORE = dt.date(2026, 2, 10)
DURING = dt.date(2026, 3, 10)
IN_PERIOD = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)


def metrics(user, start=START, end=END):
    return company_metrics(user=user, start=start, end=end)


def customers(owner, n, **kwargs):
    return [CustomerFactory(owner=owner, **kwargs) for _ in range(n)]


def churn(customer, on):
    """Mark the customer churned as the services do: saved, so their purchase summary
    (orders.CustomerDay) follows."""
    customer.status, customer.churned_on = Customer.Status.CHURNED, on
    customer.save()


def score(customer, **fields):
    return CustomerScore.objects.create(
        customer=customer, as_of=END, model_version="test", **fields
    )


# --- Customers at start and end, retention, churn -------------------------------------


def test_retention_and_churn_reproduce_the_spec_vectors(manager, owner):
    """Start 10, end 11, new 2 -> retention 90%; 1 lost of 10 -> churn 10%."""
    for customer in customers(owner, 10):
        OrderFactory(customer=customer, ordered_on=BEFORE, total="100.00")
        OrderFactory(customer=customer, ordered_on=DURING, total="100.00")
    leaving = Customer.objects.order_by("pk").first()
    churn(leaving, dt.date(2026, 3, 20))
    for customer in customers(owner, 2):
        OrderFactory(customer=customer, ordered_on=DURING, total="100.00")

    m = metrics(manager)

    assert (m.customers_at_start, m.customers_at_end, m.new_customers, m.lost) == (10, 11, 2, 1)
    assert m.retention == Decimal("90.00")
    assert m.churn == Decimal("10.00")


def test_who_counts_as_a_customer_at_the_start_and_the_end(manager, owner):
    """Inactivity window 365 days, measured from the day before each boundary."""
    at_both = CustomerFactory(owner=owner)
    # 365 days before 2026-02-28: still a customer
    OrderFactory(customer=at_both, ordered_on=dt.date(2025, 2, 28), total="100.00")
    OrderFactory(customer=at_both, ordered_on=dt.date(2025, 12, 1), total="100.00")
    lapsed_before = CustomerFactory(owner=owner)
    # 366 days: lost before the period
    OrderFactory(customer=lapsed_before, ordered_on=dt.date(2025, 2, 27), total="100.00")
    lapses_during = CustomerFactory(owner=owner)
    # 366 days before 2026-03-31: lost in it
    OrderFactory(customer=lapses_during, ordered_on=dt.date(2025, 3, 30), total="100.00")
    still_at_end = CustomerFactory(owner=owner)
    OrderFactory(customer=still_at_end, ordered_on=dt.date(2025, 3, 31), total="100.00")
    churned_before = CustomerFactory(
        owner=owner, status=Customer.Status.CHURNED, churned_on=dt.date(2026, 2, 20)
    )
    OrderFactory(customer=churned_before, ordered_on=BEFORE, total="100.00")
    churned_undated = CustomerFactory(owner=owner, status=Customer.Status.CHURNED)
    OrderFactory(customer=churned_undated, ordered_on=BEFORE, total="100.00")
    cancelled_only = CustomerFactory(owner=owner)
    OrderFactory(
        customer=cancelled_only, ordered_on=BEFORE, total="100.00", status=Order.Status.CANCELLED
    )
    OrderFactory(
        customer=cancelled_only, ordered_on=DURING, total="100.00", status=Order.Status.DRAFT
    )
    CustomerFactory(owner=owner, status=Customer.Status.LEAD)

    m = metrics(manager)

    assert m.customers_at_start == 3  # at_both, lapses_during, still_at_end
    assert m.customers_at_end == 2  # at_both, still_at_end
    assert m.lost == 1
    assert m.new_customers == 0
    assert m.retention == Decimal("66.67")
    assert m.churn == Decimal("33.33")


def test_the_inactivity_window_is_the_settings_one(manager, owner):
    settings = MetricSettings.load()
    settings.churn_inactivity_days = 30
    settings.save()
    customer = CustomerFactory(owner=owner)
    # 27 days before 2026-02-28; 58 before 2026-03-31
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 1), total="100.00")

    m = metrics(manager)

    assert (m.customers_at_start, m.customers_at_end, m.lost) == (1, 0, 1)
    assert m.churn == Decimal("100.00")


def test_a_returning_customer_is_not_new(manager, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=dt.date(2020, 1, 1), total="100.00")
    OrderFactory(customer=customer, ordered_on=DURING, total="100.00")

    m = metrics(manager)

    assert m.new_customers == 0
    assert (m.customers_at_start, m.customers_at_end) == (0, 1)
    assert m.retention is None  # nobody at the start: undefined, not 0 and not an error


# --- Revenue, profit, spend, CAC, CLV -----------------------------------------------


def test_revenue_and_gross_profit_of_the_period(manager, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=START, total="200.00", cost="120.00")
    OrderFactory(
        customer=customer,
        ordered_on=dt.date(2026, 3, 31),
        total="100.00",
        cost="50.00",
        refunded="30.00",
    )
    # the day after the period
    OrderFactory(customer=customer, ordered_on=END, total="999.00", cost="1.00")
    OrderFactory(
        customer=customer,
        ordered_on=DURING,
        total="500.00",
        cost="1.00",
        status=Order.Status.CANCELLED,
    )
    OrderFactory(
        customer=customer,
        ordered_on=DURING,
        total="500.00",
        cost="1.00",
        status=Order.Status.REFUNDED,
    )
    OrderFactory(
        customer=customer, ordered_on=DURING, total="500.00", cost="1.00", status=Order.Status.DRAFT
    )

    m = metrics(manager)

    assert m.revenue == Decimal("270.00")
    assert m.profit == Decimal("100.00")


def test_cac_and_clv_to_cac_reproduce_the_spec_vectors(manager, owner):
    """10000 spent, 50 new customers -> CAC 200; average CLV 2200 -> CLV : CAC 11.0."""
    campaign = CampaignFactory()
    for amount in ("4000.00", "6000.00"):
        SpendEntryFactory(campaign=campaign, spent_on=DURING, amount=Decimal(amount))
    SpendEntryFactory(campaign=campaign, spent_on=END, amount=Decimal("5000.00"))
    new = customers(owner, 50)
    for i, customer in enumerate(new):
        OrderFactory(customer=customer, ordered_on=DURING, total="100.00")
        # The predicted CLV wins over the simple one where the model produced it.
        if i % 2:
            score(customer, predicted_clv=Decimal("2200.00"), simple_clv=Decimal("1.00"))
        else:
            score(customer, simple_clv=Decimal("2200.00"))

    m = metrics(manager)

    assert m.spend == Decimal("10000.00")
    assert m.new_customers == 50
    assert m.cac == Decimal("200.00")
    assert m.average_clv == Decimal("2200.00")
    assert m.clv_to_cac == Decimal("11.00")


def test_spend_without_new_customers_leaves_cac_undefined(manager):
    SpendEntryFactory(spent_on=DURING, amount=Decimal("10000.00"))

    m = metrics(manager)

    assert m.spend == Decimal("10000.00")
    assert m.cac is None
    assert m.clv_to_cac is None


def test_new_customers_without_scores_have_no_average_clv(manager, owner):
    SpendEntryFactory(spent_on=DURING, amount=Decimal("100.00"))
    OrderFactory(customer=CustomerFactory(owner=owner), ordered_on=DURING, total="100.00")

    m = metrics(manager)

    assert m.cac == Decimal("100.00")
    assert m.average_clv is None
    assert m.clv_to_cac is None


# --- Surveys ------------------------------------------------------------------------


def _answers(kind, scores, customer, responded_at=IN_PERIOD):
    survey = SurveyFactory(kind=kind)
    for value in scores:
        invitation = InvitationFactory(survey=survey, customer=customer, sent_at=responded_at)
        ResponseFactory(
            invitation=invitation, score=value, responded_at=responded_at, updated_at=responded_at
        )


def test_nps_and_csat_reproduce_the_spec_vectors(manager, owner):
    """50 promoters, 30 passives, 20 detractors -> NPS 30; 80 of 100 satisfied -> CSAT 80%."""
    customer = CustomerFactory(owner=owner)
    _answers(
        Survey.Kind.NPS, [10] * 25 + [9] * 25 + [8] * 15 + [7] * 15 + [0] * 10 + [6] * 10, customer
    )
    _answers(Survey.Kind.CSAT, [5] * 40 + [4] * 40 + [3] * 10 + [1] * 10, customer)
    outside = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)
    _answers(Survey.Kind.NPS, [0] * 5, customer, responded_at=outside)

    m = metrics(manager)

    assert m.nps == Decimal("30.00")
    assert m.nps_responses == 100
    assert m.nps_margin == Decimal("15.31")
    assert m.csat == Decimal("80.00")
    assert m.csat_responses == 100
    assert m.csat_margin == Decimal("7.84")


def test_response_rate_reproduces_the_spec_vector(manager, owner):
    """30 answers to 120 invitations delivered in the period -> 25%."""
    customer = CustomerFactory(owner=owner)
    survey = SurveyFactory(kind=Survey.Kind.NPS)
    invitations = [
        InvitationFactory(survey=survey, customer=customer, sent_at=IN_PERIOD) for _ in range(120)
    ]
    for invitation in invitations[:30]:
        ResponseFactory(invitation=invitation, score=9)
    InvitationFactory(survey=survey, customer=customer, sent_at=IN_PERIOD, state="failed")
    InvitationFactory(
        survey=survey, customer=customer, sent_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    )

    m = metrics(manager)

    assert (m.invitations, m.answered) == (120, 30)
    assert m.response_rate == Decimal("25.00")
    assert Invitation.objects.count() == 122


def test_an_empty_period_is_undefined_everywhere_not_zero(manager):
    m = metrics(manager)

    assert m.new_customers == 0
    assert m.revenue == 0
    assert m.profit == 0
    for name in (
        "cac",
        "retention",
        "churn",
        "nps",
        "csat",
        "response_rate",
        "average_clv",
        "clv_to_cac",
        "nps_margin",
        "csat_margin",
    ):
        assert getattr(m, name) is None, name


# --- Scoping ----------------------------------------------------------------------------


def test_a_rep_sees_figures_of_their_own_customers_only(owner, teammate, manager):
    mine = CustomerFactory(owner=owner)
    theirs = CustomerFactory(owner=teammate)
    OrderFactory(customer=mine, ordered_on=DURING, total="100.00", cost="10.00")
    OrderFactory(customer=theirs, ordered_on=DURING, total="900.00", cost="10.00")
    OrderFactory(customer=theirs, ordered_on=BEFORE, total="100.00")
    _answers(Survey.Kind.NPS, [10], mine)
    _answers(Survey.Kind.NPS, [0, 0], theirs)
    SpendEntryFactory(spent_on=DURING, amount=Decimal("500.00"))

    rep, everyone = metrics(owner), metrics(manager)

    assert (rep.new_customers, rep.revenue, rep.customers_at_end) == (1, Decimal("100.00"), 1)
    assert rep.nps == Decimal("100.00")
    assert rep.spend is None
    assert rep.cac is None
    assert not rep.company_figures
    assert (everyone.new_customers, everyone.revenue, everyone.customers_at_end) == (
        1,
        Decimal("1000.00"),
        2,
    )
    assert everyone.cac == Decimal("500.00")
    assert everyone.company_figures


def test_someone_without_a_role_sees_nothing(outsider, owner):
    OrderFactory(customer=CustomerFactory(owner=owner), ordered_on=DURING, total="100.00")

    m = metrics(outsider)

    assert (m.new_customers, m.revenue, m.customers_at_end) == (0, 0, 0)


# --- Query count --------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_the_number_of_queries_does_not_grow_with_the_data(
    manager, owner, size, django_assert_max_num_queries
):
    MetricSettings.load()
    for customer in customers(owner, size):
        OrderFactory(customer=customer, ordered_on=BEFORE, total="100.00")
        OrderFactory(customer=customer, ordered_on=DURING, total="100.00")
        _answers(Survey.Kind.CSAT, [5], customer)
    # Settings, the user's permissions (2), then five aggregates (spend for managers only);
    # a manager's customer counts are two small ones, after reading the spells' window.
    with django_assert_max_num_queries(10):
        metrics(manager)
    with django_assert_max_num_queries(7):
        metrics(owner)


# --- Periods and cards -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (START, END, (dt.date(2026, 1, 29), START)),
        (dt.date(2026, 1, 1), dt.date(2027, 1, 1), (dt.date(2025, 1, 1), dt.date(2026, 1, 1))),
        (dt.date(2026, 3, 10), dt.date(2026, 3, 11), (dt.date(2026, 3, 9), dt.date(2026, 3, 10))),
    ],
)
def test_previous_period_has_the_same_length_and_ends_where_the_period_starts(start, end, expected):
    assert previous_period(start, end) == expected


def test_two_periods_read_together_match_each_read_alone(manager, owner):
    regulars = customers(owner, 4)
    for customer in regulars:
        OrderFactory(customer=customer, ordered_on=dt.date(2025, 12, 1), total="100.00")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 10), total="100.00")
    OrderFactory(customer=CustomerFactory(owner=owner), ordered_on=DURING, total="100.00")
    lapsing = CustomerFactory(owner=owner)
    # lost during the previous period
    OrderFactory(customer=lapsing, ordered_on=dt.date(2025, 2, 15), total="100.00")
    churn(regulars[0], dt.date(2026, 3, 2))

    current, before = period_over_period(user=manager, start=START, end=END)

    assert current == metrics(manager)
    assert before == metrics(manager, *previous_period(START, END))
    assert before.customers_at_end == current.customers_at_start == 4
    assert (before.lost, current.lost) == (1, 1)


def test_cards_compare_with_the_previous_period(manager, owner):
    for customer in customers(owner, 2):
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 15), total="100.00", cost="0")
    OrderFactory(customer=CustomerFactory(owner=owner), ordered_on=DURING, total="300.00", cost="0")
    current = metrics(manager)
    before = metrics(manager, *previous_period(START, END))

    cards = {card.key: card for card in kpis(current, before)}

    assert cards["revenue"].value == Decimal("300.00")
    assert cards["revenue"].previous == Decimal("200.00")
    assert cards["revenue"].change == Decimal("50.00")
    assert cards["revenue"].direction == "up"
    assert cards["revenue"].judgement == "good"
    assert cards["new_customers"].change == Decimal("-50.00")
    assert cards["new_customers"].judgement == "bad"
    # Undefined on either side gives no change, never a division error.
    assert cards["retention"].value == Decimal("100.00")
    assert cards["retention"].previous is None
    assert cards["retention"].change is None
    assert [card.key for card in kpis(current, before)] == [
        "new_customers",
        "revenue",
        "profit",
        "cac",
        "retention",
        "churn",
        "nps",
        "csat",
        "average_clv",
        "clv_to_cac",
    ]


def test_rates_change_in_points_and_lower_churn_and_cac_are_good():
    keys = [
        "new_customers",
        "revenue",
        "profit",
        "cac",
        "retention",
        "churn",
        "nps",
        "csat",
        "average_clv",
        "clv_to_cac",
    ]
    current = SimpleNamespace(**dict.fromkeys(keys, Decimal("10")))
    before = SimpleNamespace(**dict.fromkeys(keys, Decimal("20")))
    before.revenue = Decimal("0")

    cards = {card.key: card for card in kpis(current, before)}

    assert cards["churn"].change == Decimal("-10")
    assert cards["churn"].change_in_points
    assert cards["churn"].judgement == "good"
    assert cards["retention"].judgement == "bad"
    assert cards["nps"].change == Decimal("-10")
    assert cards["nps"].change_size == Decimal("10")
    assert cards["cac"].change == Decimal("-50.00")
    assert cards["cac"].judgement == "good"
    assert cards["revenue"].change is None  # from 0: no percentage
