import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.models import Campaign
from customers import services as customer_services
from customers.models import Activity, Customer
from orders.models import Order
from surveys import selectors, services
from surveys.models import Invitation, Response, Survey
from tests.factories import CustomerFactory, TagFactory
from tests.orders.factories import OrderFactory
from tests.surveys.factories import (
    NOW,
    InvitationFactory,
    ResponseFactory,
    SurveyFactory,
)

DAY = dt.timedelta(days=1)


# --- Design ----------------------------------------------------------------------------


def test_new_survey_gets_the_standard_wording_of_its_kind(admin_user):
    nps = services.survey_create(user=admin_user, name="Q3", kind="nps")
    csat = services.survey_create(user=admin_user, name="Support", kind="csat")
    assert nps.question == "How likely are you to recommend us to a friend or colleague?"
    assert nps.follow_up_question == "What is the main reason for your score?"
    assert nps.email_subject == "A quick question: Q3"
    assert csat.question == "How satisfied are you with our service?"
    assert nps.status == Survey.Status.DRAFT
    assert nps.audience == {"mode": "filters", "status": "active"}


def test_only_admins_design(owner, manager):
    for user in (owner, manager):
        with pytest.raises(PermissionDenied):
            services.survey_create(user=user, name="Nope", kind="nps")


def test_trigger_is_for_csat_only(admin_user):
    with pytest.raises(ValidationError):
        services.survey_create(user=admin_user, name="X", kind="nps", trigger_days_after_paid=3)


def test_wording_is_frozen_once_sent(admin_user):
    survey = SurveyFactory(status=Survey.Status.OPEN)
    with pytest.raises(ValidationError):
        services.survey_update(user=admin_user, survey=survey, question="Changed?")
    services.survey_update(user=admin_user, survey=survey, closes_on=dt.date(2026, 12, 31))
    survey.refresh_from_db()
    assert survey.closes_on == dt.date(2026, 12, 31)


def test_audience_is_frozen_once_sent(admin_user):
    with pytest.raises(ValidationError):
        services.survey_audience_set(
            user=admin_user, survey=SurveyFactory(status=Survey.Status.OPEN), audience={}
        )


# --- Audience --------------------------------------------------------------------------


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def test_audience_filters(admin_user, owner, teammate):
    spring = Campaign.objects.create(name="Spring", starts_on=dt.date(2026, 3, 1))
    vip = TagFactory(name="vip")
    a = CustomerFactory(name="A", owner=owner, region="North", acquired_by_campaign=spring)
    a.tags.add(vip)
    CustomerFactory(name="B", owner=owner, region="South")
    CustomerFactory(name="C", owner=teammate, region="North")
    CustomerFactory(name="D", owner=owner, status=Customer.Status.CHURNED, churned_on=NOW.date())

    def audience(**criteria):
        customers, unknown = selectors.audience_customers(
            user=admin_user, criteria={"mode": "filters", **criteria}
        )
        assert unknown == []
        return names(customers)

    assert audience(status="active") == ["A", "B", "C"]
    assert audience() == ["A", "B", "C", "D"]
    assert audience(status="active", owner=owner.pk) == ["A", "B"]
    assert audience(campaign=spring.pk) == ["A"]
    assert audience(tag=vip.pk) == ["A"]
    assert audience(region="North", status="active") == ["A", "C"]


def test_audience_by_last_counted_order_date(admin_user, owner):
    recent = CustomerFactory(name="Recent", owner=owner)
    OrderFactory(customer=recent, ordered_on=dt.date(2026, 1, 5), total="0.00")
    OrderFactory(customer=recent, ordered_on=dt.date(2026, 5, 20), total="0.00")
    lapsed = CustomerFactory(name="Lapsed", owner=owner)
    OrderFactory(customer=lapsed, ordered_on=dt.date(2025, 6, 1), total="0.00")
    # A cancelled order is not a purchase.
    OrderFactory(
        customer=lapsed,
        ordered_on=dt.date(2026, 5, 25),
        total="0.00",
        status=Order.Status.CANCELLED,
    )
    CustomerFactory(name="Never", owner=owner)

    def audience(**criteria):
        return names(
            selectors.audience_customers(user=admin_user, criteria={"mode": "filters", **criteria})[
                0
            ]
        )

    assert audience(last_order_after="2026-01-01") == ["Recent"]
    assert audience(last_order_before="2025-12-31") == ["Lapsed"]
    assert audience(last_order_after="2025-01-01", last_order_before="2026-05-20") == [
        "Lapsed",
        "Recent",
    ]


def test_pasted_list_matches_emails_and_external_ids_and_reports_unknowns(admin_user, owner):
    CustomerFactory(name="ByEmail", owner=owner, email="Buyer@Acme.test")
    CustomerFactory(name="ById", owner=owner, external_id="ERP-42")
    CustomerFactory(name="Other", owner=owner)
    entries = selectors.parse_entries(
        "buyer@acme.test, ERP-42;nobody@example.com\nERP-404  BUYER@ACME.TEST"
    )
    assert entries == ["buyer@acme.test", "ERP-42", "nobody@example.com", "ERP-404"]

    customers, unknown = selectors.audience_customers(
        user=admin_user, criteria={"mode": "list", "entries": entries}
    )

    assert names(customers) == ["ByEmail", "ById"]
    assert unknown == ["nobody@example.com", "ERP-404"]


def test_uploaded_csv_uses_the_first_column_and_skips_a_header():
    content = "email,name\nann@example.com,Ann\nbob@example.com,Bob\n"
    assert selectors.parse_uploaded_entries(content) == ["ann@example.com", "bob@example.com"]
    assert selectors.parse_uploaded_entries("ERP-1;x\nERP-2;y") == ["ERP-1", "ERP-2"]


def test_preview_counts_each_exclusion(admin_user, owner, settings):
    settings.SURVEY_RESURVEY_DAYS = 30
    CustomerFactory.create_batch(3, owner=owner)
    CustomerFactory.create_batch(2, owner=owner, marketing_opt_out=True)
    CustomerFactory(owner=owner, email="", marketing_opt_out=True)  # counted as opted out
    CustomerFactory(owner=owner, email="")
    recent = CustomerFactory(owner=owner)
    InvitationFactory(customer=recent, sent_at=NOW - 5 * DAY)
    pending = CustomerFactory(owner=owner)
    InvitationFactory(customer=pending, state=Invitation.State.PENDING, sent_at=None)

    preview = selectors.audience_preview(
        user=admin_user, criteria={"mode": "filters", "status": "active"}, now=NOW, cap=None
    )

    assert (
        preview.matched,
        preview.eligible,
        preview.opted_out,
        preview.no_email,
        preview.recently_surveyed,
    ) == (9, 3, 3, 1, 2)
    assert len(preview.sample) == 3


# --- Closed loop -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "score", "creates_task"),
    [
        ("nps", 0, True),
        ("nps", 6, True),
        ("nps", 7, False),
        ("nps", 10, False),
        ("csat", 1, True),
        ("csat", 2, True),
        ("csat", 3, False),
        ("csat", 5, False),
    ],
)
def test_unhappy_answers_create_a_follow_up_task(owner, kind, score, creates_task):
    invitation = InvitationFactory(survey__kind=kind, survey__name="June", customer__owner=owner)
    services.response_submit(invitation=invitation, score=score, comment="Why", now=NOW)
    tasks = Activity.objects.filter(kind=Activity.Kind.TASK)
    assert tasks.exists() == creates_task
    if creates_task:
        task = tasks.get()
        assert task.assignee == owner
        assert task.due_on == dt.date(2026, 6, 3)
        assert task.subject == f"Follow up on {kind.upper()} score {score} (June)"
        assert task.body == "Why"
        assert Response.objects.get().follow_up_task == task


def test_one_task_per_response_and_later_comments_reach_it(owner):
    invitation = InvitationFactory(customer__owner=owner)
    services.response_submit(invitation=invitation, score=3, now=NOW)
    services.response_submit(invitation=invitation, score=1, now=NOW)
    services.response_comment_set(invitation=invitation, comment="Call me", now=NOW)

    task = Activity.objects.get(kind=Activity.Kind.TASK)
    assert task.body == "Call me"


def test_a_happy_answer_turning_unhappy_creates_the_task(owner):
    invitation = InvitationFactory(customer__owner=owner)
    services.response_submit(invitation=invitation, score=9, now=NOW)
    assert not Activity.objects.exists()
    services.response_submit(invitation=invitation, score=4, now=NOW + DAY)
    assert Activity.objects.get().due_on == dt.date(2026, 6, 4)


def test_the_follow_up_task_shows_in_the_owners_task_list(owner):
    from customers.selectors import open_tasks_for

    invitation = InvitationFactory(customer__owner=owner)
    services.response_submit(invitation=invitation, score=0, now=NOW)
    assert [t.customer for t in open_tasks_for(user=owner)] == [invitation.customer]


def test_answers_after_closing_are_refused(owner):
    invitation = InvitationFactory(customer__owner=owner, survey__status=Survey.Status.CLOSED)
    with pytest.raises(ValidationError):
        services.response_submit(invitation=invitation, score=9, now=NOW)


def test_score_outside_the_scale_is_refused(owner):
    invitation = InvitationFactory(customer__owner=owner, survey__kind=Survey.Kind.CSAT)
    for score in (0, 6):
        with pytest.raises(ValidationError):
            services.response_submit(invitation=invitation, score=score, now=NOW)


# --- Triggered CSAT --------------------------------------------------------------------


def paid_order(customer, paid_at, **fields):
    order = OrderFactory(customer=customer, ordered_on=dt.date(2026, 5, 1), total="0.00", **fields)
    order.history.update(history_date=paid_at)
    return order


@pytest.fixture
def triggered(admin_user):
    return SurveyFactory(
        kind=Survey.Kind.CSAT,
        trigger_days_after_paid=7,
        sent_by=admin_user,
        started_at=NOW - 30 * DAY,
    )


def test_triggered_csat_invites_once_per_order_paid_n_days_ago(triggered, owner):
    customer = CustomerFactory(owner=owner)
    due = paid_order(customer, NOW - 7 * DAY)
    paid_order(CustomerFactory(owner=owner), NOW - 20 * DAY)  # too old for the catch-up
    paid_order(CustomerFactory(owner=owner), NOW - 2 * DAY)  # not yet
    paid_order(CustomerFactory(owner=owner), NOW - 7 * DAY, status=Order.Status.CANCELLED)

    assert services.triggered_invitations_create(now=NOW) == [triggered.pk]
    assert services.triggered_invitations_create(now=NOW) == []

    invitation = triggered.invitations.get()
    assert (invitation.order, invitation.customer, invitation.state) == (
        due,
        customer,
        Invitation.State.PENDING,
    )


def test_triggered_uses_the_day_the_order_first_became_paid(triggered, owner):
    order = OrderFactory(
        customer=CustomerFactory(owner=owner),
        ordered_on=dt.date(2026, 5, 1),
        total="0.00",
        status=Order.Status.PLACED,
    )
    order.history.update(history_date=NOW - 40 * DAY)
    order.status = Order.Status.PAID
    order.save()
    order.history.filter(status=Order.Status.PAID).update(history_date=NOW - 7 * DAY)
    assert services.triggered_invitations_create(now=NOW) == [triggered.pk]

    # Paid long ago, edited since: the later "paid" record does not count.
    old = paid_order(CustomerFactory(owner=owner), NOW - 60 * DAY)
    old.note = "edited"
    old.save()
    old.history.filter(note="edited").update(history_date=NOW - 7 * DAY)
    assert triggered.invitations.filter(order=old).count() == 0
    services.triggered_invitations_create(now=NOW)
    assert triggered.invitations.filter(order=old).count() == 0


def test_triggered_respects_exclusions_and_audience(triggered, owner):
    paid_order(CustomerFactory(owner=owner, marketing_opt_out=True), NOW - 7 * DAY)
    paid_order(CustomerFactory(owner=owner, status=Customer.Status.LEAD), NOW - 7 * DAY)
    recent = CustomerFactory(owner=owner)
    InvitationFactory(customer=recent, sent_at=NOW - 10 * DAY)
    paid_order(recent, NOW - 7 * DAY)
    twice = CustomerFactory(owner=owner)
    paid_order(twice, NOW - 7 * DAY)
    paid_order(twice, NOW - 7 * DAY)

    services.triggered_invitations_create(now=NOW)

    assert list(triggered.invitations.values_list("customer", flat=True)) == [twice.pk]


def test_triggered_sweep_sends_the_new_invitations(triggered, owner):
    from django.core import mail

    from surveys import tasks

    paid_order(CustomerFactory(owner=owner, email="paid@example.com"), NOW - 7 * DAY)
    services.triggered_invitations_create(now=NOW)
    tasks.sweep.apply().get()
    assert [m.to for m in mail.outbox] == [["paid@example.com"]]
    triggered.refresh_from_db()
    assert triggered.status == Survey.Status.OPEN


# --- Merge -----------------------------------------------------------------------------


def test_merge_moves_invitations_and_answers_to_the_survivor(owner):
    survivor = CustomerFactory(owner=owner)
    duplicate = CustomerFactory(owner=owner)
    survey = SurveyFactory()
    ResponseFactory(invitation=InvitationFactory(survey=survey, customer=survivor), score=10)
    ResponseFactory(invitation=InvitationFactory(survey=survey, customer=duplicate), score=2)
    InvitationFactory(customer=duplicate)

    customer_services.customer_merge(user=owner, survivor=survivor, duplicate=duplicate)

    assert survivor.survey_invitations.count() == 3
    assert sorted(
        Response.objects.filter(invitation__customer=survivor).values_list("score", flat=True)
    ) == [2, 10]
