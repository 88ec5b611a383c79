"""Order, product, exchange rate and customer cost pages. Thin: scoping comes from the
selectors (a customer or order the user may not see is a 404), writes from the services
(their ValidationErrors are shown on the form), and a missing permission is a 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.formatting import format_money
from core.jump import JumpForm
from core.pagination import count_up_to, paginate
from core.web import add_service_errors, has_perms, permission_required, render_page
from customers.selectors import (
    can_see_all_customers,
    customer_get,
    customer_list,
    customers_visible_to,
    filter_choices,
)

from . import selectors, services, totals
from .forms import (
    JUMPS,
    CustomerCostForm,
    ExchangeRateForm,
    OrderFilterForm,
    OrderForm,
    ProductForm,
    RefundForm,
    line_form,
    line_formset,
    posted_line_count,
    posted_rows,
)
from .models import ExchangeRate, Order, Product, base_currency
from .templatetags.orders_format import rate as rate_text

# Status changes that undo business: they ask "are you sure?" first.
CONFIRMED_STATUSES = {Order.Status.CANCELLED, Order.Status.REFUNDED}


def _int_or_404(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


# --- Orders ---------------------------------------------------------------------------


# Header links of the order list: (label, what the first click sorts by). The newest,
# the latest numbers and the biggest totals first; a second click reverses.
ORDER_SORT_COLUMNS = {
    "number": (gettext_lazy("Number"), "-number"),
    "date": (gettext_lazy("Date"), "-date"),
    # Sorted in the base currency, the one column comparable across currencies.
    "total": (gettext_lazy("Total (%(base_currency)s)"), "-total"),
}


def _order_sort_columns(current):
    columns = {}
    for key, (label, first) in ORDER_SORT_COLUMNS.items():
        if key == "total":
            label = label % {"base_currency": base_currency()}
        direction = {key: "asc", f"-{key}": "desc"}.get(current, "")
        sort = {"asc": f"-{key}", "desc": key}.get(direction, first)
        columns[key] = {"label": label, "direction": direction, "sort": sort}
    return columns


@permission_required("orders.view_order")
@require_GET
def order_list(request):
    sees_all = can_see_all_customers(request.user)
    form = OrderFilterForm(request.GET or None, show_owner=sees_all)
    filters = form.filters()
    orders = selectors.order_list(user=request.user, **filters)
    keyset = selectors.order_list_order(request.GET.get("sort", ""))
    # "Jump to" a date, a number's start or a total instead of paging there; a value that
    # is none of these is a 400 with the field's error, above the list's first page.
    jump = JumpForm(
        request.GET,
        jumps=JUMPS,
        keyset=keyset,
        form_id="order-jump",
        kept=form.fields,
        label_args={"currency": base_currency()},
    )
    # Ten million orders: keyset pages, so the last page costs what the first does.
    page = jump.paginate(orders, cursor=request.GET.get("cursor"))
    context = {
        "form": form,
        "page": page,
        "count": count_up_to(orders, page),
        "filtered": any(filters.values()),
        "base_currency": base_currency(),
        "sort": keyset.name,
        "columns": _order_sort_columns(keyset.name),
        "jump": jump,
        # The owner filter's choices from the cache, as the customer list's: the form's own
        # select read the users and went through Django's widget templates on every page.
        "owners": filter_choices().owners if sees_all else (),
        "owner": filters["owner"],
    }
    status = 400 if jump.errors else 200
    return render_page(request, "orders/order_list.html", context, partial="results", status=status)


def _form_context(*, form, formset, order=None, preview=None):
    return {
        "form": form,
        "formset": formset,
        "order": order,
        "preview": preview,
        "currencies": [base_currency(), *selectors.currencies_in_use()],
        "base_currency": base_currency(),
    }


def _preview(form, formset, order=None):
    """Totals of what is filled in so far; None until a currency, a date and a valid line."""
    form.is_valid()
    formset.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    lines = [line.line_data() for line in formset.forms if line.has_changed() and not line.errors]
    if not (lines and cleaned.get("currency") and cleaned.get("ordered_on")):
        return None
    return services.order_preview(
        currency=cleaned["currency"], ordered_on=cleaned["ordered_on"], lines=lines, order=order
    )


def _order_form_page(request, *, order=None):
    """The order entry form, shared by create and edit. Without JavaScript "Add line" and
    "Remove" submit the form, which comes back with one row more or less, unsaved."""
    customers = customers_visible_to(request.user)
    products = selectors.products_for_order(order)
    posted = request.POST
    if "add_line" in posted or "remove_line" in posted:
        form = OrderForm(initial=posted.dict(), customers=customers, order=order)
        formset = line_formset(
            products=products,
            rows=posted_rows(posted, without=posted.get("remove_line")),
            blank=1 if "add_line" in posted else 0,
        )
        context = _form_context(form=form, formset=formset, order=order)
        return render_page(request, "orders/order_form.html", context)

    if request.method == "POST":
        form = OrderForm(posted, customers=customers, order=order)
        formset = line_formset(posted, products=products)
        if form.is_valid() and formset.is_valid():
            fields = {**form.cleaned_data, "lines": formset.lines()}
            try:
                if order is None:
                    saved = services.order_create(user=request.user, **fields)
                else:
                    saved = services.order_update(user=request.user, order=order, **fields)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Order %(number)s saved.") % {"number": saved.number})
                return redirect(saved)
        preview = _preview(form, formset, order)
    elif order is None:
        initial = {"ordered_on": timezone.localdate()}
        if request.GET.get("customer"):
            initial["customer"] = customer_get(
                user=request.user, customer_id=_int_or_404(request.GET["customer"])
            )
        form = OrderForm(initial=initial, customers=customers)
        formset = line_formset(products=products)
        preview = None
    else:
        form = OrderForm(
            initial={
                "customer": order.customer,
                "number": order.number,
                "ordered_on": order.ordered_on,
                "currency": order.currency,
                "note": order.note,
            },
            customers=customers,
            order=order,
        )
        lines = list(selectors.lines_of(order))
        formset = line_formset(
            products=products,
            rows=[
                {
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "discount": line.discount,
                }
                for line in lines
            ],
            blank=1,
        )
        preview = services.order_preview(
            currency=order.currency,
            ordered_on=order.ordered_on,
            lines=[
                services.LineData(line.product, line.quantity, line.unit_price, line.discount)
                for line in lines
            ],
            order=order,
        )
    context = _form_context(form=form, formset=formset, order=order, preview=preview)
    return render_page(request, "orders/order_form.html", context)


@permission_required("orders.add_order")
@require_http_methods(["GET", "POST"])
def order_create(request):
    return _order_form_page(request)


@permission_required("orders.change_order")
@require_http_methods(["GET", "POST"])
def order_edit(request, pk):
    order = selectors.order_get(user=request.user, order_id=pk)
    if not services.can_edit(order):
        messages.error(
            request,
            _("A %(status)s order cannot be edited.") % {"status": order.get_status_display()},
        )
        return redirect(order)
    return _order_form_page(request, order=order)


def _require_order_entry(user):
    """The order form's helpers serve whoever may enter an order: a new one or an edit."""
    if not (has_perms(user, "orders.add_order") or has_perms(user, "orders.change_order")):
        raise PermissionDenied


@login_required
@require_POST
def order_preview(request, pk=None):
    """htmx: the totals box of the order form, recomputed from what is typed so far."""
    _require_order_entry(request.user)
    order = selectors.order_get(user=request.user, order_id=pk) if pk else None
    form = OrderForm(request.POST, customers=customers_visible_to(request.user), order=order)
    formset = line_formset(request.POST, products=selectors.products_for_order(order))
    context = {"preview": _preview(form, formset, order), "base_currency": base_currency()}
    return render_page(request, "orders/order_form.html#totals", context)


@login_required
@require_GET
def line_row(request):
    """htmx: one blank line row, numbered after the rows already on the page."""
    _require_order_entry(request.user)
    index = posted_line_count(request.GET)
    context = {
        "line": line_form(index, products=selectors.products_for_order()),
        "index": index,
        "total_forms": index + 1,
    }
    return render_page(request, "orders/order_form.html#new_line", context)


@login_required
@require_GET
def line_remove(request):
    """htmx: the row is swapped for this empty answer; the totals box then refreshes."""
    _require_order_entry(request.user)
    response = HttpResponse("")
    response["HX-Trigger"] = "lines-changed"
    return response


@login_required
@require_GET
def customer_suggest(request):
    """htmx: <option>s of the visible customers matching what is typed in the picker."""
    search = request.GET.get("customer", "")
    customers = customer_list(user=request.user, search=search)[:10] if search.strip() else []
    context = {"customers": customers}
    return render_page(request, "orders/order_form.html#customer_options", context)


@permission_required("orders.view_order")
@require_GET
def order_detail(request, pk):
    order = selectors.order_get(user=request.user, order_id=pk)
    user = request.user
    context = {
        "order": order,
        "lines": [(line, totals.line_total(line)) for line in selectors.lines_of(order)],
        "margin": totals.margin(order.total, order.cost_total),
        "margin_base": totals.margin(order.total_base, order.cost_base),
        "base_currency": base_currency(),
        "can_change": user.has_perm("orders.change_order"),
        "can_edit": user.has_perm("orders.change_order") and services.can_edit(order),
        "next_statuses": services.next_statuses(order),
        "confirmed_statuses": CONFIRMED_STATUSES,
        "refund_form": RefundForm() if order.status == Order.Status.PAID else None,
        "history": selectors.order_changes(order),
    }
    return render_page(request, "orders/order_detail.html", context)


@permission_required("orders.change_order")
@require_http_methods(["GET", "POST"])
def order_set_status(request, pk, status):
    """GET asks for confirmation; POST moves the order to ``status``."""
    order = selectors.order_get(user=request.user, order_id=pk)
    if status not in Order.Status.values:
        raise Http404
    label = Order.Status(status).label
    if request.method == "GET" and status not in services.next_statuses(order):
        messages.error(
            request,
            _("A %(old)s order cannot be marked as %(new)s.")
            % {"old": order.get_status_display(), "new": label},
        )
        return redirect(order)
    if request.method == "POST":
        try:
            services.order_set_status(user=request.user, order=order, status=status)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Order %(number)s is now %(status)s.")
                % {"number": order.number, "status": label},
            )
        return redirect(order)
    context = {
        "title": _("Mark order %(number)s as %(status)s?")
        % {"number": order.number, "status": label},
        "message": _("Cancelled and refunded orders can no longer be edited.")
        if status in CONFIRMED_STATUSES
        else "",
        "button": _("Yes, mark as %(status)s") % {"status": label},
        "danger": status in CONFIRMED_STATUSES,
        "cancel_url": order.get_absolute_url(),
    }
    return render_page(request, "orders/confirm.html", context)


@permission_required("orders.change_order")
@require_http_methods(["GET", "POST"])
def order_refund(request, pk):
    """GET with an amount asks for confirmation; POST refunds it."""
    order = selectors.order_get(user=request.user, order_id=pk)
    if order.status != Order.Status.PAID:
        messages.error(request, _("Only a paid order can be refunded."))
        return redirect(order)
    form = RefundForm(request.POST if request.method == "POST" else request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_refund(
                user=request.user, order=order, amount=form.cleaned_data["amount"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Refunded %(amount)s.")
                % {"amount": format_money(form.cleaned_data["amount"], order.currency)},
            )
            return redirect(order)
    context = {
        "order": order,
        "form": form,
        "confirm": request.method == "GET" and form.is_valid(),
        "left": order.total - order.refunded_total,
    }
    return render_page(request, "orders/refund.html", context)


# --- Customer tab: orders and costs ---------------------------------------------------


def _customer_orders_page(request, customer, cost_form=None):
    user = request.user
    if cost_form is None and user.has_perm("orders.add_customercost"):
        cost_form = CustomerCostForm(initial={"incurred_on": timezone.localdate()})
    context = {
        "customer": customer,
        "active_tab": "orders",
        "page": paginate(
            selectors.order_list(user=user, customer=customer), request.GET.get("page")
        ),
        "costs": paginate(selectors.costs_of(customer), request.GET.get("costs_page")),
        "cost_form": cost_form,
        "can_add_order": user.has_perm("orders.add_order"),
        "can_delete_cost": user.has_perm("orders.delete_customercost"),
        "base_currency": base_currency(),
        "currencies": [base_currency(), *selectors.currencies_in_use()],
    }
    # The orders pager swaps just the orders table; a cost form post is a full page.
    partial = "orders" if request.method == "GET" else None
    return render_page(request, "orders/customer_orders.html", context, partial=partial)


@permission_required("orders.view_order")
@require_GET
def customer_orders(request, customer_id):
    customer = customer_get(user=request.user, customer_id=customer_id)
    return _customer_orders_page(request, customer)


@permission_required("orders.add_customercost")
@require_http_methods(["GET", "POST"])
def cost_create(request, customer_id):
    customer = customer_get(user=request.user, customer_id=customer_id)
    if request.method == "GET":
        return redirect("orders:customer_orders", customer_id=customer.pk)
    form = CustomerCostForm(request.POST)
    if form.is_valid():
        try:
            services.customer_cost_create(user=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Cost added."))
            return redirect("orders:customer_orders", customer_id=customer.pk)
    return _customer_orders_page(request, customer, cost_form=form)


@permission_required("orders.delete_customercost")
@require_http_methods(["GET", "POST"])
def cost_delete(request, pk):
    cost = selectors.cost_get(user=request.user, cost_id=pk)
    back = redirect("orders:customer_orders", customer_id=cost.customer_id)
    if request.method == "POST":
        services.customer_cost_delete(user=request.user, cost=cost)
        messages.success(request, _("Cost deleted."))
        return back
    context = {
        "title": _("Delete this cost?"),
        "message": _("%(cost)s on %(date)s for %(customer)s.")
        % {"cost": cost, "date": date_format(cost.incurred_on), "customer": cost.customer},
        "button": _("Yes, delete"),
        "danger": True,
        "cancel_url": back.url,
    }
    return render_page(request, "orders/confirm.html", context)


# --- Products -------------------------------------------------------------------------


@permission_required("orders.view_product")
@require_GET
def product_list(request):
    search = request.GET.get("search", "")
    active = {"1": True, "0": False}.get(request.GET.get("active", ""))
    products = selectors.product_list(search=search, active=active)
    context = {
        "page": paginate(products, request.GET.get("page")),
        "filtered": bool(search) or active is not None,
        "search": search,
        "active": request.GET.get("active", ""),
        "can_add": request.user.has_perm("orders.add_product"),
        "can_change": request.user.has_perm("orders.change_product"),
        "base_currency": base_currency(),
    }
    return render_page(request, "orders/product_list.html", context, partial="results")


def _product_form_page(request, product=None):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                services.product_create(user=request.user, **form.cleaned_data)
            else:
                services.product_update(user=request.user, product=product, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("orders:products")
    context = {"form": form, "product": product}
    return render_page(request, "orders/product_form.html", context)


@permission_required("orders.add_product")
@require_http_methods(["GET", "POST"])
def product_create(request):
    return _product_form_page(request)


@permission_required("orders.change_product")
@require_http_methods(["GET", "POST"])
def product_edit(request, pk):
    return _product_form_page(request, get_object_or_404(Product, pk=pk))


# --- Exchange rates (admin) -----------------------------------------------------------

RATE_PERMS = ("orders.add_exchangerate", "orders.change_exchangerate", "orders.delete_exchangerate")


@permission_required(*RATE_PERMS)
@require_http_methods(["GET", "POST"])
def rate_list(request):
    form = ExchangeRateForm(request.POST or None, initial={"valid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            rate = services.exchange_rate_set(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(rate)s.") % {"rate": rate})
            return redirect("orders:rates")
    currency = request.GET.get("currency", "")
    context = {
        "form": form,
        "page": paginate(selectors.exchange_rate_list(currency), request.GET.get("page")),
        "currency": currency,
        "currencies": selectors.currencies_in_use(),
        "base_currency": base_currency(),
    }
    return render_page(request, "orders/rate_list.html", context)


@permission_required(*RATE_PERMS)
@require_http_methods(["GET", "POST"])
def rate_edit(request, pk):
    exchange_rate = get_object_or_404(ExchangeRate, pk=pk)
    initial = {
        "currency": exchange_rate.currency,
        "valid_on": exchange_rate.valid_on,
        "rate": exchange_rate.rate,
    }
    form = ExchangeRateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.exchange_rate_update(
                user=request.user, exchange_rate=exchange_rate, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Exchange rate saved."))
            return redirect("orders:rates")
    context = {"form": form, "exchange_rate": exchange_rate, "base_currency": base_currency()}
    return render_page(request, "orders/rate_form.html", context)


@permission_required(*RATE_PERMS)
@require_http_methods(["GET", "POST"])
def rate_delete(request, pk):
    exchange_rate = get_object_or_404(ExchangeRate, pk=pk)
    if request.method == "POST":
        services.exchange_rate_delete(user=request.user, exchange_rate=exchange_rate)
        messages.success(request, _("Exchange rate deleted."))
        return redirect("orders:rates")
    context = {
        "title": _("Delete this exchange rate?"),
        # A whole sentence (not the model's English __str__), so that it reads in the
        # page's language.
        "message": _(
            "1 %(currency)s = %(rate)s %(base)s from %(date)s on. Orders keep the rate they "
            "were priced at; new orders and edits use the rate in force on their date."
        )
        % {
            "currency": exchange_rate.currency,
            "rate": rate_text(exchange_rate.rate),
            "base": base_currency(),
            "date": date_format(exchange_rate.valid_on, "DATE_FORMAT"),
        },
        "button": _("Yes, delete"),
        "danger": True,
        "cancel_url": reverse("orders:rates"),
    }
    return render_page(request, "orders/confirm.html", context)
