"""``manage.py recalculate_metrics``: a full recalculation of every customer's metrics, in
this process (default) or queued for the workers (--async)."""

import argparse
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics import services
from metrics.models import CustomerScore, ModelFit, RecalcRun


def _date(value):
    # An argparse error: a usage message and exit code 2 on the command line, a
    # CommandError from call_command.
    try:
        return services.validate_as_of(value)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(
            _("expected a date as YYYY-MM-DD, got %(value)r.") % {"value": value}
        ) from error


PARAMETER_ORDER = {
    ModelFit.Kind.BGNBD: ("r", "alpha", "a", "b"),
    ModelFit.Kind.GAMMA_GAMMA: ("p", "q", "gamma"),
}


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (as in seed_demo).
    help = "Recalculate every customer's metrics (RFM, CLV, model fits, value score, tiers)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help="Compute as of this date, YYYY-MM-DD (default: what the 'score as of' "
            "setting says: today, the last order date or a fixed date).",
        )
        parser.add_argument(
            "--async",
            action="store_true",
            dest="queue",
            help="Queue the run for the Celery workers and print its id.",
        )
        parser.add_argument(
            "--if-no-scores",
            action="store_true",
            help="Do nothing when customers already have scores.",
        )

    def handle(self, *args, as_of, queue, if_no_scores, **options):
        if if_no_scores and CustomerScore.objects.exists():
            self.stdout.write(_("Customers already have scores; nothing to do."))
            return
        as_of = as_of or services.scoring_as_of(today=timezone.localdate())
        try:
            if queue:
                run = services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=as_of)
                self.stdout.write(
                    _("Queued full recalculation #%(id)s as of %(as_of)s.")
                    % {"id": run.pk, "as_of": as_of}
                )
                return
            started = time.monotonic()
            run = services.full_run_sync(as_of=as_of, trigger=RecalcRun.Trigger.USER)
        except services.RecalcAlreadyRunning as error:
            active = error.run
            raise CommandError(
                _("A full recalculation is already running (#%(id)s, %(status)s); try later.")
                % {
                    "id": active.pk if active else "?",
                    "status": active.get_status_display() if active else "",
                }
            ) from error
        self.stdout.write(
            _("Recalculated %(n)s customers as of %(as_of)s in %(seconds).1f s (run #%(id)s).")
            % {
                "n": run.processed,
                "as_of": as_of,
                "seconds": time.monotonic() - started,
                "id": run.pk,
            }
        )
        for fit in ModelFit.objects.filter(run=run).order_by("kind"):
            # In the models' own order: PostgreSQL's jsonb does not keep the keys' order.
            params = ", ".join(
                f"{name} {fit.params[name]:.4g}"
                for name in PARAMETER_ORDER[fit.kind]
                if name in fit.params
            )
            self.stdout.write(
                _("%(model)s: %(state)s (%(n)s repeat customers). %(params)s %(message)s")
                % {
                    "model": fit.get_kind_display(),
                    "state": _("fitted") if fit.converged else _("not used"),
                    "n": fit.customers,
                    "params": f"({params})" if params else "",
                    "message": fit.message,
                }
            )
