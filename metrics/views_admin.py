"""The metrics pages for managers and admins (recalculation, model fits, settings, model
health) and the methodology page for everyone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.web import add_service_errors, permission_required, render_page, wants_fragment
from valuemodels import rfm
from valuemodels.labels import segment_choices

from . import health, services
from .forms import HoldoutForm, MetricSettingsForm
from .models import CustomerScore, MetricSettings, ModelFit, RecalcRun

ACTIVE = (RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING)


def _index_url(run=None, anchor=""):
    query = f"?run={run.pk}" if run else ""
    return f"{reverse('metrics:index')}{query}{anchor}"


def _progress_context(run):
    if run is None:
        return {"run": None, "active": False, "elapsed": None}
    active = run.status in ACTIVE
    end = timezone.now() if active else run.finished_at
    start = run.started_at or run.created_at
    return {"run": run, "active": active, "elapsed": end - start if end else None}


def _shown_run(request):
    """The active run; else the run asked for (?run=); else the latest one."""
    active = health.run_active()
    if active:
        return active
    runs = RecalcRun.objects.select_related("started_by")
    run_id = request.GET.get("run", "")
    if run_id.isdigit():
        return runs.filter(pk=run_id).first()
    return runs.order_by("-created_at", "-id").first()


def _settings_form(user, data=None):
    return MetricSettingsForm(
        data,
        instance=MetricSettings.load(),
        read_only=not user.has_perm("metrics.change_metricsettings"),
    )


def _render_index(request, form):
    context = {
        **_progress_context(_shown_run(request)),
        "runs": health.runs_recent(),
        "bgnbd_fits": health.fits_recent(kind=ModelFit.Kind.BGNBD),
        "gamma_gamma_fits": health.fits_recent(kind=ModelFit.Kind.GAMMA_GAMMA),
        "dirty_count": health.dirty_count(),
        "form": form,
        "can_edit_settings": request.user.has_perm("metrics.change_metricsettings"),
        # The day a recalculation started now would score as of (the "score as of" setting).
        "scoring_as_of": services.scoring_as_of(today=timezone.localdate()),
    }
    return render_page(request, "metrics/index.html", context)


@permission_required("metrics.view_recalcrun")
def index(request):
    return _render_index(request, _settings_form(request.user))


@permission_required("metrics.view_recalcrun")
@require_POST
def recalculate(request):
    try:
        # As of the day the "score as of" setting says (today unless changed).
        run = services.recalc_request(trigger=RecalcRun.Trigger.USER, user=request.user)
    except services.RecalcAlreadyRunning as exc:
        # A double click or a colleague's run: not an error, just show the run in progress.
        running = exc.run
        if running is None:
            messages.warning(request, _("A recalculation is already running."))
        else:
            messages.warning(
                request,
                format_html(
                    _(
                        "A recalculation is already running. "
                        '<a href="{url}">Follow its progress.</a>'
                    ),
                    url=_index_url(running, "#run-progress"),
                ),
            )
        return redirect(_index_url(running))
    # No message: the progress card says the run is queued and follows it to the end (a
    # message saying "queued" would stay on the page after the run is done).
    return redirect(_index_url(run, "#run-progress"))


@permission_required("metrics.view_recalcrun")
def run_progress(request, pk):
    """The progress card of one run and the recent runs' table, polled together by htmx every
    second while the run is active. Without htmx both are seen on the metrics page itself."""
    run = get_object_or_404(RecalcRun.objects.select_related("started_by"), pk=pk)
    if not request.htmx:
        return redirect(_index_url(run, "#run-progress"))
    context = {**_progress_context(run), "runs": health.runs_recent(), "polled": True}
    return render_page(request, "metrics/partials/run_status.html", context)


@permission_required("metrics.change_metricsettings")
@require_POST
def settings_save(request):
    form = _settings_form(request.user, request.POST)
    if form.is_valid():
        was_running = health.run_active() is not None
        try:
            services.metric_settings_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if was_running:
                messages.success(
                    request,
                    _(
                        "Settings saved. A recalculation is already running; the scores "
                        "follow the new settings from the next full recalculation."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Settings saved. A full recalculation has been queued to apply them."),
                )
            return redirect(_index_url())
    return _render_index(request, form)


@permission_required("metrics.view_modelfit")
def health_page(request):
    """Model health. The holdout and correlation checks read every order, so they run only
    when asked (the form's button), never on a plain visit."""
    stats = services.latest_stats()
    as_of = stats.as_of if stats else timezone.localdate()
    asked = "calibration_end" in request.GET
    form = HoldoutForm(
        request.GET if asked else None,
        initial={"calibration_end": health.default_calibration_end(as_of), "as_of": as_of},
    )
    holdout = chart = correlation = None
    if asked and form.is_valid():
        data = form.cleaned_data
        holdout = health.holdout_check_as_of(
            calibration_end=data["calibration_end"], as_of=data["as_of"]
        )
        chart = health.chart_geometry(holdout.buckets) if holdout.buckets else None
        correlation = health.frequency_monetary_check(
            health.frequency_monetary_moments(as_of=data["as_of"])
        )
    methods = health.clv_method_counts()
    context = {
        "form": form,
        "holdout": holdout,
        "chart": chart,
        "correlation": correlation,
        "correlation_limit": health.CORRELATION_WARNING,
        "methods": [
            (label, methods.get(value, 0))
            for value, label in [*CustomerScore.ClvMethod.choices, ("", _("No orders: no CLV"))]
        ],
        "fits": health.latest_fits(),
    }
    status = 422 if form.errors and wants_fragment(request) else 200
    return render_page(request, "metrics/health.html", context, partial="results", status=status)


def _plain(value, scale=1):
    """A Decimal setting without trailing zeros: 0.350000 -> "0.35", 10.00 -> "10"."""
    return f"{(value * scale).normalize():f}"


@login_required
def methodology(request):
    settings = MetricSettings.load()
    names = {slug: str(label) for slug, label in segment_choices()}
    context = {
        "settings": settings,
        "segment_grid": [
            (r, [names[slug] for slug in rfm.SEGMENT_GRID[r]])
            for r in sorted(rfm.SEGMENT_GRID, reverse=True)
        ],
        "segment_names": list(names.values()),
        "fm_columns": range(1, 6),
        "weights": {key: _plain(value) for key, value in settings.weights.items()},
        "lifetime_cap": _plain(settings.lifetime_cap_years),
        "discount_percent": _plain(settings.discount_rate, 100),
        "interest_percent": _plain(settings.interest_rate, 100),
        "goodwill": _plain(settings.goodwill_coefficient),
        "info_k": _plain(settings.info_k),
        "info_u": _plain(settings.info_u),
        "info_c": _plain(settings.info_c),
        "tier_a": _plain(settings.tier_a_share, 100),
        "tier_b": _plain(settings.tier_b_share, 100),
        "correlation_limit": health.CORRELATION_WARNING,
    }
    return render_page(request, "metrics/methodology.html", context)
