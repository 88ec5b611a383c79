"""The value pages salespeople use: a customer's Value tab (with the what-if), whom to call
next, and the high-value detractors. Every role may open them; what they list is scoped by
``customers.selectors.customers_visible_to`` (a rep sees their own customers only)."""

from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from core.pagination import keyset_paginate
from core.web import permission_required, render_page, wants_fragment
from customers.forms import CustomerFilterForm
from customers.models import Customer
from customers.selectors import can_see_all_customers, customer_get, filter_choices
from valuemodels import labels

from . import explain, selectors_customer, services, whatif


def _owner_filter(request):
    """The owner asked for in ?owner=, for users who see every customer; else None."""
    if not can_see_all_customers(request.user):
        return None
    return CustomerFilterForm(request.GET).filters(can_filter_owner=True)["owner"] or None


# --- "Recalculating…" --------------------------------------------------------------------

# How long a page polls for a pending recalculation before it says "reload later". The
# incremental recalculation starts about 2 s after the change is committed and takes well
# under a second per customer; a full run in progress holds it back longer.
POLL_SECONDS = 60
# The event a finished recalculation sends; the value figures on the page reload on it.
SCORE_UPDATED = "score-updated"


def _value_tab_instead(customer):
    """What a fragment-only URL answers a plain request: the Value tab. It varies on
    HX-Request, as the fragment does, so no cache hands one for the other."""
    response = redirect("metrics:customer_value", customer_id=customer.pk)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _recalculation_context(customer, score):
    """``recalculating`` while the customer's incremental recalculation is pending, with the
    URL the page polls (metrics/partials/recalc_status.html) until the score is rewritten."""
    if not selectors_customer.recalculation_pending(customer.pk):
        return {"recalculating": False}
    query = urlencode(
        {
            "since": selectors_customer.version_token(score.computed_at if score else None),
            "until": int(timezone.now().timestamp()) + POLL_SECONDS,
        }
    )
    url = reverse("metrics:customer_recalc_status", args=[customer.pk])
    return {"recalculating": True, "poll_url": f"{url}?{query}"}


@permission_required("customers.view_customer")
@require_GET
def customer_recalc_status(request, customer_id):
    """Polled by htmx every 2 s while a page says "recalculating…" (``since``: the score's
    version when the page was drawn; ``until``: when to give up, in epoch seconds).

    Still pending: 204, nothing to swap, the polling goes on. Score rewritten (or nothing
    pending any more): 286, which stops htmx's polling, with the ``score-updated`` event on
    which the page's value figures reload themselves. Past ``until``: 286 with "still
    recalculating, reload later". Without htmx: the Value tab."""
    customer = customer_get(user=request.user, customer_id=customer_id)
    if not wants_fragment(request):
        return _value_tab_instead(customer)
    since = request.GET.get("since", "")
    try:
        until = int(request.GET.get("until", ""))
    except ValueError:
        return HttpResponseBadRequest(
            _("The poll needs “until”: a time in whole seconds since 1970."),
            content_type="text/plain; charset=utf-8",
        )
    template = "metrics/partials/recalc_status.html"
    if (
        not selectors_customer.recalculation_pending(customer.pk)
        or selectors_customer.score_version(customer.pk) != since
    ):
        response = render_page(request, template, {"state": "updated"}, status=286)
        return trigger_client_event(response, SCORE_UPDATED)
    if timezone.now().timestamp() > until:
        return render_page(request, template, {"state": "timed_out"}, status=286)
    response = HttpResponse(status=204)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- The Overview's value summary --------------------------------------------------------


@permission_required("customers.view_customer")
@require_GET
def customer_summary(request, customer_id):
    """The value summary on the customer's Overview: score, tier, trend, churn risk, CLV and
    the one-line "why". The customers app sits below metrics and cannot read scores, so its
    Overview loads this fragment with htmx (and links to the Value tab without JavaScript);
    the fragment reloads itself when a pending recalculation ends. Without htmx: the Value
    tab."""
    customer = customer_get(user=request.user, customer_id=customer_id)
    if not wants_fragment(request):
        return _value_tab_instead(customer)
    score = selectors_customer.score_of(customer)
    has_value = score is not None and score.value_score is not None
    context = {
        "customer": customer,
        "score": score,
        "has_value": has_value,
        **_recalculation_context(customer, score),
    }
    if has_value:
        stats = services.latest_stats()
        parameters = stats.data.get("parameters", {}) if stats else {}
        future_label, future = explain.future_value(score)
        context.update(
            explanation=explain.score_explanation(score, parameters),
            trend=explain.score_trend(
                score.value_score,
                selectors_customer.score_a_month_before(customer, score.as_of),
            ),
            churn_percent=explain.percent(score.churn_risk),
            future_label=future_label,
            future=future,
        )
    return render_page(request, "metrics/partials/value_summary.html", context)


# --- Value tab ---------------------------------------------------------------------------


def _value_context(customer, score, stats):
    churned = customer.status == Customer.Status.CHURNED
    why = selectors_customer.value_explanation(score, stats, churned=churned)
    return {
        "explanation": why.explained,
        "clv_variants": explain.clv_variants(score, why.parameters),
        "clv_reason": why.clv_reason,
        "clv_detail": why.clv_detail,
        "churn_rule": why.churn_rule,
        "churn_percent": explain.percent(score.churn_risk),
        "previous_churn_percent": explain.percent(score.previous_churn_risk),
        "p_alive_percent": explain.percent(score.p_alive),
        "repeat_rate_percent": explain.percent(score.repeat_rate),
        "slipping": explain.is_slipping(score, churned=churned),
        "segment_label": labels.segment_label(score.segment),
        "nps_label": labels.NPS_LABELS.get(score.nps_category, ""),
        "chart": explain.score_history_chart(
            selectors_customer.score_history(customer, today=score.as_of),
            tier_cutoffs=stats.data.get("tiers") if stats else None,
        ),
    }


@permission_required("customers.view_customer")
@require_GET
def customer_value(request, customer_id):
    """The Value tab. With ?whatif=1 it also shows the what-if (htmx swaps only that part);
    the what-if reads and never writes, so it is a GET. Any other htmx request gets the
    figures alone (the ``value_body`` partial): they reload so when a recalculation ends."""
    customer = customer_get(user=request.user, customer_id=customer_id)
    score = selectors_customer.score_of(customer)
    stats = services.latest_stats()
    has_value = score is not None and score.value_score is not None
    can_what_if = score is not None and stats is not None
    context = {
        "customer": customer,
        "active_tab": "value",
        "score": score,
        "has_value": has_value,
        "can_what_if": can_what_if,
        **_recalculation_context(customer, score),
    }
    if can_what_if:
        submitted = "whatif" in request.GET
        form = whatif.WhatIfForm(
            request.GET if submitted else None,
            as_of=score.as_of,
            current=whatif.current_values(score, stats.data["parameters"]),
        )
        result = None
        if submitted and form.is_valid():
            result = whatif.what_if(
                customer_id=customer.pk,
                as_of=score.as_of,
                stats=stats.data,
                scenario=form.scenario(),
            )
        context.update(whatif_form=form, whatif=result)
        if submitted and wants_fragment(request):
            return render_page(request, "metrics/value_tab.html#whatif", context)
    if has_value:
        context.update(_value_context(customer, score, stats))
    return render_page(request, "metrics/value_tab.html", context, partial="value_body")


# --- Call next and detractors ------------------------------------------------------------


def _list_context(request, queryset, keyset, **extra):
    sees_all = can_see_all_customers(request.user)
    return {
        "page": keyset_paginate(queryset, keyset, cursor=request.GET.get("cursor")),
        "owners": filter_choices().owners if sees_all else (),
        "owner": _owner_filter(request),
        **extra,
    }


@permission_required("customers.view_customer")
@require_GET
def call_next(request):
    """High-value customers whose churn risk rose or is high, most value at stake first."""
    scores = selectors_customer.call_next(user=request.user, owner=_owner_filter(request))
    context = _list_context(request, scores, selectors_customer.CALL_NEXT_ORDER)
    context["rows"] = [
        {"score": score, "reason": explain.call_reason(score)} for score in context["page"].items
    ]
    return render_page(request, "metrics/call_next.html", context, partial="results")


@permission_required("customers.view_customer")
@require_GET
def detractors(request):
    """Tier A and B customers whose latest NPS answer is a detractor's."""
    scores = selectors_customer.high_value_detractors(
        user=request.user, owner=_owner_filter(request)
    )
    context = _list_context(request, scores, selectors_customer.DETRACTORS_ORDER)
    return render_page(request, "metrics/detractors.html", context, partial="results")
