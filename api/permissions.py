"""The same rules as the pages, in two layers.

1. What a user may do: Django model permissions (the roles in core/roles.py). Reading needs
   ``view_<model>``, creating ``add_``, changing ``change_``, deleting ``delete_``; a view's
   ``action_permissions`` names the permissions of its other actions. Missing: 403.
2. Which rows: every queryset starts from the app's ``*_visible_to(user)`` selector, so an
   object outside the user's scope (another rep's customer) is a 404, as on the pages.
"""

from django.conf import settings
from rest_framework.permissions import BasePermission

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
        return needed is not None and user.has_perms(needed)


class SchemaAccess(BasePermission):
    """The OpenAPI schema and its Swagger UI page (``SERVE_PERMISSIONS``): anyone while
    ``settings.API_SCHEMA_PUBLIC`` is on (the default: the schema describes the API, never
    data), else signed-in users and API keys only. Read per request, so a test can switch it."""

    def has_permission(self, request, view):
        if settings.API_SCHEMA_PUBLIC:
            return True
        return bool(request.user and request.user.is_authenticated)
