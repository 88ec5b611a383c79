"""What-if on the Value tab: each CLV under other assumptions or with one more order,
computed by the engine's own formulas, never saved."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from metrics import services, whatif
from metrics.models import CustomerScore, PopulationStats, ScoreSnapshot
from orders.models import Order
from tests.factories import CustomerFactory, persona
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory
from tests.shared import shared_rows

# The module shares rows built once (tests/shared.py): one worker runs all of it.
pytestmark = pytest.mark.xdist_group("whatif")

CENT = Decimal("0.01")


def value_url(customer):
    return reverse("metrics:customer_value", args=[customer.pk])


@pytest.fixture(scope="module", autouse=True)
def scored(django_db_setup, django_db_blocker):
    """Built once for the module (tests/shared.py): ``owner``'s customer with two orders at a
    40% margin among 30 customers, scored as of AS_OF (simple CLV). Yields its id."""

    def build():
        population(30, seed=4)
        customer = CustomerFactory(owner=persona("owner"), name="Acme Corp")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 1), total="1000.00")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 7, 1), total="1500.00")
        services.full_run_sync(as_of=AS_OF)
        return customer.pk

    yield from shared_rows(django_db_blocker, build)


@pytest.fixture
def customer(db, scored):
    return Customer.objects.get(pk=scored)


def _rows(response):
    return {row.key: row for row in response.context["whatif"].rows}


def _stats():
    return PopulationStats.objects.get().data


def ask(client, customer, **changes):
    return client.get(value_url(customer), {"whatif": "1", **changes})


def test_now_is_what_is_stored(client_for, owner, customer):
    score = CustomerScore.objects.get(customer=customer)

    rows = _rows(ask(client_for(owner), customer, discount_rate="0.1"))

    assert rows["simple"].now == score.simple_clv
    assert rows["retention"].now == score.retention_clv
    assert rows["predicted"].now is None
    assert rows["predicted"].then is None
    assert "not fitted" in rows["predicted"].note


def simple_clv(*, revenue, orders, first_order_on):
    """(AOV * F) * T - CAC as the spec computes it (no acquisition cost here), with F kept
    to four places."""
    churn = _stats()["annual_churn"]
    lifetime = min(1 / churn, 10) if churn else 10
    frequency = round(orders * 365 / max((AS_OF - first_order_on).days, 30), 4)
    return Decimal(repr(revenue / orders * frequency * lifetime)).quantize(CENT)


def test_a_hypothetical_order_raises_simple_clv_by_formula(client_for, owner, customer):
    response = ask(client_for(owner), customer, order_amount="500", order_date="2026-10-01")

    simple = _rows(response)["simple"]
    first = dt.date(2026, 3, 1)
    assert simple.now == simple_clv(revenue=2500, orders=2, first_order_on=first)
    assert simple.then == simple_clv(revenue=3000, orders=3, first_order_on=first)
    assert simple.then > simple.now
    shown = "With a hypothetical order of $500.00 on 2026-10-01"
    assert shown in response.content.decode()


def test_an_order_before_the_first_one_lengthens_the_span(client_for, owner, customer):
    earlier = dt.date(2025, 11, 1)

    response = ask(client_for(owner), customer, order_amount="500", order_date=earlier)

    assert _rows(response)["simple"].then == simple_clv(
        revenue=3000, orders=3, first_order_on=earlier
    )


def test_the_order_date_defaults_to_the_as_of_date(client_for, owner, customer):
    response = ask(client_for(owner), customer, order_amount="100")

    assert response.context["whatif"].order.order_date == AS_OF


def test_discount_rate_changes_retention_clv_by_formula(client_for, owner, customer):
    score = CustomerScore.objects.get(customer=customer)
    retention = 1 - _stats()["annual_churn"]
    # m r / (1 + d − r) at d = 0.10 gives the stored value; solve for m, apply d = 0.25.
    margin = float(score.retention_clv) * (1 + 0.10 - retention) / retention
    expected = Decimal(repr(margin * retention / (1 + 0.25 - retention))).quantize(CENT)

    rows = _rows(ask(client_for(owner), customer, discount_rate="0.25"))

    assert abs(rows["retention"].then - expected) <= CENT
    assert rows["retention"].then < rows["retention"].now
    assert rows["simple"].change == 0


def test_margin_scales_retention_clv(client_for, owner, customer):
    rows = _rows(ask(client_for(owner), customer, margin="0.6"))

    # The customer's own margin is 40%: 60% gives one and a half times the annual margin.
    assert abs(rows["retention"].then - rows["retention"].now * Decimal("1.5")) <= CENT


def test_what_if_writes_nothing(client_for, owner, customer):
    before = (Order.objects.count(), CustomerScore.objects.count(), ScoreSnapshot.objects.count())
    stored = CustomerScore.objects.get(customer=customer)
    client = client_for(owner)

    with CaptureQueriesContext(connection) as queries:
        response = ask(
            client,
            customer,
            margin="0.5",
            discount_rate="0.2",
            horizon_months="24",
            order_amount="800",
            order_date="2026-09-15",
        )

    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    after = (Order.objects.count(), CustomerScore.objects.count(), ScoreSnapshot.objects.count())
    assert after == before
    assert CustomerScore.objects.get(customer=customer).simple_clv == stored.simple_clv


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"margin": "1.5"}, "margin", "less than or equal to 1"),
        ({"margin": "-0.1"}, "margin", "greater than or equal to 0"),
        ({"discount_rate": "2"}, "discount_rate", "less than or equal to 1"),
        ({"horizon_months": "0"}, "horizon_months", "greater than or equal to 1"),
        ({"horizon_months": "241"}, "horizon_months", "less than or equal to 240"),
        ({"order_amount": "0"}, "order_amount", "more than 0"),
        ({"order_amount": "-5"}, "order_amount", "more than 0"),
        (
            {"order_amount": "10", "order_date": "2026-11-02"},
            "order_date",
            "cannot be after the as-of date (2026-11-01)",
        ),
        ({"order_date": "2026-10-01"}, "order_amount", "Give the hypothetical order"),
        ({"margin": "abc"}, "margin", "Enter a number"),
    ],
)
def test_invalid_changes_are_shown_inline(client_for, owner, customer, changes, field, message):
    response = ask(client_for(owner), customer, **changes)

    assert response.status_code == 200
    assert response.context["whatif"] is None
    errors = " ".join(response.context["whatif_form"].errors[field])
    assert message in errors
    assert 'role="alert"' in response.content.decode()


def test_nothing_changed_asks_for_a_change(client_for, owner, customer):
    response = ask(client_for(owner), customer)

    assert "Change at least one value to see its effect." in response.content.decode()


def test_htmx_gets_only_the_what_if(client_for, owner, customer):
    response = client_for(owner).get(
        value_url(customer), {"whatif": "1", "discount_rate": "0.2"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "<html" not in html
    assert "Why this score" not in html
    assert 'id="whatif"' in html
    assert "Retention CLV" in html


def test_the_form_works_without_javascript(client_for, owner, customer):
    html = client_for(owner).get(value_url(customer)).content.decode()

    url = value_url(customer)
    assert f'<form method="get" action="{url}" hx-get="{url}"' in html
    # Empty fields keep today's values, shown as placeholders.
    assert 'placeholder="0.1"' in html
    assert 'placeholder="36"' in html


def test_a_teammate_cannot_ask_about_my_customer(client_for, teammate, customer):
    assert ask(client_for(teammate), customer, margin="0.5").status_code == 404


def test_unit_what_if_reads_the_customer_as_the_engine_does(customer):
    score = CustomerScore.objects.get(customer=customer)

    result = whatif.what_if(
        customer_id=customer.pk,
        as_of=AS_OF,
        stats=_stats(),
        scenario=whatif.Scenario(order_amount=Decimal("100"), order_date=dt.date(2026, 7, 1)),
    )

    rows = {row.key: row for row in result.rows}
    assert rows["simple"].now == score.simple_clv
    assert rows["value_score"].now == round(Decimal(str(score.value_score)))  # whole points


def test_a_lead_sees_what_a_first_order_would_be_worth(client_for, owner, customer):
    lead = CustomerFactory(owner=owner, status="lead")
    services.customers_recalculate(customer_ids=[lead.pk], as_of=AS_OF)

    response = ask(client_for(owner), lead, order_amount="250", order_date="2026-10-01")

    simple = _rows(response)["simple"]
    assert simple.now is None
    assert simple.then == simple_clv(revenue=250, orders=1, first_order_on=dt.date(2026, 10, 1))
    assert "No orders yet, so no value score" in response.content.decode()


def test_the_value_score_reads_the_same_in_the_header_the_what_if_the_list_and_the_chart(
    client_for, owner, customer
):
    """One rounding everywhere: whole points, half up (97.7 is 98 on every page)."""
    stored = CustomerScore.objects.get(customer=customer).value_score
    assert stored != int(stored)  # a fractional score, or the test proves nothing
    shown = int(Decimal(repr(stored)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))

    response = ask(client_for(owner), customer, discount_rate="0.1")
    row = _rows(response)["value_score"]
    assert response.context["explanation"].score == shown  # the Value tab's header
    assert row.now == shown
    assert row.change == row.then - row.now
    html = response.content.decode()
    assert '<tr data-row="value_score">' in html
    value_row = html.split('<tr data-row="value_score">')[1].split("</tr>")[0]
    assert f'<td class="num">{shown}</td>' in value_row
    assert "." not in value_row.split("</th>")[1]  # no decimals in the score's cells
    assert response.context["chart"].table.rows[-1][1] == str(shown)

    listed = client_for(owner).get(reverse("customers:list"), {"search": "Acme"})
    assert re.search(rf'<td class="num"[^>]*>{shown}</td>', listed.content.decode())


@pytest.mark.parametrize(
    ("value", "shown"),
    [(97.7, 98), (97.5, 98), (62.5, 63), (2.675, 3), (0.49999999999999994, 0), (99.49, 99)],
)
def test_one_rounding_for_the_value_score(value, shown):
    from django.template.defaultfilters import floatformat

    from metrics.explain import whole
    from valuemodels.score import _round_half_up

    assert whole(value) == _round_half_up(value) == whatif._score(value) == shown
    assert floatformat(value, 0) == str(shown)  # the lists' cells
