import datetime as dt
import re
import time

import pytest

from surveys import tasks
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory, UserFactory
from tests.surveys.factories import SurveyFactory


@pytest.fixture
def small_batches(monkeypatch):
    """The worker process reads its settings from the environment: two emails a batch, so
    the survey needs several chained tasks."""
    monkeypatch.setenv("SURVEY_SEND_BATCH_SIZE", "2")


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_small_survey_goes_out_through_a_real_worker(small_batches, live_worker):
    sender = UserFactory(username="sender", is_superuser=True)
    emails = [f"buyer{i}@example.com" for i in range(5)]
    for email in emails:
        CustomerFactory(owner=sender, email=email)
    survey = SurveyFactory(
        status=Survey.Status.SCHEDULED,
        scheduled_for=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        sent_by=sender,
        email_subject="Worker test",
    )

    tasks.start_survey.delay(survey.pk)

    deadline = time.monotonic() + 60
    while Survey.objects.get(pk=survey.pk).status != Survey.Status.OPEN:
        assert time.monotonic() < deadline, "the worker did not finish sending"
        time.sleep(0.2)
    assert set(survey.invitations.values_list("state", flat=True)) == {Invitation.State.SENT}
    sent = "".join(path.read_text() for path in live_worker.iterdir())
    assert sent.count("Subject: Worker test") == 5
    assert sorted(re.findall(r"^To: (\S+)$", sent, flags=re.MULTILINE)) == emails

    # A duplicate delivery of the first task sends nothing more.
    tasks.start_survey.delay(survey.pk).get(timeout=60)
    tasks.send_invitations.delay(survey.pk).get(timeout=60)
    again = "".join(path.read_text() for path in live_worker.iterdir())
    assert again.count("Subject: Worker test") == 5
