"""A signed-in user's permissions in one query instead of Django's two.

Django's ModelBackend reads a user's own permissions and their groups' permissions in two
queries, the first time a request asks ``user.has_perm``: every page and API request does
(issue 14, a fixed cost of each request). ``PermissionsBackend`` stands before it in
``AUTHENTICATION_BACKENDS`` and fills the same per-request cache on the user object
(``_perm_cache``) with one UNION query, so ModelBackend finds it filled and asks nothing.
Nothing is kept between requests: a permission taken away counts on the next request.
The same statement reads the names of the user's groups (``group_names``): every page shows
the user's role, which is a group.

It authenticates no one (``authenticate`` returns None): ModelBackend checks passwords, so
a sign-in and the sessions it made are unchanged. Like ModelBackend it loads a session's
user (``get_user``), for a session that names it (Django's test client's ``force_login``
names the first backend that can).
"""

import functools
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connections
from django.db.models import Q, QuerySet, Value

# No permission has an empty app label: the rows with one are group names.
_GROUP = ""
# Stands for the user's id in the statement compiled once (no user has a negative id).
_ANY_USER = -2_147_483_000


def _names(permissions: QuerySet[Permission]) -> QuerySet[Permission, tuple[str, str]]:
    return permissions.values_list("content_type__app_label", "codename").order_by()


@functools.cache
def _statement(alias: str) -> tuple[str, tuple[Any, ...]]:
    """The user's own permissions, their groups' and the groups' names in one statement,
    compiled once per process: the ORM took longer to compile the union than the database
    to answer it (about 1 ms of each request, issue 14).

    The permissions are read once, those whose id is among the user's or their groups'
    (subqueries of the link tables alone): PostgreSQL planned that in 0.16 ms and ran it in
    0.08, where the union of two joined reads of the permissions took 0.40 and 0.15, on
    every signed-in request."""
    user_permissions = Permission.user_set.through.objects.using(alias)
    group_permissions = Permission.group_set.through.objects.using(alias)
    user_groups = Group.user_set.through.objects.using(alias)
    theirs = group_permissions.filter(
        group_id__in=user_groups.filter(user_id=_ANY_USER).values("group_id")
    )
    permissions = Permission.objects.using(alias).filter(
        Q(pk__in=user_permissions.filter(user_id=_ANY_USER).values("permission_id"))
        | Q(pk__in=theirs.values("permission_id"))
    )
    groups = (
        Group.objects.using(alias)
        .filter(user=_ANY_USER)
        .values_list(Value(_GROUP), "name")
        .order_by()
    )
    union = _names(permissions).union(groups, all=True)
    sql, params = union.query.sql_with_params()
    return sql, params


def _rows(user_obj: Any) -> list[tuple[str, str]]:
    alias = Permission.objects.db
    sql, params = _statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [user_obj.pk if p == _ANY_USER else p for p in params])
        rows: list[tuple[str, str]] = cursor.fetchall()
    return rows


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
                rows = list(_names(Permission.objects.all()))
            else:
                rows = _rows(user_obj)
            user_obj._perm_cache = {
                f"{app_label}.{codename}" for app_label, codename in rows if app_label != _GROUP
            }
            user_obj._group_names = {name for app_label, name in rows if app_label == _GROUP}
        cached: set[str] = user_obj._perm_cache
        return cached


def group_names(user: Any) -> set[str]:
    """The names of the groups of a signed-in ``user``, read with their permissions."""
    user.get_all_permissions()
    names: set[str] | None = getattr(user, "_group_names", None)
    if names is None:  # a superuser, or another backend loaded the permissions
        names = set(user.groups.values_list("name", flat=True))
    return names
