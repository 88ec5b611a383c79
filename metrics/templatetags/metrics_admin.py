from django import template
from django.utils.translation import gettext as _

from metrics import explain

register = template.Library()


@register.filter
def fit_message(message):
    """A model fit's message, stored in English, in the active language."""
    return explain.fit_message(message or "")


@register.filter
def duration(value):
    """A timedelta as "1 h 02 min", "3 min 05 s" or "4.2 s"; "—" when unknown."""
    if value is None:
        return "—"
    seconds = max(value.total_seconds(), 0)
    if seconds < 60:
        return _("%(s).1f s") % {"s": seconds}
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


@register.filter
def param(params, name):
    """One fitted parameter from a ModelFit's params, to four significant places."""
    value = (params or {}).get(name)
    return "—" if value is None else f"{value:.4g}"
