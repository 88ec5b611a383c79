"""``manage.py rebuild_score_totals``: the dashboard's score totals from the scores.

Every full run rebuilds them when it swaps its scores in, and every write keeps them in
step; this rebuilds them by hand: after restoring a backup, after scores were written
outside the value engine, or once after the migration that adds them (metrics 0012)."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from metrics import totals


class Command(BaseCommand):
    help = "Rebuild the company-wide totals the dashboard reads from the current scores."

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = totals.rebuild()
        self.stdout.write(
            _("Score totals rebuilt: %(rows)s rows in %(seconds).1f s.")
            % {"rows": rows, "seconds": time.monotonic() - started}
        )
