"""Response links: a random per-invitation token, signed with a timestamp.

The random token (stored, unique) says *which* invitation; the signature proves the link
came from us and was not edited; the timestamp makes it expire. A link is signed afresh for
each email, so a reminder's link lives as long as the first one did.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "surveys.invitation"


class InvalidLink(Exception):
    """The link was tampered with or is not one of ours."""


class ExpiredLink(Exception):
    """The link is genuine but older than SURVEY_TOKEN_MAX_AGE_DAYS."""


def new_token():
    return secrets.token_urlsafe(32)


def _signer():
    return signing.TimestampSigner(salt=SALT)


def sign(token):
    return _signer().sign(token)


def unsign(signed, *, check_age=True):
    """The invitation token inside ``signed``. Unsubscribing works with an old link too,
    so it passes ``check_age=False``."""
    max_age = timedelta(days=settings.SURVEY_TOKEN_MAX_AGE_DAYS) if check_age else None
    try:
        return _signer().unsign(signed, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredLink from exc
    except signing.BadSignature as exc:
        raise InvalidLink from exc
    except ValueError as exc:
        # Genuinely signed but without a timestamp (or with one that is not base 62):
        # TimestampSigner fails unpacking it rather than with BadSignature.
        raise InvalidLink from exc
