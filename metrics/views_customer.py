"""The value pages salespeople use: a customer's Value tab (with the what-if), whom to call
next, and the high-value detractors. Every role may open them; what they list is scoped by
``customers.selectors.customers_visible_to`` (a rep sees their own customers only)."""

from django.views.decorators.http import require_GET

from core.pagination import paginate
from core.web import permission_required, render_page, wants_fragment
from customers.forms import CustomerFilterForm
from customers.models import Customer
from customers.selectors import assignable_users, can_see_all_customers, customer_get
from valuemodels import labels

from . import explain, selectors_customer, services, whatif


def _owner_filter(request):
    """The owner asked for in ?owner=, for users who see every customer; else None."""
    if not can_see_all_customers(request.user):
        return None
    return CustomerFilterForm(request.GET).filters(can_filter_owner=True)["owner"] or None


# --- Value tab ---------------------------------------------------------------------------


def _value_context(customer, score, stats):
    parameters = stats.data.get("parameters", {}) if stats else {}
    churned = customer.status == Customer.Status.CHURNED
    fits = selectors_customer.fits_of_run(stats.run_id) if stats else {}
    reason, detail = explain.clv_method_reason(score, fits)
    return {
        "explanation": explain.score_explanation(score, parameters),
        "clv_variants": explain.clv_variants(score, parameters),
        "clv_reason": reason,
        "clv_detail": detail,
        "churn_rule": explain.churn_rule(
            score,
            churned=churned,
            inactivity_days=parameters.get("churn_inactivity_days", 365),
        ),
        "churn_percent": explain.percent(score.churn_risk),
        "previous_churn_percent": explain.percent(score.previous_churn_risk),
        "p_alive_percent": explain.percent(score.p_alive),
        "repeat_rate_percent": explain.percent(score.repeat_rate),
        "slipping": explain.is_slipping(score, churned=churned),
        "segment_label": labels.segment_label(score.segment),
        "nps_label": labels.NPS_LABELS.get(score.nps_category, ""),
        "chart": explain.score_history_chart(
            selectors_customer.score_history(customer),
            tier_cutoffs=stats.data.get("tiers") if stats else None,
        ),
    }


@permission_required("customers.view_customer")
@require_GET
def customer_value(request, customer_id):
    """The Value tab. With ?whatif=1 it also shows the what-if (htmx swaps only that part);
    the what-if reads and never writes, so it is a GET."""
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
    return render_page(request, "metrics/value_tab.html", context)


# --- Call next and detractors ------------------------------------------------------------


def _list_context(request, queryset, **extra):
    sees_all = can_see_all_customers(request.user)
    return {
        "page": paginate(queryset, request.GET.get("page")),
        "owners": assignable_users() if sees_all else (),
        "owner": _owner_filter(request),
        **extra,
    }


@permission_required("customers.view_customer")
@require_GET
def call_next(request):
    """High-value customers whose churn risk rose or is high, most value at stake first."""
    scores = selectors_customer.call_next(user=request.user, owner=_owner_filter(request))
    context = _list_context(request, scores)
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
    context = _list_context(request, scores)
    return render_page(request, "metrics/detractors.html", context, partial="results")
