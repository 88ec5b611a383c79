"""The dashboard and the cohort page.

Both are open to every logged-in user and scoped to the customers they see: a rep's
figures cover their own customers, a manager's and an admin's everybody. Spend, CAC and
payback are company figures and appear only to those who see every customer. A user
without a role sees an empty state (the dashboard is everyone's landing page), and a 403
on the cohort page.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.utils import timezone

from core.web import has_perms, permission_required, render_page
from customers.selectors import open_tasks_for
from metrics.models import MetricSettings

from . import charts, cohorts, company, page_cache
from .periods import CohortForm, PeriodForm

TASKS_SHOWN = 10
# What every role has: without it there are no customer figures to show.
ROLE_PERMISSION = "customers.view_customer"


@login_required
def dashboard(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    period = form.period_for(today)
    context = {
        "form": form,
        "period": period,
        "tasks": open_tasks_for(user=request.user)[:TASKS_SHOWN],
        "today": today,
        "has_role": has_perms(request.user, ROLE_PERMISSION),
    }
    if context["has_role"]:
        figures, calculated_at, from_cache = page_cache.cached_figures(
            page="dashboard",
            user=request.user,
            params=(period.start, period.end),
            compute=lambda: _figures(request.user, period),
            refresh=_refresh(request),
        )
        context.update(figures)
        context.update(_cache_context(calculated_at, from_cache))
    return render_page(request, "analytics/dashboard.html", context, partial="body")


def _refresh(request):
    return request.GET.get("refresh") == "1"


def _cache_context(calculated_at, from_cache):
    return {"calculated_at": calculated_at, "from_cache": from_cache}


def _figures(user, period):
    with company.analytics_session():
        return _period_figures(user, period)


def _period_figures(user, period):
    inactivity = MetricSettings.load().churn_inactivity_days
    previous = period.previous()
    current, before = company.period_over_period(
        user=user, start=period.start, end=period.end, inactivity_days=inactivity
    )
    overview, rfm = company.score_figures(user=user)
    last_month = company.month_start(period.last_day)
    months = None
    if not company.sees_everyone(user):
        # A rep's monthly revenue and cohorts (the same twelve months) from one read.
        months = company.summary_months(
            user=user, first=company.add_months(last_month, -11), last_day=period.last_day
        )
    figures = {
        "inactivity_days": inactivity,
        "currency": settings.CRM_BASE_CURRENCY,
        "metrics": current,
        "previous": previous,
        "kpis": company.kpis(current, before),
        "overview": overview,
        "revenue_chart": charts.monthly_revenue_chart(
            company.monthly_revenue(user=user, last_month=last_month, end=period.end, groups=months)
        ),
        "cohort_chart": None,
        "campaign_chart": None,
        "campaign_values": [],
    }
    if overview.scored:
        table = cohorts.cohort_table(user=user, as_of=period.last_day, groups=months)
        if not table.is_empty:
            figures["cohort_chart"] = charts.cohort_heat_map(table)
        figures["histogram_chart"] = charts.value_histogram_chart(overview)
        figures["tier_chart"] = charts.tier_chart(overview)
        figures["rfm_chart"] = charts.rfm_chart(rfm)
        values = company.campaign_values(user=user, as_of=period.last_day)
        figures["campaign_values"] = values
        if values:
            figures["campaign_chart"] = charts.campaign_value_chart(values)
    return figures


def _cohort_figures(user, as_of, months):
    with company.analytics_session():
        table = cohorts.cohort_table(user=user, as_of=as_of, months=months)
        figures = {
            "table": table,
            "payback": cohorts.campaign_payback(user=user, as_of=as_of),
            "scored": not table.is_empty or company.has_scores(user=user),
        }
    if not table.is_empty:
        figures["cohort_lines"] = charts.cohort_lines(table)
        figures["campaign_lines"] = charts.campaign_lines(table)
    return figures


@permission_required(ROLE_PERMISSION)
def cohort_report(request):
    form = CohortForm(request.GET or None)
    as_of, months = timezone.localdate(), cohorts.DEFAULT_MONTHS
    if form.is_bound and form.is_valid():
        as_of = form.cleaned_data["as_of"] or as_of
        months = form.cleaned_data["months"]
    figures, calculated_at, from_cache = page_cache.cached_figures(
        page="cohorts",
        user=request.user,
        params=(as_of, months),
        compute=lambda: _cohort_figures(request.user, as_of, months),
        refresh=_refresh(request),
    )
    context = {
        "form": form,
        "as_of": as_of,
        "company_figures": company.shows_company_figures(request.user),
        **figures,
        **_cache_context(calculated_at, from_cache),
    }
    return render_page(request, "analytics/cohorts.html", context, partial="body")
