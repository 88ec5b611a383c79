from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from core import languages, roles

        from . import languages as user_languages  # noqa: F401 (connects its login receiver)
        from . import selectors

        # Permissions of apps migrated after the role migration join their roles here.
        post_migrate.connect(roles.sync_role_permissions_on_migrate, dispatch_uid="crm.roles")
        # The apps' emails to users (task reminders) ask core for the profile's language.
        languages.register_users_languages(selectors.users_languages)
