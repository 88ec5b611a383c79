"""The same rules as the pages, in two layers.

1. What a user may do: Django model permissions (the roles in core/roles.py). Reading needs
   ``view_<model>``, creating ``add_``, changing ``change_``, deleting ``delete_``; a view's
   ``action_permissions`` names the permissions of its other actions. Missing: 403.
   A narrowed API key also needs the scopes of those permissions (api.scopes).
2. Which rows: every queryset starts from the app's ``*_visible_to(user)`` selector, so an
   object outside the user's scope (another rep's customer) is a 404, as on the pages.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import scopes
from .keys import ApiKey

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_permissions(view, method):
    """The permissions a request needs; None when nothing allows it."""
    explicit = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
    if explicit is not None:
        return tuple(explicit)
    model = getattr(view, "permission_model", None)
    if model is None or method not in METHOD_ACTIONS:
        return None
    return (f"{model._meta.app_label}.{METHOD_ACTIONS[method]}_{model._meta.model_name}",)


class ModelPermissions(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = required_permissions(view, request.method)
        if needed is None or not user.has_perms(needed):
            return False
        key = request.auth
        if isinstance(key, ApiKey) and key.scopes:
            lacking = scopes.missing(
                key.scopes,
                scopes.needed(
                    needed,
                    write=request.method not in SAFE_METHODS,
                    resource=getattr(view, "scope_resource", None),
                ),
            )
            if lacking:
                raise exceptions.PermissionDenied(
                    _("This API key cannot do this: it lacks the scope %(scopes)s.")
                    % {"scopes": ", ".join(lacking)}
                )
        return True


class SchemaAccess(BasePermission):
    """The OpenAPI schema and its Swagger UI page (``SERVE_PERMISSIONS``): anyone while
    ``settings.API_SCHEMA_PUBLIC`` is on (the default: the schema describes the API, never
    data), else signed-in users and API keys only. Read per request, so a test can switch it."""

    def has_permission(self, request, view):
        if settings.API_SCHEMA_PUBLIC:
            return True
        return bool(request.user and request.user.is_authenticated)
