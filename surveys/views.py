"""Survey pages for the team: design and send (admins), results (everyone with a role,
over the customers they may see), and the customer page's Surveys tab."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pagination import paginate
from customers.selectors import customer_get
from valuemodels.labels import segment_label

from . import selectors, services
from .forms import AudienceForm, CommentFilterForm, SendForm, SurveyForm
from .models import Survey


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def _survey(request, pk, permission="surveys.view_survey"):
    _require(request.user, permission)
    return selectors.survey_get(user=request.user, survey_id=pk)


def _errors(exc):
    return exc.messages if hasattr(exc, "messages") else [str(exc)]


@login_required
def survey_list(request):
    _require(request.user, "surveys.view_survey")
    status = request.GET.get("status", "")
    page = paginate(
        selectors.survey_list(user=request.user, status=status), request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "statuses": Survey.Status.choices,
        "query": f"status={status}" if status else "",
    }
    template = "surveys/list.html#results" if request.htmx else "surveys/list.html"
    return render(request, template, context)


@login_required
def survey_create(request):
    _require(request.user, "surveys.add_survey")
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Survey created. Now choose who gets it."))
            return redirect("surveys:audience", pk=survey.pk)
    return render(request, "surveys/form.html", {"form": form, "survey": None})


@login_required
def survey_edit(request, pk):
    survey = _survey(request, pk, "surveys.change_survey")
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(user=request.user, survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect(survey)
    survey.refresh_from_db()
    return render(request, "surveys/form.html", {"form": form, "survey": survey})


@login_required
def survey_audience(request, pk):
    """Choose the audience and preview it. "Preview" (or any change, with htmx) shows the
    counts without saving; "Save" stores the audience."""
    survey = _survey(request, pk, "surveys.change_survey")
    now = timezone.now()
    if request.method == "POST":
        form = AudienceForm(request.POST, request.FILES)
        criteria = form.criteria() if form.is_valid() else None
    else:
        form = AudienceForm(initial=AudienceForm.initial_from(survey.audience))
        criteria = survey.audience
    if criteria is not None and request.POST.get("action") == "save":
        try:
            services.survey_audience_set(user=request.user, survey=survey, audience=criteria)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Audience saved."))
            return redirect(survey)
    preview = (
        selectors.audience_preview(user=request.user, criteria=criteria, now=now)
        if criteria is not None
        else None
    )
    context = {"survey": survey, "form": form, "preview": preview}
    if request.htmx:
        status = 422 if form.errors else 200
        return render(request, "surveys/audience.html#preview", context, status=status)
    return render(request, "surveys/audience.html", context)


@login_required
def survey_send(request, pk):
    survey = _survey(request, pk, "surveys.send_survey")
    now = timezone.now()
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_schedule(
                user=request.user, survey=survey, now=now, send_at=form.cleaned_data["send_at"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The survey is on its way."))
            return redirect(survey)
    preview = selectors.audience_preview(user=request.user, criteria=survey.audience, now=now)
    return render(
        request, "surveys/send_confirm.html", {"survey": survey, "form": form, "preview": preview}
    )


@login_required
def survey_close(request, pk):
    survey = _survey(request, pk, "surveys.send_survey")
    if request.method == "POST":
        services.survey_close(user=request.user, survey=survey, now=timezone.now())
        messages.success(request, _("Survey closed: its links no longer accept answers."))
        return redirect(survey)
    return render(request, "surveys/close_confirm.html", {"survey": survey})


@login_required
def survey_retry(request, pk):
    survey = _survey(request, pk, "surveys.send_survey")
    errors = []
    if request.method == "POST":
        try:
            count = services.invitations_retry_failed(user=request.user, survey=survey)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("%(count)s invitations queued again.") % {"count": count})
            return redirect(survey)
    progress = selectors.survey_progress(survey)
    return render(
        request,
        "surveys/retry_confirm.html",
        {"survey": survey, "progress": progress, "errors": errors},
    )


@login_required
def survey_detail(request, pk):
    survey = _survey(request, pk)
    period = request.GET.get("period", "month")
    period = period if period in selectors.PERIODS else "month"
    can_send = request.user.has_perm("surveys.send_survey")
    context = {
        "survey": survey,
        "results": selectors.survey_results(user=request.user, survey=survey, period=period),
        "period": period,
        "can_send": can_send,
        "can_edit": request.user.has_perm("surveys.change_survey"),
        "sees_all": request.user.has_perm("customers.view_all_customers"),
        "progress": selectors.survey_progress(survey) if can_send else None,
        "failed": selectors.failed_invitations(survey) if can_send else [],
    }
    return render(request, "surveys/detail.html", context)


@login_required
def survey_progress(request, pk):
    """The progress box, polled by htmx while the survey is sending."""
    survey = _survey(request, pk, "surveys.send_survey")
    context = {"survey": survey, "progress": selectors.survey_progress(survey), "can_send": True}
    if not request.htmx:
        return redirect(survey)
    return render(request, "surveys/detail.html#progress", context)


@login_required
def survey_comments(request, pk):
    survey = _survey(request, pk)
    _require(request.user, "surveys.view_response")
    form = CommentFilterForm(request.GET, survey=survey)
    band, search = form.value("band"), form.value("q")
    page = paginate(
        selectors.survey_comments(user=request.user, survey=survey, band=band, search=search),
        request.GET.get("page"),
    )
    query = "&".join(f"{k}={v}" for k, v in (("band", band), ("q", search)) if v)
    context = {"survey": survey, "form": form, "page": page, "query": query}
    template = "surveys/comments.html#results" if request.htmx else "surveys/comments.html"
    return render(request, template, context)


def _csv_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def survey_export(request, pk):
    survey = _survey(request, pk)
    _require(request.user, "surveys.view_response")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-responses.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Customer"),
            _("External id"),
            _("Email"),
            _("Owner"),
            _("Region"),
            _("Campaign"),
            _("Score"),
            _("Band"),
            _("Comment"),
            _("First answered"),
            _("Last changed"),
            _("Changes"),
            _("Value tier (current)"),
            _("RFM segment (current)"),
        ]
    )
    for answer in selectors.survey_export_rows(user=request.user, survey=survey).iterator(
        chunk_size=1000
    ):
        customer = answer.invitation.customer
        writer.writerow(
            _csv_cell(value)
            for value in (
                customer.name,
                customer.external_id,
                answer.invitation.email,
                customer.owner.username if customer.owner else "",
                customer.region,
                customer.acquired_by_campaign,
                answer.score,
                survey.band_label(survey.band(answer.score)),
                answer.comment,
                answer.responded_at.isoformat(),
                answer.updated_at.isoformat(),
                answer.edit_count,
                answer.value_tier,
                segment_label(answer.rfm_segment) if answer.rfm_segment else "",
            )
        )
    return response


@login_required
def customer_surveys(request, customer_id):
    customer = customer_get(user=request.user, customer_id=customer_id)
    _require(request.user, "surveys.view_invitation")
    page = paginate(
        selectors.customer_survey_history(user=request.user, customer=customer),
        request.GET.get("page"),
    )
    context = {"customer": customer, "active_tab": "surveys", "page": page}
    return render(request, "surveys/customer_surveys.html", context)
