"""The score history is thinned: daily for 90 days, then weekly, then monthly (issue 14);
the same rows survive on SQLite and on PostgreSQL's weekly partitions."""

import datetime as dt
from itertools import groupby

import pytest
from django.db import connection

from metrics import history, retention
from metrics.models import ScoreSnapshot
from tests.factories import CustomerFactory

TODAY = dt.date(2026, 12, 6)
# Short windows keep the test's partitions few; the rule is the same at 90 and 365 days.
DAILY_DAYS, WEEKLY_DAYS = 21, 75
START = dt.date(2026, 6, 28)


@pytest.fixture(autouse=True)
def _windows(settings):
    settings.SCORE_HISTORY_DAILY_DAYS = DAILY_DAYS
    settings.SCORE_HISTORY_WEEKLY_DAYS = WEEKLY_DAYS


def _days(step=1, start=START, end=TODAY):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=step)


def _expected(days, today=TODAY):
    """Each week's last day once the week has aged DAILY_DAYS, each month's last of those
    once the month has aged WEEKLY_DAYS: the rule, written plainly."""
    weekly_before = today - dt.timedelta(days=DAILY_DAYS)
    monthly_before = today - dt.timedelta(days=WEEKLY_DAYS)
    kept = []
    for monday, group in groupby(sorted(days), key=lambda d: history.week_of(d)[0]):
        group = list(group)
        kept += [group[-1]] if monday + dt.timedelta(days=7) <= weekly_before else group
    result = []
    for first, group in groupby(kept, key=lambda d: d.replace(day=1)):
        group = list(group)
        after = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        result += [group[-1]] if after <= monthly_before else group
    return result


@pytest.fixture
def histories(db):
    daily, sparse = CustomerFactory(), CustomerFactory()
    rows = [ScoreSnapshot(customer=daily, as_of=d, value_score=50, tier="B") for d in _days()]
    # A customer scored only on Wednesdays (created later, say).
    wednesdays = list(_days(7, start=dt.date(2026, 7, 8)))
    rows += [ScoreSnapshot(customer=sparse, as_of=d, value_score=40, tier="C") for d in wednesdays]
    ScoreSnapshot.objects.bulk_create(rows)
    return (daily, list(_days())), (sparse, wednesdays)


def _dates(customer):
    return list(
        ScoreSnapshot.objects.filter(customer=customer)
        .order_by("as_of")
        .values_list("as_of", flat=True)
    )


def test_daily_then_weekly_then_monthly(histories):
    (daily, daily_days), (sparse, sparse_days) = histories
    done = retention.thin_history(today=TODAY)
    assert _dates(daily) == _expected(daily_days)
    assert _dates(sparse) == _expected(sparse_days)
    kept = set(_dates(daily))
    # The last weeks stay daily (from Monday 2026-11-09: its week is not yet 21 days old);
    # before, the week's Sunday; months 75 days old, the month's last of those Sundays.
    assert {dt.date(2026, 11, 9), dt.date(2026, 11, 10), dt.date(2026, 12, 6)} <= kept
    assert dt.date(2026, 11, 8) in kept
    assert dt.date(2026, 11, 7) not in kept
    assert dt.date(2026, 8, 30) in kept  # August's last Sunday
    assert dt.date(2026, 8, 23) not in kept
    assert dt.date(2026, 10, 25) in kept  # October is not 75 days old: weekly
    assert dt.date(2026, 10, 18) in kept
    assert len(kept) < len(daily_days) / 3
    assert done.rows_removed == len(daily_days) + len(sparse_days) - len(kept) - len(_dates(sparse))


def test_thinning_again_changes_nothing(histories):
    (daily, _daily_days), _sparse = histories
    retention.thin_history(today=TODAY)
    before = _dates(daily)
    again = retention.thin_history(today=TODAY)
    assert again.rows_removed == 0
    assert _dates(daily) == before


def test_a_week_later_thins_the_week_that_has_just_aged(histories):
    (daily, daily_days), _sparse = histories
    retention.thin_history(today=TODAY)
    later = TODAY + dt.timedelta(days=7)
    retention.thin_history(today=later)
    assert _dates(daily) == _expected(daily_days, today=later)


def test_the_value_tab_chart_reads_the_thinned_series(histories):
    (daily, _daily_days), _sparse = histories
    retention.thin_history(today=TODAY)
    from metrics.selectors_customer import score_history

    points = score_history(daily, today=TODAY)
    # A year back: the whole thinned series here, oldest first.
    assert [day for day, _value in points] == _dates(daily)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions on PostgreSQL")
def test_partitions_emptied_by_a_month_are_dropped_and_marked(histories):
    retention.thin_history(today=TODAY)
    with connection.cursor() as cursor:
        partitions = {p.name: p for p in retention._partitions(cursor)}
    # August keeps the partition of its last Sunday; its other weeks' are gone.
    for monday in (dt.date(2026, 8, 3), dt.date(2026, 8, 10), dt.date(2026, 8, 17)):
        assert history.partition_name(monday) not in partitions
    last = partitions[history.partition_name(dt.date(2026, 8, 30))]
    assert last.marks == {"week": True, "months": ["2026-08-01"]}
    # Every aged week was rewritten once; none inside the daily window was.
    weekly_before = TODAY - dt.timedelta(days=DAILY_DAYS)
    assert all(p.week_thinned == (p.end <= weekly_before) for p in partitions.values())
    # The swapped-in partitions keep the constraint: one row per customer and day.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE tablename = %s", [last.name])
        assert cursor.fetchone()[0] == 2


def test_the_nightly_task_takes_an_iso_date_and_refuses_anything_else(histories):
    from django.core.exceptions import ValidationError

    from metrics.tasks import thin_score_history

    with pytest.raises(ValidationError):
        thin_score_history.run(today="06/12/2026")
    first = thin_score_history.run(today=TODAY.isoformat())
    assert first["rows_removed"] > 0
    assert thin_score_history.run(today=TODAY.isoformat())["rows_removed"] == 0
