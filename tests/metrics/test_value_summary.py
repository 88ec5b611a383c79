"""The value where the rep works: the value summary and quick actions on a customer's
Overview, and "recalculating…" on the Overview and the Value tab until a pending
recalculation has rewritten the score (then htmx's polling stops and the figures reload)."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from core.formatting import format_money
from metrics import services
from metrics.models import CustomerScore, DirtyCustomer, ScoreSnapshot
from metrics.selectors_customer import score_version
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, big_spender, population
from tests.orders.factories import OrderFactory

HTMX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
LOGIN_URL = "/accounts/login/"


def _url(name, customer):
    return reverse(f"metrics:{name}", args=[customer.pk])


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _scored(owner, *, value_score=86.6, history=((45, 80.2), (10, 84.0)), **fields):
    """A customer with a stored score as of AS_OF and snapshots ``(days before, score)``,
    with nothing pending (making the customer marked it for recalculation)."""
    customer = CustomerFactory(owner=owner, name="Acme Corp", phone="+1 555 0100")
    CustomerScore.objects.create(
        customer=customer,
        as_of=AS_OF,
        model_version="test",
        value_score=value_score,
        tier="A",
        segment="champions",
        churn_risk=0.234,
        clv_method=CustomerScore.ClvMethod.PREDICTIVE,
        predicted_clv=Decimal("12345.60"),
        simple_clv=Decimal("9000.00"),
        revenue=Decimal("20000.00"),
        profit_contribution=Decimal("8000.00"),
        pct_historical=94.0,
        pct_future=90.0,
        pct_loyalty=50.0,
        **fields,
    )
    for days, score in history:
        ScoreSnapshot.objects.create(
            customer=customer, as_of=AS_OF - dt.timedelta(days=days), value_score=score
        )
    DirtyCustomer.objects.all().delete()
    return customer


def _poll_url(response):
    return response.context["poll_url"]


# --- The Overview -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_the_overview_loads_the_value_summary_and_offers_quick_actions(
    request, client_for, owner, who
):
    customer = CustomerFactory(owner=owner)

    html = _text(client_for(request.getfixturevalue(who)).get(customer.get_absolute_url()))

    # htmx swaps the summary in; without JavaScript the card links to the Value tab.
    assert (
        f'id="value-summary" class="card value-summary" aria-labelledby="value-summary-title" '
        f'hx-get="{_url("customer_summary", customer)}" hx-trigger="load" hx-swap="outerHTML"'
    ) in html
    assert f'href="{_url("customer_value", customer)}"' in html
    activities = reverse("customers:activities", args=[customer.pk])
    assert f'href="{activities}?kind=call#log-activity">Log a call</a>' in html
    new_order = f"{reverse('orders:create')}?customer={customer.pk}"
    assert f'href="{new_order}">New order</a>' in html


def test_the_new_order_quick_action_opens_the_form_for_that_customer(client_for, owner):
    customer = CustomerFactory(owner=owner, name="Acme Corp")

    response = client_for(owner).get(reverse("orders:create"), {"customer": customer.pk})

    assert response.context["form"].initial["customer"] == customer


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(None, "login"), ("outsider", 403), ("teammate", 404), ("owner", 200), ("manager", 200)],
)
def test_summary_permissions(request, client_for, owner, persona, expected):
    customer = _scored(owner)
    user = request.getfixturevalue(persona) if persona else None

    response = client_for(user).get(_url("customer_summary", customer), headers=HTMX)

    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(LOGIN_URL)
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("headers", [{}, RESTORE], ids=["plain", "history-restore"])
def test_the_summary_without_htmx_is_the_value_tab(client_for, owner, headers):
    customer = _scored(owner)

    response = client_for(owner).get(_url("customer_summary", customer), headers=headers)

    assert response.status_code == 302
    assert response.url == _url("customer_value", customer)
    assert "HX-Request" in response["Vary"]


def test_summary_shows_score_tier_trend_churn_clv_and_why(
    client_for, owner, django_assert_num_queries
):
    customer = _scored(owner)
    client = client_for(owner)

    # Session, user, their permissions and role (1, core.auth); customer, score, pending
    # mark, the latest run's parameters, the snapshot a month back.
    with django_assert_num_queries(8):
        response = client.get(_url("customer_summary", customer), headers=HTMX)

    html = _text(response)
    assert "<html" not in html
    assert 'id="value-summary"' in html
    assert 'hx-trigger="score-updated from:body"' in html
    assert '<strong class="big">87</strong>' in html
    assert "Tier A" in html
    # 87 against 80 (2026-09-17, the latest snapshot at least 30 days before 2026-11-01).
    assert "▲ 7 points since 2026-09-17" in html
    assert "23%" in html
    assert "Predicted CLV" in html
    # With its currency, as every amount the app shows.
    assert " ".join(format_money(Decimal("12345.60")).split()) in html
    headline = response.context["explanation"].headline
    assert headline.startswith("87: profit contribution at percentile 94")
    assert headline in html
    # The same sentence as on the Value tab.
    assert headline in _text(client.get(_url("customer_value", customer)))
    assert "Recalculating" not in html


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (((40, 90.4),), "▼ 3 points since 2026-09-22"),
        (((31, 86.5),), "unchanged since 2026-10-01"),
        (((60, 85.5), (20, 10.0)), "▲ 1 point since 2026-09-02"),
        (((29, 50.0),), "no score a month back"),
        ((), "no score a month back"),
    ],
)
def test_summary_trend_since_last_month(client_for, owner, history, expected):
    customer = _scored(owner, history=history)

    html = _text(client_for(owner).get(_url("customer_summary", customer), headers=HTMX))

    assert expected in html


def test_summary_names_the_simple_clv_when_the_models_were_not_fitted(client_for, owner):
    customer = _scored(owner)
    CustomerScore.objects.filter(customer=customer).update(
        clv_method=CustomerScore.ClvMethod.SIMPLE, predicted_clv=None
    )

    html = _text(client_for(owner).get(_url("customer_summary", customer), headers=HTMX))

    assert "Simple CLV" in html
    assert " ".join(format_money(Decimal("9000.00")).split()) in html
    assert "Predicted CLV" not in html


def test_summary_without_a_score(client_for, owner):
    customer = CustomerFactory(owner=owner)
    DirtyCustomer.objects.all().delete()

    html = _text(client_for(owner).get(_url("customer_summary", customer), headers=HTMX))

    assert "No value score yet" in html
    assert "Recalculating" not in html


# --- Recalculating… ---------------------------------------------------------------------


@pytest.mark.parametrize("page", ["customer_summary", "customer_value"])
def test_a_pending_recalculation_shows_and_polls(client_for, owner, page):
    customer = _scored(owner)
    DirtyCustomer.objects.create(customer_id=customer.pk)

    response = client_for(owner).get(_url(page, customer), headers=HTMX)

    html = _text(response)
    assert "Recalculating… The figures below are from before the latest change." in html
    poll = _poll_url(response)
    assert f'hx-get="{poll.replace("&", "&amp;")}" hx-trigger="every 2s"' in html
    query = parse_qs(urlsplit(poll).query)
    assert query["since"] == [score_version(customer.pk)]
    deadline = int(query["until"][0]) - timezone.now().timestamp()
    assert 50 < deadline <= 60


def test_the_value_tab_reloads_its_figures_alone(client_for, owner):
    customer = _scored(owner)

    html = _text(client_for(owner).get(_url("customer_value", customer), headers=HTMX))

    assert "<html" not in html
    assert html.lstrip().startswith('<div id="value-body"')
    assert 'hx-trigger="score-updated from:body"' in html
    assert "Why this score" in html
    assert "What if?" not in html


def _poll(client, customer, *, since=None, until=None):
    until = int(timezone.now().timestamp()) + 3600 if until is None else until
    since = score_version(customer.pk) if since is None else since
    return client.get(
        _url("customer_recalc_status", customer), {"since": since, "until": until}, headers=HTMX
    )


def test_the_poll_waits_quietly_while_the_recalculation_is_pending(
    client_for, owner, django_assert_num_queries
):
    customer = _scored(owner)
    DirtyCustomer.objects.create(customer_id=customer.pk)
    client = client_for(owner)
    since = score_version(customer.pk)

    # Session, user and their permissions (1, core.auth); customer, pending mark, score
    # version.
    with django_assert_num_queries(6):
        response = _poll(client, customer, since=since)

    assert response.status_code == 204
    assert response.content == b""
    assert "HX-Trigger" not in response


def test_the_poll_stops_and_reloads_the_figures_once_the_score_is_rewritten(client_for, owner):
    customer = _scored(owner)
    DirtyCustomer.objects.create(customer_id=customer.pk)
    since = score_version(customer.pk)
    CustomerScore.objects.filter(customer=customer).update(
        computed_at=timezone.now() + dt.timedelta(seconds=1)
    )

    response = _poll(client_for(owner), customer, since=since)

    assert response.status_code == 286  # htmx stops polling
    assert response["HX-Trigger"] == '{"score-updated": {}}'
    assert "showing the new figures" in response.content.decode()


def test_the_poll_stops_once_nothing_is_pending(client_for, owner):
    customer = _scored(owner)

    response = _poll(client_for(owner), customer)

    assert response.status_code == 286
    assert response["HX-Trigger"] == '{"score-updated": {}}'


def test_the_poll_gives_up_after_its_time_limit(client_for, owner):
    customer = _scored(owner)
    DirtyCustomer.objects.create(customer_id=customer.pk)

    response = _poll(client_for(owner), customer, until=int(timezone.now().timestamp()) - 1)

    assert response.status_code == 286
    assert "HX-Trigger" not in response
    assert "Still recalculating: reload the page later" in response.content.decode()


@pytest.mark.parametrize("until", ["", "soon", "1.5"])
def test_a_poll_with_a_bad_time_limit_is_refused(client_for, owner, until):
    customer = _scored(owner)

    response = _poll(client_for(owner), customer, until=until)

    assert response.status_code == 400
    assert "until" in response.content.decode()


def test_the_poll_is_scoped_and_without_htmx_is_the_value_tab(client_for, owner, teammate):
    customer = _scored(owner)
    url = _url("customer_recalc_status", customer)

    assert client_for(teammate).get(url, {"until": 0}, headers=HTMX).status_code == 404
    response = client_for(owner).get(url)
    assert response.status_code == 302
    assert response.url == _url("customer_value", customer)


def test_saving_an_order_shows_recalculating_until_the_new_score_is_in(client_for, owner):
    """The whole path on a scored population: an order marks the customer, the pages say
    "recalculating…" and poll; the worker's incremental recalculation (run here as the task
    does, as of AS_OF) rewrites the score; the poll then stops and the figures reload."""
    population(8, seed=3)
    customer = big_spender(owner)
    services.full_run_sync(as_of=AS_OF)
    before = CustomerScore.objects.get(customer=customer)
    client = client_for(owner)

    OrderFactory(customer=customer, ordered_on=AS_OF, total="6000.00")

    for page in ("customer_value", "customer_summary"):
        response = client.get(_url(page, customer), headers=HTMX)
        assert "Recalculating…" in response.content.decode()
    poll = _poll_url(response)
    assert client.get(poll, headers=HTMX).status_code == 204

    assert services.dirty_recalculate(as_of=AS_OF) >= 1

    response = client.get(poll, headers=HTMX)
    assert response.status_code == 286
    assert response["HX-Trigger"] == '{"score-updated": {}}'
    reloaded = client.get(_url("customer_value", customer), headers=HTMX)
    after = reloaded.context["score"]
    assert after.orders_count == before.orders_count + 1
    assert after.computed_at > before.computed_at
    assert "Recalculating" not in reloaded.content.decode()
    summary = client.get(_url("customer_summary", customer), headers=HTMX)
    assert f'<strong class="big">{summary.context["explanation"].score}</strong>' in (
        summary.content.decode()
    )
    assert "Recalculating" not in summary.content.decode()
