"""Writes of what users choose for themselves (their profile)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.languages import language_codes
from core.types import User

from .models import Profile


def profile_language_set(*, user: User, language: str) -> Profile:
    """Remember ``language`` (a code of settings.LANGUAGES, or "" for the browser's) as
    ``user``'s. Users set only their own profile: the caller passes ``request.user``."""
    if language and language not in language_codes():
        raise ValidationError(
            _("“%(language)s” is not a language of this site.") % {"language": language},
            code="invalid_language",
        )
    profile, _created = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile
