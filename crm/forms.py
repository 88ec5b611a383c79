from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .selectors import profile_language


class LanguageSelect(forms.Select):
    """A language's own name is marked with its language (``lang="en"``), as in the
    switcher: a screen reader pronounces it right, and it is not a message to translate."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        widget=LanguageSelect,
        help_text=_("The language of your pages and of the emails the CRM sends you."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Each language in its own name: whoever cannot read this page finds theirs.
        self.fields["language"].choices = [
            ("", _("Your browser's language")),
            *((code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES),
        ]
        if not self.is_bound:
            self.initial["language"] = profile_language(user=user)
