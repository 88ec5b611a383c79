"""``manage.py rebuild_customer_months``: rewrite the purchase summary the dashboard and the
cohort page read (``orders.summary``) from the orders, for the metrics settings' inactivity
window. After a bulk load that bypassed the order services, or a change of that window."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from metrics.models import MetricSettings
from orders import summary


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (as Django's own commands).
    help = "Rewrite the purchase summary of the dashboard and cohorts from the orders."

    def handle(self, *args, **options):
        started = time.monotonic()
        summary.rebuild(window=MetricSettings.load().churn_inactivity_days + 1)
        self.stdout.write(
            _("Purchase summary rebuilt in %(seconds).1f s.")
            % {"seconds": time.monotonic() - started}
        )
