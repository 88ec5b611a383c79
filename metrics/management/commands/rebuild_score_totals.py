"""``manage.py rebuild_score_totals``: the dashboard's score totals from the scores, and
the customers each campaign acquired (campaigns.AcquiredCount) from the customers.

Every full run rebuilds the score totals when it swaps its scores in, and every write keeps
both in step; this rebuilds them by hand: after restoring a backup, after scores or
customers were written outside the services (a raw SQL load), or once after the migration
that adds them (metrics 0012)."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from campaigns.services import acquired_recount
from metrics import totals


class Command(BaseCommand):
    help = (
        "Rebuild the company-wide totals the dashboard reads from the current scores, and "
        "count the customers each campaign acquired."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = totals.rebuild()
        campaigns = acquired_recount()
        self.stdout.write(
            _(
                "Score totals rebuilt: %(rows)s rows, and the customers acquired by "
                "%(campaigns)s campaigns counted, in %(seconds).1f s."
            )
            % {"rows": rows, "campaigns": campaigns, "seconds": time.monotonic() - started}
        )
