"""How pages and emails name a person: ``{% load people %}`` then ``{{ activity.author|person }}``.

Authors, assignees, owners and "entered by" users may be empty: a survey follow-up task and
the note an unsubscribe adds have no author, bulk-loaded orders no ``created_by``, a
customer may have no owner. ``x.get_full_name|default:x.username`` breaks on those: a
filter argument that does not resolve raises (a 500), unlike the value before the ``|``.
This filter takes the user itself, so an empty one is simply "", and ``|default:`` names
it (``{{ activity.author|person|default:_("CRM") }}``).

Registered as the template library ``people`` in ``settings.TEMPLATES`` (``core`` is not
an app, so it has no ``templatetags`` package).
"""

from typing import Any

from django import template

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """The user's full name, else their username; "" when there is no user."""
    if not user:
        return ""
    return str(user.get_full_name() or user.get_username())
