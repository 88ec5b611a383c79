import datetime as dt
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from metrics import services
from metrics.models import MetricSettings, RecalcRun
from tests.metrics.population import AS_OF, population
from valuemodels import rfm

HTMX = {"HX-Request": "true"}

SETTINGS = {
    "weight_historical": "0.40",
    "weight_future": "0.30",
    "weight_loyalty": "0.15",
    "weight_influence": "0.15",
    "discount_rate": "0.08",
    "horizon_months": "24",
    "churn_inactivity_days": "300",
    "lifetime_cap_years": "8",
    "interest_rate": "0.0578",
    "goodwill_coefficient": "0.15",
    "info_k": "1",
    "info_u": "10",
    "info_c": "5",
    "tier_a_share": "0.20",
    "tier_b_share": "0.30",
}

PERSONAS = ["anonymous", "outsider", "owner", "manager", "admin_user"]


def _user(request, persona):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


# Expected status by persona: pages every role but reps may see, and the one page for all.
PAGE_STATUS = {
    "metrics:index": {"outsider": 403, "owner": 403, "manager": 200, "admin_user": 200},
    "metrics:health": {"outsider": 403, "owner": 403, "manager": 200, "admin_user": 200},
    "metrics:methodology": {"outsider": 200, "owner": 200, "manager": 200, "admin_user": 200},
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", PAGE_STATUS)
def test_page_permissions(db, request, client_for, persona, name):
    client = client_for(_user(request, persona))
    response = client.get(reverse(name))
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == PAGE_STATUS[name][persona]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("outsider", 403), ("owner", 403), ("manager", 302), ("admin_user", 302)],
)
def test_recalculate_permissions(
    db, request, client_for, persona, status, django_capture_on_commit_callbacks
):
    client = client_for(_user(request, persona))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("metrics:recalculate"))
    assert response.status_code == status
    assert RecalcRun.objects.exists() == (persona in {"manager", "admin_user"})


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("outsider", 403), ("owner", 403), ("manager", 403), ("admin_user", 302)],
)
def test_settings_save_permissions(
    db, request, client_for, persona, status, django_capture_on_commit_callbacks
):
    client = client_for(_user(request, persona))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("metrics:settings"), SETTINGS)
    assert response.status_code == status
    saved = MetricSettings.load().weight_historical == Decimal("0.40")
    assert saved == (persona == "admin_user")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("outsider", 403), ("owner", 403), ("manager", 200), ("admin_user", 200)],
)
def test_run_progress_permissions(db, request, client_for, persona, status):
    run = RecalcRun.objects.create(as_of=AS_OF, status=RecalcRun.Status.DONE)
    client = client_for(_user(request, persona))
    response = client.get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX)
    assert response.status_code == status


def test_get_is_not_allowed_on_the_actions(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get(reverse("metrics:recalculate")).status_code == 405
    assert client.get(reverse("metrics:settings")).status_code == 405


def test_nav_links_follow_the_role(client_for, owner, manager):
    rep_page = client_for(owner).get(reverse("analytics:dashboard")).content.decode()
    assert f'href="{reverse("metrics:methodology")}"' in rep_page
    assert f'href="{reverse("metrics:index")}"' not in rep_page
    manager_page = client_for(manager).get(reverse("analytics:dashboard")).content.decode()
    assert f'href="{reverse("metrics:index")}"' in manager_page


# --- Recalculate button -----------------------------------------------------------------


def test_recalculate_queues_one_run_and_a_second_click_says_one_is_running(
    client_for, manager, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    today = timezone.localdate()  # the run's day; at midnight it may be the next one
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(reverse("metrics:recalculate"), follow=True)
    assert first.status_code == 200
    assert len(callbacks) == 1  # the task is enqueued once the request commits
    run = RecalcRun.objects.get()
    assert run.status == RecalcRun.Status.QUEUED
    assert run.trigger == RecalcRun.Trigger.USER
    assert run.started_by == manager
    assert run.as_of in {today, timezone.localdate()}
    # The card says the run is queued and follows it; no message that would stay behind.
    assert "Queued: waiting for a worker" in first.content.decode()
    assert "Full recalculation queued" not in first.content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        second = client.post(reverse("metrics:recalculate"), follow=True)
    assert second.status_code == 200
    page = second.content.decode()
    assert "A recalculation is already running" in page
    assert f"?run={run.pk}#run-progress" in page
    assert RecalcRun.objects.count() == 1
    # The page polls the active run's progress.
    assert reverse("metrics:run_progress", args=[run.pk]) in page
    assert 'hx-trigger="every 1s"' in page


def test_a_queued_run_is_actually_run_after_the_commit(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    population(20, seed=4)
    client = client_for(admin_user)
    # Tasks run eagerly in the unit tests: the on-commit callback runs the whole run.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("metrics:recalculate"))
    run = RecalcRun.objects.get()
    assert run.status == RecalcRun.Status.DONE
    assert run.processed == 20


# --- Progress partial -------------------------------------------------------------------


def _run(**fields):
    defaults = {"as_of": AS_OF, "started_at": timezone.now() - dt.timedelta(seconds=75)}
    return RecalcRun.objects.create(**{**defaults, **fields})


def test_progress_of_a_running_run_keeps_polling(client_for, manager):
    now = timezone.now()
    run = _run(
        started_at=now - dt.timedelta(seconds=75),
        status=RecalcRun.Status.RUNNING,
        total=200,
        processed=50,
        chunks_total=4,
        chunks_done=1,
        timings={"inputs": 1.0, "population": 1.0, "encode": 0.1, "stage": 1.0},
        step="Publishing scores",
    )
    client = client_for(manager)
    # The clock stands still: the elapsed time is 75 s however long the test takes.
    with mock.patch("django.utils.timezone.now", return_value=now):
        response = client.get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX)
    html = response.content.decode()
    assert 'id="run-progress"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "Publish the scores: 1 of 4 chunks" in html
    assert "50 of 200 customers published" in html
    assert 'value="68"' in html  # prepared (60 %), then a quarter of the chunks' 35 %
    assert "elapsed 1 min 15 s" in html
    assert "<html" not in html  # a fragment, not a page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_large_counts_of_a_run_are_grouped_but_its_id_is_not(client_for, manager, language):
    run = _run(
        pk=54321, status=RecalcRun.Status.RUNNING, total=12345, processed=2500, chunks_total=3
    )
    client = client_for(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX)

    html = response.content.decode()
    card, table = html.split('class="card"', 2)[1:]
    assert "2,500" in card
    assert "12,345" in card
    assert "2,500 / 12,345" in table
    assert "12345" not in html
    # Ids in URLs and attributes stay as they are.
    assert reverse("metrics:run_progress", args=[54321]) in html
    assert "54,321" not in html


def _progress_seen(client, run):
    """What the polled fragment shows: the bar's value, each step's state, and the status
    badges of the card and of the run's row in the runs table."""
    html = client.get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX).content.decode()
    card, table = html.split("<h2>Recent recalculations</h2>")
    return {
        "percent": int(re.search(r'<progress[^>]* value="(\d+)"', card).group(1))
        if "<progress" in card
        else None,
        "steps": re.findall(r'class="run-step-(\w+)"', card),
        "card": re.findall(r"badge run-(\w+)", card),
        "table": re.findall(r"badge run-(\w+)", table),
        "polling": 'hx-trigger="every 1s"' in html,
        "html": html,
    }


def test_progress_follows_each_real_step_of_a_run_and_the_table_follows_the_card(
    client_for, manager, monkeypatch, django_capture_on_commit_callbacks
):
    """The states a run really passes through (recalc_request, the prepare task's laps, its
    chunks, the finish), each seen through the polled fragment."""
    population(25, seed=4)
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("metrics:recalculate"))
    run = RecalcRun.objects.get()
    seen = {"queued": _progress_seen(client, run)}

    def watching(name, real):
        def watched(*args, **kwargs):
            seen[name] = _progress_seen(client, run)
            return real(*args, **kwargs)

        return watched

    monkeypatch.setattr(
        services.engine, "population_scores", watching("fitting", services.engine.population_scores)
    )
    monkeypatch.setattr(services.storage, "stage", watching("staging", services.storage.stage))
    monkeypatch.setattr(services, "_finish", watching("swapping", services._finish))
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=10)
    assert len(indices) == 3
    seen["prepared"] = _progress_seen(client, run)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    seen["chunk 1"] = _progress_seen(client, run)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[1])
    seen["chunk 2"] = _progress_seen(client, run)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[2])  # the last one finishes
    seen["done"] = _progress_seen(client, run)

    states = ["queued", "fitting", "staging", "prepared", "chunk 1", "chunk 2", "swapping"]
    assert [seen[name]["percent"] for name in states] == [0, 25, 40, 60, 71, 83, 95]
    assert [seen[name]["steps"] for name in states] == [
        ["pending"] * 5,
        ["done", "current", "pending", "pending", "pending"],
        ["done", "done", "current", "pending", "pending"],
        ["done", "done", "done", "current", "pending"],
        ["done", "done", "done", "current", "pending"],
        ["done", "done", "done", "current", "pending"],
        ["done", "done", "done", "done", "current"],
    ]
    assert "Publish the scores: 2 of 3 chunks" in seen["chunk 2"]["html"]
    assert "20 of 25 customers published" in seen["chunk 2"]["html"]
    # The runs table is in the same fragment: it never says Running once the card says Done.
    for name in states:
        expected = "queued" if name == "queued" else "running"
        assert seen[name]["card"] == seen[name]["table"] == [expected], name
        assert seen[name]["polling"], name
    done = seen["done"]
    assert done["card"] == done["table"] == ["done"]
    assert not done["polling"]
    assert "Scored 25 customers in" in done["html"]
    assert '<td class="num">25 / 25</td>' in done["html"]
    assert '<td class="num">3 / 3</td>' in done["html"]


def test_a_failed_prepare_step_is_shown_where_it_stopped(client_for, manager):
    run = _run(status=RecalcRun.Status.FAILED, timings={"inputs": 1.0}, error="out of memory")
    seen = _progress_seen(client_for(manager), run)
    assert seen["card"] == seen["table"] == ["failed"]
    assert not seen["polling"]
    assert run.percent == 25
    assert [state for _label, state in run.progress_steps()] == ["done"] + ["pending"] * 4


def test_progress_of_a_finished_run_stops_polling(client_for, manager):
    now = timezone.now()  # one reading: the run took exactly 75 s
    run = _run(
        status=RecalcRun.Status.DONE,
        total=200,
        processed=200,
        started_at=now - dt.timedelta(seconds=75),
        finished_at=now,
    )
    html = (
        client_for(manager)
        .get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX)
        .content.decode()
    )
    assert "hx-trigger" not in html
    assert "Scored 200 customers in 1 min 15 s." in html


def test_progress_of_a_failed_run_shows_the_error(client_for, manager):
    run = _run(status=RecalcRun.Status.FAILED, error="boom: disk full", finished_at=timezone.now())
    html = (
        client_for(manager)
        .get(reverse("metrics:run_progress", args=[run.pk]), headers=HTMX)
        .content.decode()
    )
    assert "hx-trigger" not in html
    assert "The recalculation failed" in html
    assert "boom: disk full" in html


def test_progress_without_htmx_goes_to_the_page_showing_that_run(client_for, manager):
    old = _run(status=RecalcRun.Status.DONE, total=3, processed=3, finished_at=timezone.now())
    _run(status=RecalcRun.Status.FAILED, error="later failure", finished_at=timezone.now())
    client = client_for(manager)
    response = client.get(reverse("metrics:run_progress", args=[old.pk]))
    assert response.status_code == 302
    assert response.url == f"{reverse('metrics:index')}?run={old.pk}#run-progress"
    page = client.get(response.url).content.decode()
    assert f"Recalculation #{old.pk}" in page
    assert "Scored 3 customers" in page


def test_progress_of_an_unknown_run_is_404(client_for, manager):
    assert client_for(manager).get(reverse("metrics:run_progress", args=[999])).status_code == 404


# --- The page's tables -------------------------------------------------------------------


def test_empty_page(client_for, manager):
    page = client_for(manager).get(reverse("metrics:index")).content.decode()
    assert "No full recalculation has run yet" in page
    assert "No recalculation yet." in page
    assert "Not fitted yet." in page


# --- Settings ------------------------------------------------------------------------------


def test_managers_see_the_settings_read_only(client_for, manager):
    page = client_for(manager).get(reverse("metrics:index")).content.decode()
    assert "Only admins can change these settings." in page
    assert "Save settings" not in page
    assert 'name="weight_historical"' in page
    assert "disabled" in page


def test_admin_saves_settings_and_a_full_run_is_queued(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("metrics:settings"), SETTINGS, follow=True)
    assert response.status_code == 200
    assert "A full recalculation has been queued" in response.content.decode()
    settings = MetricSettings.load()
    assert settings.weight_historical == Decimal("0.40")
    assert settings.horizon_months == 24
    assert settings.updated_by == admin_user
    assert RecalcRun.objects.filter(status=RecalcRun.Status.QUEUED).count() == 1


def test_saving_settings_during_a_run_says_the_next_run_uses_them(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    _run(status=RecalcRun.Status.RUNNING)
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(admin_user).post(reverse("metrics:settings"), SETTINGS, follow=True)
    assert "A recalculation is already running" in response.content.decode()
    assert MetricSettings.load().weight_historical == Decimal("0.40")
    assert RecalcRun.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight_historical": "0.50"}, "The four weights must add up to 1 (they add up to 1.1)."),
        ({"tier_a_share": "0.8", "tier_b_share": "0.3"}, "Tiers A and B together cannot exceed"),
        ({"discount_rate": "1.5"}, "Ensure this value is less than or equal to 1."),
        ({"horizon_months": ""}, "This field is required."),
    ],
)
def test_invalid_settings_are_not_saved(client_for, admin_user, changes, message):
    response = client_for(admin_user).post(reverse("metrics:settings"), {**SETTINGS, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    settings = MetricSettings.load()
    assert settings.weight_historical == Decimal("0.35")
    assert settings.updated_by is None
    assert not RecalcRun.objects.exists()


# --- Model health ---------------------------------------------------------------------------


def test_health_shows_the_method_used_without_computing_the_checks(client_for, manager):
    population(30, seed=2)
    services.full_run_sync(as_of=AS_OF)
    page = client_for(manager).get(reverse("metrics:health")).content.decode()
    assert "Method actually used" in page
    assert "Simple CLV" in page
    assert "Too little data" in page  # 30 customers: the fallback and its reason
    assert "Compute the checks" in page
    assert "Mean predicted" not in page  # the holdout check waits for the button
    # The form defaults to the last run's as-of date and 26 weeks before it.
    assert 'value="2026-11-01"' in page
    assert 'value="2026-05-03"' in page


def test_health_rejects_a_calibration_end_after_the_holdout(client_for, manager):
    query = {"calibration_end": "2026-12-01", "as_of": "2026-11-01"}
    page = client_for(manager).get(reverse("metrics:health"), query)
    assert page.status_code == 200
    assert "The calibration period must end before the holdout period." in page.content.decode()
    fragment = client_for(manager).get(reverse("metrics:health"), query, headers=HTMX)
    assert fragment.status_code == 422
    bad = client_for(manager).get(reverse("metrics:health"), {"calibration_end": "soon"})
    assert bad.status_code == 200
    assert "Enter a valid date." in bad.content.decode()


# --- Methodology -----------------------------------------------------------------------------


def test_methodology_states_our_corrections_and_the_segment_map(client_for, outsider):
    page = client_for(outsider).get(reverse("metrics:methodology")).content.decode()
    for figure in ("4500", "9000", "10475.39", "5393.50", "2200", "m × r / (1 + d − r)"):
        assert figure in page
    for _slug, name in rfm.SEGMENTS:
        assert name in page
    # One row per R score, its cells in the order of the code's grid.
    row = "".join(f"<td>{dict(rfm.SEGMENTS)[slug]}</td>" for slug in rfm.SEGMENT_GRID[5])
    assert f'<th scope="row">R 5</th>{row}' in page


def test_methodology_shows_the_current_weights_and_tiers(client_for, owner, admin_user):
    settings = MetricSettings.load()
    settings.weight_historical, settings.weight_future = Decimal("0.5"), Decimal("0.2")
    settings.tier_a_share = Decimal("0.10")
    settings.save()
    page = client_for(owner).get(reverse("metrics:methodology")).content.decode()
    assert '<td class="num">0.5</td>' in page
    assert '<td class="num">0.2</td>' in page
    assert "the top 10%" in page


# --- Django admin ------------------------------------------------------------------------------

COMPUTED_MODELS = [
    "customerscore",
    "scoresnapshot",
    "populationstats",
    "modelfit",
    "recalcrun",
    "recalcchunk",
    "dirtycustomer",
]


@pytest.mark.parametrize("model", [*COMPUTED_MODELS, "metricsettings"])
def test_the_admin_lists_every_metrics_model(client_for, admin_user, model):
    response = client_for(admin_user).get(reverse(f"admin:metrics_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", COMPUTED_MODELS)
def test_computed_rows_cannot_be_added_in_the_admin(client_for, admin_user, model):
    response = client_for(admin_user).get(reverse(f"admin:metrics_{model}_add"))
    assert response.status_code == 403


def test_a_run_is_view_only_in_the_admin(client_for, admin_user):
    run = _run(status=RecalcRun.Status.FAILED, error="boom")
    client = client_for(admin_user)
    url = reverse("admin:metrics_recalcrun_change", args=[run.pk])
    page = client.get(url).content.decode()
    assert "boom" in page
    assert 'name="_save"' not in page
    assert client.post(url, {"status": "done"}).status_code == 403
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.FAILED


def test_settings_saved_in_the_admin_are_validated_and_queue_a_full_run(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    url = reverse("admin:metrics_metricsettings_change", args=[MetricSettings.load().pk])
    bad = client.post(url, {**SETTINGS, "weight_loyalty": "0.5"})
    assert bad.status_code == 200
    assert "The four weights must add up to 1" in bad.content.decode()
    assert not RecalcRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, SETTINGS)
    assert response.status_code == 302
    assert MetricSettings.load().weight_historical == Decimal("0.40")
    assert RecalcRun.objects.filter(status=RecalcRun.Status.QUEUED).count() == 1
