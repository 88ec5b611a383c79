"""What the bulk writes of every app share: their errors, item by item."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class ItemsInvalid(ValidationError):
    """Items of an all-or-nothing bulk write that are invalid, by position from 0:
    ``errors`` {index: ValidationError}. Raised once every item was checked, so the caller
    can list them all; nothing was written."""

    def __init__(self, errors: Mapping[int, ValidationError]) -> None:
        super().__init__(_("Some items are invalid; nothing was written."), code="items_invalid")
        self.errors = dict(sorted(errors.items()))
