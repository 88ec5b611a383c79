"""The pages a customer reaches from a survey email, without logging in.

A GET never records anything: mail security scanners follow every link in an email, so
the score links only open the page with the score selected, and the respondent's press of
the button (a POST, CSRF-protected) records it. Every failure is a clear page with its
status code (400, 404, 410, 429), never an error 500.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.languages import language_codes
from core.web import render_page

from . import ratelimit, selectors, services, tokens
from .forms import CommentForm, ResponseForm
from .models import Response

PROBLEMS = {
    "invalid": (
        400,
        _("This link is not valid"),
        _("The link is incomplete or has been changed. Please use the link from your email."),
    ),
    "unknown": (
        404,
        _("This survey link no longer exists"),
        _("The invitation it belonged to has been removed."),
    ),
    "expired": (
        410,
        _("This link has expired"),
        _("Survey links are valid for a limited time. Thank you for your interest."),
    ),
    "closed": (
        410,
        _("This survey is closed"),
        _("It no longer accepts answers. Thank you for your interest."),
    ),
    "rate_limited": (
        429,
        _("Too many requests"),
        _("Please wait a few minutes and try again."),
    ),
}


def _problem(request, reason):
    status, title, text = PROBLEMS[reason]
    return render_page(
        request, "surveys/public/problem.html", {"title": title, "text": text}, status=status
    )


def _invitation(request, signed, *, answering=True):
    """(invitation, None) or (None, the problem page to return)."""
    if ratelimit.too_many_requests(request, signed):
        return None, _problem(request, "rate_limited")
    try:
        token = tokens.unsign(signed, check_age=answering)
    except tokens.ExpiredLink:
        return None, _problem(request, "expired")
    except tokens.InvalidLink:
        return None, _problem(request, "invalid")
    invitation = selectors.invitation_for_token(token)
    if invitation is None:
        return None, _problem(request, "unknown")
    _speak_customer_language(request, invitation.customer)
    if answering and not invitation.survey.accepts_answers_on(timezone.localdate()):
        return None, _problem(request, "closed")
    return invitation, None


def _speak_customer_language(request, customer):
    """The page speaks the language the email was written in, the customer's, unless the
    respondent chose another with the page's switcher (the language cookie). A customer
    without one gets the browser's language (LocaleMiddleware), as any visitor would."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in language_codes() or customer.language not in language_codes():
        return
    translation.activate(customer.language)
    request.LANGUAGE_CODE = translation.get_language()


def _score_from_link(request, survey):
    try:
        score = int(request.GET.get("score", ""))
    except ValueError:
        return None
    return score if score in survey.scale else None


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request, signed):
    invitation, problem = _invitation(request, signed)
    if problem:
        return problem
    survey = invitation.survey
    answer = Response.objects.filter(invitation=invitation).first()
    if request.method == "POST":
        form = ResponseForm(request.POST, survey=survey)
        if form.is_valid():
            try:
                services.response_submit(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data.get("comment"),
                    now=timezone.now(),
                )
            except ValidationError:
                return _problem(request, "closed")
            return redirect("surveys_public:thanks", signed=signed)
    else:
        preselected = _score_from_link(request, survey)
        initial = {}
        if answer:
            initial = {"score": answer.score, "comment": answer.comment}
        if preselected is not None:
            initial["score"] = preselected
        form = ResponseForm(initial=initial, survey=survey)
    context = {"survey": survey, "form": form, "answer": answer, "signed": signed}
    return render_page(request, "surveys/public/respond.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def thanks(request, signed):
    invitation, problem = _invitation(request, signed)
    if problem:
        return problem
    answer = Response.objects.filter(invitation=invitation).first()
    if answer is None:
        return redirect("surveys_public:respond", signed=signed)
    survey = invitation.survey
    form = CommentForm(request.POST or None, initial={"comment": answer.comment})
    if survey.follow_up_question:
        form.fields["comment"].label = survey.follow_up_question
    if request.method == "POST" and form.is_valid():
        try:
            services.response_comment_set(
                invitation=invitation, comment=form.cleaned_data["comment"], now=timezone.now()
            )
        except ValidationError:
            return _problem(request, "closed")
        return redirect(reverse("surveys_public:thanks", args=[signed]) + "?saved=1")
    context = {
        "survey": survey,
        "answer": answer,
        "form": form,
        "signed": signed,
        "saved": request.GET.get("saved") == "1",
    }
    return render_page(request, "surveys/public/thanks.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, signed):
    """Works on old links too: nobody should be stuck receiving mail."""
    invitation, problem = _invitation(request, signed, answering=False)
    if problem:
        return problem
    if request.method == "POST":
        services.customer_unsubscribe(invitation=invitation, now=timezone.now())
        return render_page(request, "surveys/public/unsubscribed.html", {"invitation": invitation})
    return render_page(request, "surveys/public/unsubscribe.html", {"invitation": invitation})
