"""The "score as of" setting: today (live, the default), the last order date, or a fixed
date, respected by every recalculation that is not given a date: the Metrics page, the
nightly task, the command and the incremental updates. Every "today" here is explicit (an
argument), or the setting makes the clock irrelevant (the log ends decades before it)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse

from metrics import services, tasks
from metrics.forms import MetricSettingsForm
from metrics.models import CustomerScore, MetricSettings, RecalcRun
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import OrderFactory

# A purchase log that ended long ago, as analysts import one (the CDNOW cohort's years).
LOG_END = dt.date(1998, 6, 30)
FIXED = dt.date(1998, 1, 31)
TODAY = dt.date(2026, 12, 1)
A_DAYS = [dt.date(1997, 1, 3), dt.date(1997, 6, 2), dt.date(1998, 2, 10), LOG_END]


@pytest.fixture
def log(db):
    """Three customers who bought in 1997 and 1998; the last purchase is on LOG_END."""
    owner = UserFactory()
    days = {
        "A": A_DAYS,
        "B": [dt.date(1997, 2, 1), dt.date(1997, 12, 24)],
        "C": [dt.date(1997, 3, 15)],
    }
    customers = {}
    for name, dates in days.items():
        customers[name] = CustomerFactory(owner=owner, name=name, external_id=name)
        for day in dates:
            OrderFactory(customer=customers[name], ordered_on=day, total="40.00")
    return customers


def _set(mode, day=None):
    settings = MetricSettings.load()
    settings.as_of_mode, settings.as_of_date = mode, day
    settings.save()


def _score(customer):
    return CustomerScore.objects.get(customer=customer)


# --- Which day ------------------------------------------------------------------------------


def test_live_is_the_default(db):
    assert MetricSettings.load().as_of_mode == MetricSettings.AsOf.LIVE
    assert services.scoring_as_of(today=TODAY) == TODAY


@pytest.mark.parametrize(
    ("mode", "day", "expected"),
    [
        (MetricSettings.AsOf.LIVE, None, TODAY),
        (MetricSettings.AsOf.LAST_ORDER, None, LOG_END),
        (MetricSettings.AsOf.FIXED, FIXED, FIXED),
        (MetricSettings.AsOf.LIVE, FIXED, TODAY),  # a date kept from before is not used
    ],
)
def test_the_day_follows_the_setting(log, mode, day, expected):
    _set(mode, day)
    assert services.scoring_as_of(today=TODAY) == expected


def test_the_last_order_date_counts_purchases_only_and_never_passes_today(log):
    _set(MetricSettings.AsOf.LAST_ORDER)
    for day, status in [(dt.date(1999, 1, 1), "draft"), (dt.date(1999, 2, 1), "cancelled")]:
        OrderFactory(customer=log["B"], ordered_on=day, status=status, total="9.00")
    assert services.scoring_as_of(today=TODAY) == LOG_END
    assert services.scoring_as_of(today=dt.date(1998, 3, 1)) == dt.date(1998, 3, 1)


def test_the_last_order_date_without_any_order_is_today(db):
    _set(MetricSettings.AsOf.LAST_ORDER)
    assert services.scoring_as_of(today=TODAY) == TODAY


# --- Full runs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "day", "expected"),
    [
        (MetricSettings.AsOf.LIVE, None, TODAY),
        (MetricSettings.AsOf.LAST_ORDER, None, LOG_END),
        (MetricSettings.AsOf.FIXED, FIXED, FIXED),
    ],
)
def test_a_full_run_scores_as_of_the_setting(
    log, mode, day, expected, django_capture_on_commit_callbacks
):
    _set(mode, day)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.recalc_request(trigger=RecalcRun.Trigger.USER, today=TODAY)
    run.refresh_from_db()
    assert (run.status, run.as_of) == (RecalcRun.Status.DONE, expected)
    assert set(CustomerScore.objects.values_list("as_of", flat=True)) == {expected}
    bought = [day for day in A_DAYS if day <= expected]
    a = _score(log["A"])
    assert (a.orders_count, a.recency_days) == (len(bought), (expected - bought[-1]).days)


def test_an_old_log_scored_as_of_its_last_order_is_not_all_churned(log):
    _set(MetricSettings.AsOf.LAST_ORDER)
    services.full_run_sync(as_of=services.scoring_as_of(today=TODAY))
    as_of_end = _score(log["A"]).churn_risk
    services.full_run_sync(as_of=TODAY)
    as_of_today = _score(log["A"]).churn_risk
    assert as_of_end < as_of_today


def test_the_nightly_task_respects_the_setting(log, django_capture_on_commit_callbacks):
    # The log ended in 1998: the last order date is the same whatever today is.
    _set(MetricSettings.AsOf.LAST_ORDER)
    with django_capture_on_commit_callbacks(execute=False):
        run_id = tasks.nightly_full_run()
    assert RecalcRun.objects.get(pk=run_id).as_of == LOG_END
    assert RecalcRun.objects.get(pk=run_id).trigger == RecalcRun.Trigger.SCHEDULE


def test_an_explicit_date_still_wins(log, django_capture_on_commit_callbacks):
    _set(MetricSettings.AsOf.FIXED, FIXED)
    with django_capture_on_commit_callbacks(execute=False):
        run_id = tasks.nightly_full_run(as_of="1997-12-31")
    assert RecalcRun.objects.get(pk=run_id).as_of == dt.date(1997, 12, 31)


def test_the_recalculate_button_respects_the_setting(
    log, client_for, manager, django_capture_on_commit_callbacks
):
    _set(MetricSettings.AsOf.FIXED, FIXED)
    client = client_for(manager)
    page = client.get(reverse("metrics:index")).content.decode()
    assert 'id="scoring-as-of"' in page
    assert "1998" in page.split('id="scoring-as-of"')[1].split("</p>")[0]
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("metrics:recalculate"))
    assert RecalcRun.objects.get().as_of == FIXED


def test_the_command_without_a_date_respects_the_setting(log):
    _set(MetricSettings.AsOf.LAST_ORDER)
    call_command("recalculate_metrics", stdout=io.StringIO())
    assert RecalcRun.objects.get().as_of == LOG_END
    assert _score(log["A"]).as_of == LOG_END


# --- Incremental updates --------------------------------------------------------------------


def test_incremental_updates_respect_the_setting(log, django_capture_on_commit_callbacks):
    _set(MetricSettings.AsOf.LAST_ORDER)
    services.full_run_sync(as_of=LOG_END)

    # A change queues the customer; the task that follows the commit scores as of the
    # last order date (independent of today's date: the log ended in 1998).
    with django_capture_on_commit_callbacks(execute=True):
        OrderFactory(customer=log["B"], ordered_on=dt.date(1998, 5, 1), total="15.00")
    b = _score(log["B"])
    assert (b.as_of, b.orders_count, b.recency_days) == (LOG_END, 3, 60)

    # Live: as of the given today.
    _set(MetricSettings.AsOf.LIVE)
    services.customers_mark_dirty(customer_ids=[log["C"].pk])
    assert services.dirty_recalculate(today=TODAY) == 1
    assert _score(log["C"]).as_of == TODAY

    # Fixed: as of that day; later orders do not count.
    _set(MetricSettings.AsOf.FIXED, FIXED)
    services.customers_mark_dirty(customer_ids=[log["A"].pk])
    assert services.dirty_recalculate(today=TODAY) == 1
    a = _score(log["A"])
    assert (a.as_of, a.orders_count) == (FIXED, 2)


def test_without_marks_the_sweep_reads_no_setting(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.dirty_recalculate() == 0


# --- Editing the setting --------------------------------------------------------------------


def _posted(**changes):
    """The settings form as the page posts it, with ``changes``."""
    fields = MetricSettingsForm._meta.fields
    data = model_to_dict(MetricSettings.load(), fields=fields)
    data.update(changes)
    return {k: "" if v is None else str(v) for k, v in data.items()}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"as_of_mode": "fixed", "as_of_date": ""}, "Give the date to score as of."),
        (
            {"as_of_mode": "fixed", "as_of_date": "9999-12-31"},
            "The as-of date cannot be in the future.",
        ),
        ({"as_of_mode": "fixed", "as_of_date": "1899-12-31"}, "greater than or equal to"),
        ({"as_of_mode": "someday"}, "Select a valid choice."),
    ],
)
def test_a_fixed_date_is_required_and_never_in_the_future(client_for, admin_user, changes, message):
    response = client_for(admin_user).post(reverse("metrics:settings"), _posted(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert MetricSettings.load().as_of_mode == MetricSettings.AsOf.LIVE
    assert not RecalcRun.objects.exists()


def test_saving_a_fixed_date_queues_a_run_as_of_it(
    log, client_for, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(admin_user).post(
            reverse("metrics:settings"),
            _posted(as_of_mode="fixed", as_of_date="1998-01-31"),
            follow=True,
        )
    assert response.status_code == 200
    settings = MetricSettings.load()
    assert (settings.as_of_mode, settings.as_of_date) == ("fixed", FIXED)
    assert RecalcRun.objects.get().as_of == FIXED


def test_the_page_shows_the_choice_and_a_post_without_it_keeps_it(client_for, admin_user):
    _set(MetricSettings.AsOf.LAST_ORDER)
    client = client_for(admin_user)
    page = client.get(reverse("metrics:index")).content.decode()
    assert 'name="as_of_mode" value="last_order"' in page
    assert "The last order date" in page
    data = _posted(weight_historical="0.35")
    del data["as_of_mode"]
    client.post(reverse("metrics:settings"), data)
    assert MetricSettings.load().as_of_mode == MetricSettings.AsOf.LAST_ORDER


def test_the_service_takes_an_explicit_today(log, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.metric_settings_update(user=admin_user, today=TODAY, discount_rate=Decimal("0.08"))
    assert RecalcRun.objects.get().as_of == TODAY


def test_the_methodology_page_says_which_day_scores_use(client_for, owner):
    _set(MetricSettings.AsOf.FIXED, FIXED)
    page = client_for(owner).get(reverse("metrics:methodology")).content.decode()
    item = page.split('id="as-of-setting"')[1].split("</li>")[0]
    assert "Currently: the fixed date" in item
    assert "1998" in item
