"""Import and export pages. Thin: jobs come through the selectors (someone else's job is
a 404), writes through the services, and a missing permission is a 403."""

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.csv import csv_response
from core.pagination import keyset_paginate
from core.web import add_service_errors, permission_required, render_page
from customers.forms import CustomerFilterForm
from customers.selectors import can_see_all_customers
from orders.forms import OrderFilterForm

from . import exports, selectors, services
from .columns import fields_for
from .engine import Scope
from .forms import MappingForm, UploadForm
from .models import ImportJob


def _can_import(user):
    return {kind: services.can_import(user, kind) for kind in ImportJob.Kind.values}


def _require_import(user):
    if not any(_can_import(user).values()):
        raise PermissionDenied


def _job(request, pk):
    _require_import(request.user)
    return selectors.job_get(user=request.user, job_id=pk)


def _own_job(request, pk):
    """A job only its uploader may change or run; others who can see it get a 403."""
    job = _job(request, pk)
    if job.user_id != request.user.pk:
        raise PermissionDenied
    return job


@login_required
@require_GET
def import_home(request):
    can_import = _can_import(request.user)
    if not any(can_import.values()):
        raise PermissionDenied
    context = {
        # A keyset page: imports pile up for good; a cursor not made here is page 1.
        "page": keyset_paginate(
            selectors.job_list(user=request.user),
            selectors.JOBS_ORDER,
            cursor=request.GET.get("cursor"),
        ),
        "can_import_customers": can_import[ImportJob.Kind.CUSTOMERS],
        "can_import_orders": can_import[ImportJob.Kind.ORDERS],
        "can_export_customers": request.user.has_perm("customers.view_customer"),
        "can_export_orders": request.user.has_perm("orders.view_order"),
        "sees_all": can_see_all_customers(request.user),
    }
    return render_page(request, "dataio/home.html", context, partial="jobs")


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, kind):
    if kind not in ImportJob.Kind.values:
        raise Http404
    if not services.can_import(request.user, kind):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                user=request.user,
                kind=kind,
                upload=form.cleaned_data["file"],
                encoding=form.cleaned_data["encoding"],
                delimiter=form.cleaned_data["delimiter"],
                has_header=form.has_header(),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("dataio:import_mapping", job.pk)
    context = {
        "form": form,
        "kind": ImportJob.Kind(kind),
        "fields": fields_for(kind, can_reassign=Scope(request.user).can_reassign),
    }
    return render_page(request, "dataio/upload.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, pk):
    job = _own_job(request, pk)
    if not job.can_remap:
        messages.warning(
            request, _("This import is being imported or is done; it can no longer change.")
        )
        return redirect(job)
    form = MappingForm(request.POST or None, job=job, can_reassign=Scope(request.user).can_reassign)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_configure(
                job=job,
                user=request.user,
                mapping=form.cleaned_data["mapping"],
                options=form.cleaned_data["options"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(job)
    context = {"job": job, "form": form, "sample": selectors.sample_rows(job)}
    return render_page(request, "dataio/mapping.html", context)


@login_required
@require_GET
def import_detail(request, pk):
    """Progress while the job runs (htmx polls the status partial every second), then
    the preview with counts and row errors."""
    job = _job(request, pk)
    rows = selectors.rows_processed(job)
    context = {
        "job": job,
        "rows_processed": rows,
        "percent": min(100, rows * 100 // job.rows_total) if job.rows_total else 0,
        "is_owner": job.user_id == request.user.pk,
    }
    return render_page(request, "dataio/job.html", context, partial="status")


@login_required
@require_http_methods(["GET", "POST"])
def import_commit(request, pk):
    """GET asks for confirmation; POST starts the import in the background."""
    job = _own_job(request, pk)
    if request.method == "POST":
        try:
            services.import_job_commit_request(job=job, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(job)
    if not job.can_commit:
        messages.warning(request, _("This import cannot start: validate it without errors first."))
        return redirect(job)
    return render_page(request, "dataio/commit.html", {"job": job})


@login_required
@require_GET
def import_report(request, pk):
    job = _job(request, pk)
    if not job.report_file:
        raise Http404
    stem = os.path.splitext(job.original_name)[0] or "import"
    return FileResponse(
        job.report_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


def _csv_response(request, name, *, kind, columns, rows):
    """``headers=local`` in the query string labels the columns in the user's language;
    by default they are the import field names, for programs (an import reads both)."""
    local = request.GET.get("headers") == "local"
    filename = f"{name}-{timezone.localdate().isoformat()}.csv"
    return csv_response(
        filename=filename, header=exports.header(columns, kind=kind, local=local), rows=rows
    )


@permission_required("customers.view_customer")
@require_GET
def export_customers(request):
    """The customer list as CSV, with the list page's query string (q, owner, status,
    region, tag, sort; headers=local for column names in the user's language)."""
    filters = CustomerFilterForm(request.GET).filters(
        can_filter_owner=can_see_all_customers(request.user)
    )
    rows = exports.customer_rows(user=request.user, filters=filters)
    return _csv_response(
        request, "customers", kind="customers", columns=exports.CUSTOMER_HEADER, rows=rows
    )


@permission_required("orders.view_order")
@require_GET
def export_orders(request):
    """The order list as CSV, with the list page's query string (search, status,
    date_from, date_to, owner); ``lines=1`` gives one row per order line, ``headers=local``
    column names in the user's language."""
    filters = OrderFilterForm(request.GET, show_owner=can_see_all_customers(request.user)).filters()
    if request.GET.get("lines"):
        rows = exports.order_line_rows(user=request.user, filters=filters)
        return _csv_response(
            request, "order-lines", kind="orders", columns=exports.ORDER_LINE_HEADER, rows=rows
        )
    rows = exports.order_rows(user=request.user, filters=filters)
    return _csv_response(request, "orders", kind="orders", columns=exports.ORDER_HEADER, rows=rows)
