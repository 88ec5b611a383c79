"""Reads of customer data. ``customers_visible_to`` is the single door: pages, exports and
the API all start from it, so a rep never sees another rep's customers anywhere."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Activity, Contact, Customer

SORTABLE_FIELDS = {
    "name": "name",
    "status": "status",
    "region": "region",
    "owner": "owner__username",
    "created": "created_at",
}


def can_see_all_customers(user):
    return user.has_perm("customers.view_all_customers")


def customers_visible_to(user):
    if not user.is_authenticated or not user.has_perm("customers.view_customer"):
        return Customer.objects.none()
    if can_see_all_customers(user):
        return Customer.objects.all()
    return Customer.objects.owned_by(user)


def customer_get(*, user, customer_id):
    """The customer, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(customers_visible_to(user), pk=customer_id)


def customer_list(*, user, search="", owner=None, status="", region="", tag="", sort="name"):
    qs = customers_visible_to(user).select_related("owner")
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
            | Q(external_id__iexact=search)
        )
    if owner:
        qs = qs.filter(owner_id=owner)
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region=region)
    if tag:
        qs = qs.filter(tags__name=tag)
    descending = sort.startswith("-")
    field = SORTABLE_FIELDS.get(sort.lstrip("-"), "name")
    prefix = "-" if descending else ""
    return qs.order_by(f"{prefix}{field}", f"{prefix}id")


def contacts_of(customer):
    return Contact.objects.filter(customer=customer)


def activities_of(customer):
    return Activity.objects.filter(customer=customer).select_related("author", "assignee")


def open_tasks_for(*, user):
    """The user's open tasks, on customers they can still see, soonest due first."""
    return (
        Activity.objects.open_tasks()
        .filter(assignee=user, customer__in=customers_visible_to(user))
        .select_related("customer")
        .order_by("due_on", "id")
    )


def assignable_users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


def regions_in_use(user):
    return (
        customers_visible_to(user)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )
