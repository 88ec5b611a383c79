"""The three roles of the CRM, as Django groups with permissions.

Code asks permissions, not group names (``user.has_perm("customers.view_all_customers")``),
so a deployment can build its own roles in the admin. Owner scoping for reps lives in
``customers.selectors.customers_visible_to``.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .auth import group_names
from .types import AnyUser

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SALES_REP = "Sales rep"
SALES_MANAGER = "Sales manager"
ADMIN = "Admin"

ROLE_LABELS = {SALES_REP: _("Sales rep"), SALES_MANAGER: _("Sales manager"), ADMIN: _("Admin")}

_CRUD = ("view", "add", "change", "delete")

# Models a rep works on for the customers they own ("app_label.model").
REP_MODELS = [
    "customers.customer",
    "customers.contact",
    "customers.activity",
    "orders.order",
    "orders.orderline",
    "orders.customercost",
]
REP_EXTRA = [
    "customers.merge_customer",
    "orders.view_product",
    "orders.view_exchangerate",
    "campaigns.view_campaign",
    "campaigns.view_spendentry",
    # Survey results are scoped to the customers the user sees (surveys.selectors).
    "surveys.view_survey",
    "surveys.view_invitation",
    "surveys.view_response",
]
MANAGER_EXTRA = [
    "customers.view_all_customers",
    "customers.reassign_customer",
    # The metrics page: recalculation runs, model fits, settings (read-only).
    "metrics.view_recalcrun",
    "metrics.view_modelfit",
    "metrics.view_metricsettings",
]


def _crud(models: Iterable[str]) -> list[str]:
    return [f"{m.split('.')[0]}.{action}_{m.split('.')[1]}" for m in models for action in _CRUD]


def role_permission_names() -> dict[str, list[str] | None]:
    """{group name: list of "app_label.codename"}; None means every permission."""
    rep = _crud(REP_MODELS) + REP_EXTRA
    return {SALES_REP: rep, SALES_MANAGER: rep + MANAGER_EXTRA, ADMIN: None}


def _permissions(names: Iterable[str] | None) -> QuerySet[Permission]:
    if names is None:
        return Permission.objects.all()
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def sync_roles() -> None:
    """Create the role groups and give them exactly their permissions. Idempotent."""
    for group_name, names in role_permission_names().items():
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.set(_permissions(names))


def sync_role_permissions_on_migrate(sender: object, **kwargs: object) -> None:
    if Group.objects.filter(name__in=role_permission_names()).exists():
        sync_roles()


def user_role(user: AnyUser) -> "StrOrPromise":
    """The role label to show for a user (highest role wins)."""
    if user.is_superuser:
        return ROLE_LABELS[ADMIN]
    names = group_names(user)
    for group_name in (ADMIN, SALES_MANAGER, SALES_REP):
        if group_name in names:
            return ROLE_LABELS[group_name]
    return ""
