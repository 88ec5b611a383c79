"""Survey pages for the team: design and send (admins), results (everyone with a role,
over the customers they may see), and the customer page's Surveys tab."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.csv import csv_response
from core.pagination import count_up_to, keyset_paginate, paginate
from core.web import (
    add_service_errors,
    permission_required,
    render_page,
    require_perms,
    wants_fragment,
)
from customers.selectors import customer_get

from . import selectors, services
from .forms import AudienceForm, CommentFilterForm, SendForm, SurveyForm
from .models import Survey


def _survey(request, pk):
    return selectors.survey_get(user=request.user, survey_id=pk)


@permission_required("surveys.view_survey")
def survey_list(request):
    status = request.GET.get("status", "")
    surveys = selectors.survey_list(user=request.user, status=status)
    page = paginate(surveys, request.GET.get("page"))
    context = {
        "page": page,
        "count": count_up_to(surveys, page),
        "status": status,
        "statuses": Survey.Status.choices,
    }
    return render_page(request, "surveys/list.html", context, partial="results")


@permission_required("surveys.add_survey")
def survey_create(request):
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Survey created. Now choose who gets it."))
            return redirect("surveys:audience", pk=survey.pk)
    return render_page(request, "surveys/form.html", {"form": form, "survey": None})


@permission_required("surveys.change_survey")
def survey_edit(request, pk):
    survey = _survey(request, pk)
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(user=request.user, survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect(survey)
    survey.refresh_from_db()
    return render_page(request, "surveys/form.html", {"form": form, "survey": survey})


@permission_required("surveys.change_survey")
def survey_audience(request, pk):
    """Choose the audience and preview it. "Preview" (or any change, with htmx) shows the
    counts without saving; "Save" stores the audience."""
    survey = _survey(request, pk)
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
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Audience saved."))
            return redirect(survey)
    preview = (
        # Capped: recounted on every change of a filter (issue 14).
        selectors.audience_preview(
            user=request.user, criteria=criteria, now=now, cap=selectors.AUDIENCE_COUNT_CAP
        )
        if criteria is not None
        else None
    )
    context = {"survey": survey, "form": form, "preview": preview}
    status = 422 if form.errors and wants_fragment(request) else 200
    return render_page(request, "surveys/audience.html", context, partial="preview", status=status)


@permission_required("surveys.send_survey")
def survey_send(request, pk):
    survey = _survey(request, pk)
    now = timezone.now()
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_schedule(
                user=request.user, survey=survey, now=now, send_at=form.cleaned_data["send_at"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The survey is on its way."))
            return redirect(survey)
    # Counted whole (no cap): the last look before emailing them, once, not on each change.
    preview = selectors.audience_preview(
        user=request.user, criteria=survey.audience, now=now, cap=None
    )
    context = {
        "survey": survey,
        "form": form,
        "preview": preview,
        # A one-off survey to nobody is refused (services.survey_schedule): no Send button.
        "nobody": not survey.is_triggered and preview.eligible == 0,
        "reminder_days": settings.SURVEY_REMINDER_DAYS,
    }
    return render_page(request, "surveys/send_confirm.html", context)


@permission_required("surveys.send_survey")
def survey_close(request, pk):
    survey = _survey(request, pk)
    if request.method == "POST":
        services.survey_close(user=request.user, survey=survey, now=timezone.now())
        messages.success(request, _("Survey closed: its links no longer accept answers."))
        return redirect(survey)
    return render_page(request, "surveys/close_confirm.html", {"survey": survey})


@permission_required("surveys.send_survey")
def survey_retry(request, pk):
    survey = _survey(request, pk)
    errors = []
    if request.method == "POST":
        try:
            count = services.invitations_retry_failed(user=request.user, survey=survey)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s invitation queued again.",
                    "%(count)s invitations queued again.",
                    count,
                )
                % {"count": count},
            )
            return redirect(survey)
    progress = selectors.survey_progress(survey)
    return render_page(
        request,
        "surveys/retry_confirm.html",
        {"survey": survey, "progress": progress, "errors": errors},
    )


@permission_required("surveys.view_survey")
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
    return render_page(request, "surveys/detail.html", context)


@permission_required("surveys.send_survey")
def survey_progress(request, pk):
    """The progress box, polled by htmx while the survey is sending."""
    survey = _survey(request, pk)
    context = {"survey": survey, "progress": selectors.survey_progress(survey), "can_send": True}
    if not request.htmx:
        return redirect(survey)
    return render_page(request, "surveys/detail.html#progress", context)


@permission_required("surveys.view_survey", "surveys.view_response")
def survey_comments(request, pk):
    survey = _survey(request, pk)
    form = CommentFilterForm(request.GET, survey=survey)
    band, search = form.value("band"), form.value("q")
    # A keyset page: a survey sent to a million customers has as many answers to page
    # through; a cursor not made here shows the first page.
    page = keyset_paginate(
        selectors.survey_comments(user=request.user, survey=survey, band=band, search=search),
        selectors.COMMENTS_ORDER,
        cursor=request.GET.get("cursor"),
    )
    context = {"survey": survey, "form": form, "page": page, "filtered": bool(band or search)}
    return render_page(request, "surveys/comments.html", context, partial="results")


@permission_required("surveys.view_survey", "surveys.view_response")
def survey_export(request, pk):
    survey = _survey(request, pk)
    return csv_response(
        filename=f"survey-{survey.pk}-responses.csv",
        header=selectors.survey_export_header(),
        rows=selectors.survey_export_lines(user=request.user, survey=survey),
    )


@login_required
def customer_surveys(request, customer_id):
    # A customer the user may not see is a 404 before any question of permissions.
    customer = customer_get(user=request.user, customer_id=customer_id)
    require_perms(request.user, "surveys.view_invitation")
    page = paginate(
        selectors.customer_survey_history(user=request.user, customer=customer),
        request.GET.get("page"),
    )
    context = {"customer": customer, "active_tab": "surveys", "page": page}
    return render_page(request, "surveys/customer_surveys.html", context)
