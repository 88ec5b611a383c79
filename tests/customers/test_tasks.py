import datetime as dt

import pytest

from customers.tasks import send_task_reminders
from tests.factories import CustomerFactory, TaskFactory


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_reminders_go_through_a_real_worker_once(live_worker, owner):
    TaskFactory(customer=CustomerFactory(owner=owner), subject="Renewal call")

    first = send_task_reminders.apply_async(kwargs={"today": "2026-03-10"})
    assert first.get(timeout=60) == 1
    # A duplicate delivery of the same day's run sends nothing more.
    again = send_task_reminders.apply_async(kwargs={"today": "2026-03-10"})
    assert again.get(timeout=60) == 0

    sent = "".join(p.read_text() for p in live_worker.iterdir())
    assert sent.count("Subject: Your CRM tasks due by 2026-03-10") == 1
    assert "Renewal call" in sent
    assert owner.email in sent


def test_bad_date_argument_is_a_clear_error(db):
    with pytest.raises(ValueError, match="ISO date"):
        send_task_reminders.apply(kwargs={"today": "tomorrow"}).get()


def test_reminder_task_defaults_to_today(db, owner):
    TaskFactory(customer=CustomerFactory(owner=owner), due_on=dt.date(2000, 1, 1))
    assert send_task_reminders.apply().get() == 1
