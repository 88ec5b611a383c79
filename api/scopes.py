"""What an API key may do when it is narrower than its user.

A key's ``scopes`` list is empty for a key with all its user's rights. Otherwise each entry
grants reading (``<resource>:read``) or reading and writing (``<resource>:write``) one
resource, and ``read`` grants reading everything. A request needs, for each model
permission its view asks (api.permissions), the scope of that permission's resource:
reading for a GET, writing for anything else. Scopes only ever narrow: the user's own
permissions are checked as well, so a key is never wider than the person it belongs to.
"""

from django.utils.translation import gettext_lazy as _

READ_ALL = "read"

# The resource a scope names, by the app whose permissions guard it.
RESOURCES = {
    "customers": "customers",
    "orders": "orders",
    "campaigns": "campaigns",
    "surveys": "surveys",
    "metrics": "scores",
    "api": "webhooks",
}

# One whole sentence per choice (they are shown in the key form, in the user's language).
CHOICES = [
    (READ_ALL, _("Read everything you can see")),
    ("customers:read", _("Read customers, contacts and activities")),
    ("customers:write", _("Read and change customers, contacts and activities")),
    ("orders:read", _("Read orders, products and customer costs")),
    ("orders:write", _("Read and change orders, products and customer costs")),
    ("campaigns:read", _("Read campaigns and their spend")),
    ("campaigns:write", _("Read and change campaigns and their spend")),
    ("surveys:read", _("Read surveys, invitations and responses")),
    ("surveys:write", _("Read and change surveys, invitations and responses")),
    ("scores:read", _("Read value scores, recalculations and model settings")),
    ("scores:write", _("Read scores, recalculate and change model settings")),
    ("webhooks:read", _("Read webhooks, their deliveries and events")),
    ("webhooks:write", _("Read and manage webhooks, deliveries and events")),
]
ALL_SCOPES = frozenset(value for value, _label in CHOICES)


def needed(permissions: tuple[str, ...], *, write: bool, resource: str | None = None) -> set[str]:
    """The scopes a narrowed key needs for a request that asks ``permissions`` (model
    permissions, ``app_label.codename``): reading or writing each permission's resource,
    or ``resource`` when the view names its own (scores are guarded by the customer's
    permission but are a resource of their own). A request that is not a GET or HEAD writes,
    whatever permission guards it (starting a recalculation needs only to see the runs)."""
    kind = "write" if write else "read"
    if resource is not None:
        return {f"{resource}:{kind}"}
    return {f"{RESOURCES.get(p.split('.', 1)[0], p.split('.', 1)[0])}:{kind}" for p in permissions}


def _granted(scopes: set[str], scope: str) -> bool:
    resource, kind = scope.split(":")
    if scope in scopes or f"{resource}:write" in scopes:
        return True
    return kind == "read" and READ_ALL in scopes


def missing(scopes: list[str], needed_scopes: set[str]) -> list[str]:
    """What a key with ``scopes`` lacks of ``needed_scopes``; nothing when it has no scopes
    (a key with all its user's rights)."""
    if not scopes:
        return []
    granted = set(scopes)
    return sorted(scope for scope in needed_scopes if not _granted(granted, scope))
