"""The names people read for the models' codes: RFM segments, NPS categories and the score's
components. They are marked for translation here, beside the codes they name, so that
``makemessages`` extracts them; ``gettext_lazy`` (``pgettext_lazy`` for the one-word names
that mean something else elsewhere) is this package's only Django import and translates when
a page renders the label. Show a segment through ``segment_label``, never ``_(english)``.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy, pgettext_lazy

from . import rfm
from .company import DETRACTOR, PASSIVE, PROMOTER
from .score import FUTURE, HISTORICAL, INFLUENCE, LOYALTY

if TYPE_CHECKING:
    # A str or a lazily translated one (django-stubs' name for it; for the type checker only).
    from django_stubs_ext import StrOrPromise

SEGMENT_LABELS = {
    rfm.CHAMPIONS: gettext_lazy("Champions"),
    rfm.LOYAL: gettext_lazy("Loyal"),
    rfm.POTENTIAL_LOYALIST: gettext_lazy("Potential loyalist"),
    rfm.NEW: pgettext_lazy("RFM segment", "New"),
    rfm.PROMISING: gettext_lazy("Promising"),
    rfm.NEED_ATTENTION: gettext_lazy("Need attention"),
    rfm.ABOUT_TO_SLEEP: gettext_lazy("About to sleep"),
    rfm.AT_RISK: gettext_lazy("At risk"),
    rfm.CANNOT_LOSE: gettext_lazy("Cannot lose them"),
    rfm.HIBERNATING: gettext_lazy("Hibernating"),
    rfm.LOST: pgettext_lazy("RFM segment", "Lost"),
}
NPS_LABELS = {
    PROMOTER: gettext_lazy("Promoter"),
    PASSIVE: gettext_lazy("Passive"),
    DETRACTOR: gettext_lazy("Detractor"),
}
COMPONENT_LABELS = {
    HISTORICAL: gettext_lazy("Historical value"),
    FUTURE: gettext_lazy("Future value"),
    LOYALTY: gettext_lazy("Loyalty"),
    INFLUENCE: gettext_lazy("Influence"),
}


def segment_label(slug: str) -> "StrOrPromise":
    return SEGMENT_LABELS.get(slug, slug)


def segment_choices() -> list[tuple[str, "StrOrPromise"]]:
    """(slug, translated label) of the 11 RFM segments, in the methodology's order."""
    return [(slug, SEGMENT_LABELS[slug]) for slug, _english in rfm.SEGMENTS]


# Best first, as lists and filters show them (score.TIERS runs lowest first for classify).
TIER_CHOICES = [("A", gettext_lazy("A")), ("B", gettext_lazy("B")), ("C", gettext_lazy("C"))]
