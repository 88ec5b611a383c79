"""Reads of what users chose for themselves (their profile)."""

from collections.abc import Iterable

from core.types import User

from .models import Profile


def profile_language(*, user: User) -> str:
    """The language ``user`` chose, or "" (their browser decides). One query."""
    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""


def users_languages(user_ids: Iterable[int]) -> dict[int, str]:
    """{user id: language} of those who chose one; registered as
    ``core.languages.users_languages`` (crm.apps), for the apps' emails to users."""
    return dict(
        Profile.objects.filter(user_id__in=list(user_ids))
        .exclude(language="")
        .values_list("user_id", "language")
    )
