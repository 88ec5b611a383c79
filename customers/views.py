"""Customer pages. Reads start from customers.selectors (the owner-scoping door), writes go
through customers.services; an htmx request gets only the fragment it swaps.

Flash messages are queued only before a full-page redirect: a swapped fragment is its own
feedback and shows no messages, so one queued then would pop up on some later page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from core.jump import JumpForm
from core.pagination import count_up_to, keyset_paginate, paginate
from core.web import (
    add_service_errors,
    permission_required,
    redirect_after,
    render_page,
    require_perms,
)
from valuemodels.labels import segment_choices

from . import selectors, services
from .forms import (
    JUMPS,
    KEPT_BY_JUMP,
    ActivityForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
)
from .models import Contact, Customer

SORT_COLUMNS = {
    "name": gettext_lazy("Name"),
    "created": gettext_lazy("Created"),
    "score": gettext_lazy("Score"),
    "churn": gettext_lazy("Churn risk"),
    "revenue": gettext_lazy("Revenue"),
}
CHURN_RISK_LABELS = {
    # xgettext:no-python-format
    "high": gettext_lazy("High (70% or more)"),
    "medium": gettext_lazy("Medium (30–70%)"),
    "low": gettext_lazy("Low (under 30%)"),
}
FILTER_NAMES = ("search", "owner", "status", "region", "tag", "tier", "segment", "churn_risk")

# Shown side by side on the merge confirmation, in this order.
MERGE_COMPARED_FIELDS = [
    "kind",
    "status",
    "owner",
    "email",
    "phone",
    "website",
    "industry",
    "region",
    "address",
    "external_id",
    "acquired_on",
    "acquisition_cost_override",
    "acquired_by_campaign",
    "referred_by",
    "language",
    "created_at",
]


# --- List -----------------------------------------------------------------------------


# A rep looks for the best scores, the highest risks and the newest customers first: the
# first click on these columns sorts them descending.
DESCENDING_FIRST = {"score", "churn", "created", "revenue"}


def _sort_columns(current):
    """Header links: a click sorts by the column, a second click reverses it. ``sort`` is
    the value the link puts in the current query string (``core.listing.sort_header``)."""
    columns = {}
    for key, label in SORT_COLUMNS.items():
        direction = {key: "asc", f"-{key}": "desc"}.get(current, "")
        if direction:
            sort = f"-{key}" if direction == "asc" else key
        else:
            sort = f"-{key}" if key in DESCENDING_FIRST else key
        columns[key] = {"label": label, "direction": direction, "sort": sort}
    return columns


@permission_required("customers.view_customer")
def customer_list(request):
    """The customer list, a keyset page at a time (core.pagination): the same cost on the
    first page and the 40,000th, whatever the sort and filters (issue 14)."""
    sees_all = selectors.can_see_all_customers(request.user)
    filters = CustomerFilterForm(request.GET).filters(can_filter_owner=sees_all)
    customers = selectors.customer_list(user=request.user, **filters)
    keyset = selectors.customer_list_keyset(user=request.user, filters=filters)
    # "Jump to" a name's start, a day or a figure instead of paging there; a value that is
    # none of these is a 400 with the field's error, above the list's first page.
    # A rep's list has no owner filter to keep.
    kept = [name for name in KEPT_BY_JUMP if sees_all or name != "owner"]
    jump = JumpForm(request.GET, jumps=JUMPS, keyset=keyset, form_id="customer-jump", kept=kept)
    valued = selectors.customer_list_valued(user=request.user, filters=filters)
    page = jump.paginate(
        customers.only(*selectors.LIST_ROW_FIELDS),
        cursor=request.GET.get("cursor"),
        valued=None if valued is None else valued.only(*selectors.LIST_ROW_FIELDS),
    )
    selectors.tags_attach(page.items)
    is_filtered = any(filters[name] for name in FILTER_NAMES)
    choices = selectors.filter_choices()
    context = {
        "page": page,
        "count": count_up_to(customers, page),
        "filters": filters,
        "sort": keyset.name,
        "jump": jump,
        "is_filtered": is_filtered,
        # A rep sees only their own customers: an owner column would repeat their name.
        "show_owner": sees_all,
        # Only asked when the page is empty: "no customers at all" or "none match".
        "has_customers": bool(page.items) or selectors.customers_visible_to(request.user).exists(),
        "columns": _sort_columns(keyset.name),
        "statuses": Customer.Status.choices,
        "regions": selectors.regions_in_use(request.user),
        "tags": choices.tags,
        "owners": choices.owners if sees_all else (),
        "tiers": selectors.TIERS,
        "segments": segment_choices(),
        "churn_risks": list(CHURN_RISK_LABELS.items()),
    }
    status = 400 if jump.errors else 200
    return render_page(
        request, "customers/customer_list.html", context, partial="results", status=status
    )


# --- Create and edit ------------------------------------------------------------------


def _save_customer(form, save):
    """Run ``save`` (a customer service) with the form's data; None when it refused."""
    try:
        with transaction.atomic():
            tags = services.tags_get_or_create(user=form.user, names=form.cleaned_data["tags"])
            return save(tags=tags, **form.service_fields())
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _customer_form_page(request, form, customer):
    context = {"form": form, "customer": customer}
    return render_page(request, "customers/customer_form.html", context, partial="form")


@permission_required("customers.add_customer")
def customer_create(request):
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        customer = _save_customer(
            form, lambda **fields: services.customer_create(user=request.user, **fields)
        )
        if customer is not None:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return redirect_after(request, customer.get_absolute_url())
    return _customer_form_page(request, form, None)


@permission_required("customers.change_customer")
def customer_edit(request, pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    # The form validates its own copy: the service must compare the new owner with the
    # stored one, which the form's validation has already overwritten on its instance.
    editable = selectors.customer_get(user=request.user, customer_id=pk)
    form = CustomerForm(request.POST or None, instance=editable, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save_customer(
            form,
            lambda **fields: services.customer_update(
                user=request.user, customer=customer, **fields
            ),
        )
        if saved is not None:
            messages.success(request, _("Customer “%(name)s” saved.") % {"name": saved.name})
            return redirect_after(request, saved.get_absolute_url())
    return _customer_form_page(request, form, customer)


# --- Detail tabs ----------------------------------------------------------------------


@permission_required("customers.view_customer")
def customer_detail(request, pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    referrer_visible = (
        customer.referred_by_id is not None
        and selectors.customers_visible_to(request.user).filter(pk=customer.referred_by_id).exists()
    )
    context = {
        "customer": customer,
        "active_tab": "overview",
        "referrer_visible": referrer_visible,
        "referrals": customer.referrals.count(),
        "primary_contact": selectors.primary_contact(customer),
        "latest_activities": selectors.activities_of(customer)[:5],
        "today": timezone.localdate(),
    }
    return render_page(request, "customers/customer_detail.html", context)


def _contacts_context(customer, form=None):
    return {
        "customer": customer,
        "active_tab": "contacts",
        "contacts": selectors.contacts_of(customer),
        "form": form or ContactForm(),
    }


@permission_required("customers.view_customer")
def customer_contacts(request, pk):
    """The Contacts tab; a POST adds a contact."""
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    form = None
    if request.method == "POST":
        require_perms(request.user, "customers.add_contact")
        form = ContactForm(request.POST, instance=Contact(customer=customer))
        if form.is_valid():
            contact = services.contact_save(user=request.user, contact=form.instance)
            if not request.htmx:
                messages.success(request, _("Contact “%(name)s” added.") % {"name": contact.name})
                return redirect("customers:contacts", pk=customer.pk)
            form = None
    context = _contacts_context(customer, form)
    return render_page(request, "customers/contacts.html", context, partial="contacts")


def _contacts_fragment(request, customer):
    """After an inline edit or delete, htmx redraws the whole contacts section: making
    one contact primary changes another's badge too."""
    response = render_page(request, "customers/contacts.html#contacts", _contacts_context(customer))
    return reswap(retarget(response, "#contacts"), "innerHTML")


@permission_required("customers.change_contact")
def contact_edit(request, pk, contact_pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    contact = selectors.contact_get(customer=customer, contact_id=contact_pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.contact_save(user=request.user, contact=form.instance)
        if request.htmx:
            return _contacts_fragment(request, customer)
        messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact.name})
        return redirect("customers:contacts", pk=customer.pk)
    context = {"customer": customer, "active_tab": "contacts", "contact": contact, "form": form}
    return render_page(request, "customers/contact_form.html", context, partial="contact_form")


@permission_required("customers.delete_contact")
def contact_delete(request, pk, contact_pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    contact = selectors.contact_get(customer=customer, contact_id=contact_pk)
    if request.method == "POST":
        services.contact_delete(user=request.user, contact=contact)
        if request.htmx:
            return _contacts_fragment(request, customer)
        messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.name})
        return redirect("customers:contacts", pk=customer.pk)
    context = {"customer": customer, "active_tab": "contacts", "contact": contact}
    return render_page(request, "customers/contact_confirm_delete.html", context, partial="confirm")


def _new_activity_form(request):
    """A blank activity form. ``?kind=call`` (the "Log a call" buttons) preselects that kind;
    a kind the form does not offer is ignored, leaving its default."""
    form = ActivityForm(user=request.user)
    kind = request.GET.get("kind", "")
    if kind in dict(form.fields["kind"].choices):
        form.initial["kind"] = kind
    return form


@permission_required("customers.view_customer")
def customer_activities(request, pk):
    """The Activities tab: the timeline, and a POST logs an activity or creates a task."""
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    form = _new_activity_form(request)
    if request.method == "POST":
        require_perms(request.user, "customers.add_activity")
        form = ActivityForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                activity = services.activity_create(
                    user=request.user, customer=customer, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(
                        request, _("“%(subject)s” logged.") % {"subject": activity.subject}
                    )
                    return redirect("customers:activities", pk=customer.pk)
                form = ActivityForm(user=request.user)
    context = {
        "customer": customer,
        "active_tab": "activities",
        "form": form,
        # Beside the form, so a rep logging a call has the numbers to dial.
        "phone_contacts": selectors.contacts_of(customer).exclude(phone=""),
        "page": paginate(selectors.activities_of(customer), request.GET.get("page")),
        "today": timezone.localdate(),
    }
    return render_page(request, "customers/activities.html", context, partial="activities")


@permission_required("customers.view_customer")
def customer_history(request, pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    page = paginate(selectors.customer_history(customer), request.GET.get("page"))
    context = {
        "customer": customer,
        "active_tab": "history",
        "page": page,
        "entries": selectors.history_entries(user=request.user, records=page.items),
    }
    return render_page(request, "customers/history.html", context, partial="history")


# --- Tasks ----------------------------------------------------------------------------


@permission_required("customers.view_activity")
def my_tasks(request):
    """The user's open tasks a keyset page at a time: a cursor not made here is page 1."""
    page = keyset_paginate(
        selectors.open_tasks_for(user=request.user),
        selectors.TASKS_ORDER,
        cursor=request.GET.get("cursor"),
    )
    context = {"page": page, "today": timezone.localdate()}
    return render_page(request, "customers/my_tasks.html", context, partial="tasks")


@permission_required("customers.change_activity")
@require_POST
def task_toggle(request, pk):
    """Mark a task done (``done=1``) or open again (``done=0``): the state is explicit, so
    a double click does not undo itself."""
    task = selectors.task_get(user=request.user, task_id=pk)
    services.task_set_done(user=request.user, task=task, done=request.POST.get("done") == "1")
    next_url = request.POST.get("next", "")
    if request.htmx:
        # next_url: the redrawn form must still lead back to the page, not to this URL.
        context = {"today": timezone.localdate(), "next_url": next_url}
        # The task table's rows and the timeline's items show a task differently.
        if request.htmx.target == f"task-{task.pk}":
            return render_page(
                request, "customers/partials/task_row.html", {**context, "task": task}
            )
        return render_page(
            request, "customers/partials/activity_item.html", {**context, "activity": task}
        )
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("customers:activities", args=[task.customer_id])
    return redirect(next_url)


# --- Delete and merge -----------------------------------------------------------------


@permission_required("customers.delete_customer")
def customer_delete(request, pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    # A customer with orders is archived, not deleted: the page says so, without a button.
    refusal = services.customer_delete_refusal(customer)
    if request.method == "POST" and refusal is None:
        try:
            services.customer_delete(user=request.user, customer=customer)
        except services.CustomerHasOrders as exc:  # an order arrived since the page
            refusal = exc.messages[0]
        else:
            messages.success(request, _("Customer “%(name)s” deleted.") % {"name": customer.name})
            return redirect("customers:list")
    context = {
        "customer": customer,
        "counts": selectors.customer_related_counts(customer),
        "refusal": refusal,
    }
    return render_page(request, "customers/customer_confirm_delete.html", context)


def _field_display(customer, name):
    value = getattr(customer, name)
    if value in (None, ""):
        return "—"
    field = Customer._meta.get_field(name)
    if field.choices:
        return getattr(customer, f"get_{name}_display")()
    if name == "owner":
        return value.get_full_name() or value.get_username()
    if name == "created_at":
        return timezone.localdate(value)
    return value


def _merge_rows(survivor, duplicate):
    copied = set(services.merge_fill_fields(survivor=survivor, duplicate=duplicate))
    if not survivor.external_id and duplicate.external_id:
        copied.add("external_id")
    return [
        {
            "label": Customer._meta.get_field(name).verbose_name.capitalize(),
            "survivor": _field_display(survivor, name),
            "duplicate": _field_display(duplicate, name),
            "copied": name in copied,
        }
        for name in MERGE_COMPARED_FIELDS
    ]


@permission_required("customers.merge_customer")
def customer_merge(request, pk):
    """Merge another customer into this one (the survivor): pick, confirm, merge."""
    survivor = selectors.customer_get(user=request.user, customer_id=pk)
    duplicate_id = request.POST.get("duplicate") or request.GET.get("duplicate")
    if not duplicate_id:
        search = request.GET.get("q", "")
        context = {
            "customer": survivor,
            "search": search,
            "candidates": selectors.merge_candidates(
                user=request.user, survivor=survivor, search=search
            ),
        }
        return render_page(request, "customers/customer_merge.html", context, partial="candidates")
    if not duplicate_id.isdigit():
        return redirect("customers:merge", pk=survivor.pk)
    duplicate = selectors.customer_get(user=request.user, customer_id=int(duplicate_id))
    if duplicate.pk == survivor.pk:
        messages.error(request, _("A customer cannot be merged into itself."))
        return redirect("customers:merge", pk=survivor.pk)
    if request.method == "POST":
        try:
            services.customer_merge(user=request.user, survivor=survivor, duplicate=duplicate)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("customers:merge", pk=survivor.pk)
        messages.success(
            request,
            _("“%(duplicate)s” was merged into “%(survivor)s”.")
            % {"duplicate": duplicate.name, "survivor": survivor.name},
        )
        return redirect(survivor)
    context = {
        "customer": survivor,
        "duplicate": duplicate,
        "rows": _merge_rows(survivor, duplicate),
        "moving": selectors.customer_related_counts(duplicate),
        "duplicate_tags": duplicate.tags.all(),
    }
    return render_page(request, "customers/customer_merge_confirm.html", context)
