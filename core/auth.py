"""A signed-in user's permissions in one query instead of Django's two.

Django's ModelBackend reads a user's own permissions and their groups' permissions in two
queries, the first time a request asks ``user.has_perm``: every page and API request does
(issue 14, a fixed cost of each request). ``PermissionsBackend`` stands before it in
``AUTHENTICATION_BACKENDS`` and fills the same per-request cache on the user object
(``_perm_cache``) with one UNION query, so ModelBackend finds it filled and asks nothing.
Nothing is kept between requests: a permission taken away counts on the next request.

It authenticates no one (``authenticate`` returns None): ModelBackend checks passwords, so
a sign-in and the sessions it made are unchanged. Like ModelBackend it loads a session's
user (``get_user``), for a session that names it (Django's test client's ``force_login``
names the first backend that can).
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet


def _names(permissions: QuerySet[Permission]) -> QuerySet[Permission, tuple[str, str]]:
    return permissions.values_list("content_type__app_label", "codename").order_by()


class PermissionsBackend(ModelBackend):
    def authenticate(
        self, request: Any, username: Any = None, password: Any = None, **kwargs: Any
    ) -> None:
        return None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = _names(Permission.objects.all())
            else:
                # The user's own permissions and their groups', in one statement.
                own = _names(Permission.objects.filter(user=user_obj))
                rows = own.union(_names(Permission.objects.filter(group__user=user_obj)))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        cached: set[str] = user_obj._perm_cache
        return cached
