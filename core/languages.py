"""The languages the CRM speaks (``settings.LANGUAGES``), for its users and its customers.

A customer's preferred language is a field of the customer (``Customer.language``); a
user's is on their profile, in the project package (``crm.models.Profile``). The apps below
the project ask for users' languages through ``users_languages`` here, which the project
registers when it starts (``crm.apps``): a registry, so that no app imports ``crm``.
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import translation

UsersLanguages = Callable[[Iterable[int]], dict[int, str]]

_users_languages: UsersLanguages | None = None


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported_language(value: str) -> str | None:
    """The code in ``settings.LANGUAGES`` that ``value`` names, or None.

    Accepted: a code in any case, with "-" or "_" ("zh-Hans", "zh_hans"); a regional code
    Django maps onto one of ours ("zh-CN" is "zh-hans", "en-GB" is "en"); the language's
    name in English, in itself or in the active language ("Simplified Chinese", "简体中文").
    A language we do not speak ("zh-Hant", "fr") is None, never a near neighbour.
    """
    text = value.strip()
    if not text:
        return None
    code = text.lower().replace("_", "-")
    codes = language_codes()
    if code in codes:
        return code
    try:
        variant = translation.get_supported_language_variant(code, strict=True)
    except LookupError:
        variant = None
    if variant and variant.lower() in codes:
        return variant.lower()
    lowered = text.casefold()
    for known, label in settings.LANGUAGES:
        info = translation.get_language_info(known)
        names = {str(label), info["name"], info["name_local"], info["name_translated"]}
        if lowered in {name.casefold() for name in names}:
            return known
    return None


def register_users_languages(lookup: UsersLanguages) -> None:
    """Called once by the project package at start-up with the profile lookup."""
    global _users_languages  # noqa: PLW0603 (a registry set once at start-up)
    _users_languages = lookup


def users_languages(user_ids: Iterable[int]) -> dict[int, str]:
    """{user id: language code} of those of ``user_ids`` who chose a language (one query);
    the others are left out: they read the site's default language (``LANGUAGE_CODE``)."""
    if _users_languages is None:
        return {}
    return _users_languages(user_ids)


def user_language(user_id: int) -> str:
    """The language to write to one user in: their choice, else the site's default."""
    return users_languages([user_id]).get(user_id) or settings.LANGUAGE_CODE
