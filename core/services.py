"""What every app's services share: the acting user's permission check, and the rule for
which fields a caller may set.

Every write service takes the acting ``user`` and checks that user's permission itself,
so a page, the API, an import, a task and a command all go through the same check; the
views keep their own checks only to answer 403 before a form is shown.

The system actor: ``user=None`` means the system, not a person. It is what a Celery task,
a management command run without ``--user`` and the app's own bookkeeping (the follow-up
task of an unhappy survey answer, an unsubscribe link) pass, and it may do anything. Only
tasks, commands and services may pass it: pages and the API always pass ``request.user``,
which is never None (an anonymous user has no permission at all), so no request can act
as the system.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .types import AnyUser

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
    from typing_extensions import TypeIs

# The acting user of tasks, commands and the app's own bookkeeping (see above).
SYSTEM = None


def is_system(user: AnyUser | None) -> "TypeIs[None]":
    return user is None


def require_permission(
    user: AnyUser | None, *permissions: str, message: "StrOrPromise | None" = None
) -> None:
    """PermissionDenied unless ``user`` has every one of ``permissions``
    ("app_label.codename"); the system (``user=None``) always may."""
    if is_system(user):
        return
    if not user.has_perms(permissions):
        raise PermissionDenied(message or _("You do not have permission to do this."))


def check_fields(fields: Iterable[str], allowed: Iterable[str], *, service: str) -> None:
    """TypeError for a field the service does not let its callers set, like a function
    given an unexpected keyword argument: a typo or a computed field (a status, a total,
    who created it) never silently becomes an attribute of the saved object."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TypeError(f"{service}() got unexpected field(s): {', '.join(unknown)}")
