from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from customers.signals import customer_merging

        from . import receivers

        customer_merging.connect(receivers.move_invitations, dispatch_uid="surveys.merge")
