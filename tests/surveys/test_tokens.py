"""A survey link signed with our key but without a timestamp (``Signer`` rather than
``TimestampSigner``) is not one of our links: 400, not a crash unpacking it."""

import pytest
from django.core import signing
from django.urls import reverse

from surveys import tokens
from tests.surveys.factories import InvitationFactory


def test_a_link_signed_without_a_timestamp_is_invalid():
    signed = signing.Signer(salt=tokens.SALT).sign("token")
    with pytest.raises(tokens.InvalidLink):
        tokens.unsign(signed)
    with pytest.raises(tokens.InvalidLink):
        tokens.unsign(signed, check_age=False)


@pytest.mark.parametrize(
    "page", ["surveys_public:respond", "surveys_public:thanks", "surveys_public:unsubscribe"]
)
def test_every_public_page_refuses_such_a_link_with_400(client, owner, page):
    invitation = InvitationFactory(customer__owner=owner, survey__closes_on=None)
    signed = signing.Signer(salt=tokens.SALT).sign(invitation.token)

    response = client.get(reverse(page, args=[signed]))

    assert response.status_code == 400
    assert b"This link is not valid" in response.content
