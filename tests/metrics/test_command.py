from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from metrics.models import CustomerScore, RecalcRun
from tests.metrics.population import AS_OF, population


def run(*args):
    out = StringIO()
    call_command("recalculate_metrics", *args, stdout=out)
    return out.getvalue()


def test_default_runs_a_full_recalculation_and_reports_it(db):
    population(150, seed=7)
    output = run("--as-of", "2026-11-01")
    run_ = RecalcRun.objects.get()
    assert run_.status == RecalcRun.Status.DONE
    assert run_.as_of == AS_OF
    assert CustomerScore.objects.count() == 150
    assert "Recalculated 150 customers as of 2026-11-01 in " in output
    assert f"(run #{run_.pk})" in output
    assert "BG/NBD: fitted (69 repeat customers). (r 0." in output
    assert "alpha " in output
    assert "Gamma-Gamma: fitted (" in output
    assert "gamma " in output


def test_too_little_data_says_which_model_is_not_used(db):
    population(5, seed=1)
    output = run("--as-of", "2026-11-01")
    assert "BG/NBD: not used (" in output
    assert "Too little data" in output


def test_if_no_scores_does_nothing_when_scores_exist(db):
    population(10, seed=2)
    run("--as-of", "2026-11-01")
    output = run("--if-no-scores", "--as-of", "2026-11-01")
    assert "nothing to do" in output
    assert RecalcRun.objects.count() == 1


def test_if_no_scores_runs_when_there_are_none(db):
    population(10, seed=2)
    output = run("--if-no-scores", "--as-of", "2026-11-01")
    assert "Recalculated 10 customers" in output
    assert CustomerScore.objects.count() == 10


def test_async_queues_a_run_and_prints_its_id(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        output = run("--async", "--as-of", "2026-11-01")
    queued = RecalcRun.objects.get()
    assert queued.status == RecalcRun.Status.QUEUED
    assert len(callbacks) == 1
    assert output.strip() == f"Queued full recalculation #{queued.pk} as of 2026-11-01."


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", ""])
def test_a_bad_date_is_a_clear_error(db, value):
    with pytest.raises(CommandError, match="argument --as-of: expected a date as YYYY-MM-DD"):
        run("--as-of", value)
    assert not RecalcRun.objects.exists()


@pytest.mark.parametrize("flags", [[], ["--async"]])
def test_an_active_run_is_a_clear_error_with_exit_code_1(db, flags):
    active = RecalcRun.objects.create(as_of=AS_OF, status=RecalcRun.Status.RUNNING)
    with pytest.raises(CommandError) as excinfo:
        run(*flags, "--as-of", "2026-11-01")
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == (
        f"A full recalculation is already running (#{active.pk}, Running); try later."
    )
    assert RecalcRun.objects.count() == 1
