"""The audience preview counts every reason in one pass over the audience (issue 14: an
audience of every customer is the whole table at a million customers)."""

import datetime as dt

from surveys import selectors
from surveys.models import Invitation
from tests.factories import CustomerFactory
from tests.surveys.factories import NOW, InvitationFactory

DAY = dt.timedelta(days=1)


def test_preview_is_one_query_for_the_counts_and_one_for_the_sample(
    admin_user, owner, settings, django_assert_num_queries
):
    settings.SURVEY_RESURVEY_DAYS = 30
    CustomerFactory.create_batch(3, owner=owner)
    CustomerFactory.create_batch(2, owner=owner, marketing_opt_out=True)
    CustomerFactory(owner=owner, email="")
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=NOW - 5 * DAY)
    InvitationFactory(
        customer=CustomerFactory(owner=owner), state=Invitation.State.PENDING, sent_at=None
    )
    InvitationFactory(customer=CustomerFactory(owner=owner), sent_at=NOW - 40 * DAY)
    criteria = {"mode": "filters", "status": "active"}
    selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW)  # permissions

    with django_assert_num_queries(2):
        preview = selectors.audience_preview(user=admin_user, criteria=criteria, now=NOW)

    assert (
        preview.matched,
        preview.eligible,
        preview.opted_out,
        preview.no_email,
        preview.recently_surveyed,
    ) == (9, 4, 2, 1, 2)
    assert len(preview.sample) == 4
