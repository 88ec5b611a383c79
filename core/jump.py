"""A keyset-paged list's "jump to": a place in the list's current sort given by value (a
name's or a number's first characters, a day, a number) instead of a page number, which a
keyset-paged list has none of (core.pagination, issue 14).

Each list says what its sorts take (``Prefix``, ``Day``, ``Number``: each makes the form
field that validates and converts the text); ``JumpForm`` binds the query parameter
``from`` for the current sort and pages the list from there. Text that is not a value of
the sort's kind is an error shown beside the field (the view answers 400 and the list's
first page), never a 500 and never silently ignored. The field sits in the results, owned
by a ``<form id="{form_id}">`` of its own outside the filter form (its "form" attribute),
so a jump carries the filters and the sort (``partials/list_jump.html``) and a change of
filter carries no jump.
"""

import datetime as dt
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from .html import FastInput
from .pagination import Keyset, KeysetPage, KeyValue, keyset_paginate

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def after_prefix(prefix: str) -> str:
    """The first text after every text starting with ``prefix``: its last character moved
    one on (a surrogate, which no database takes, skipped). ValueError for a prefix that has
    none (empty, or ending with the last character there is)."""
    following = ord(prefix[-1]) + 1 if prefix else sys.maxunicode + 1
    if following > sys.maxunicode:
        raise ValueError(prefix)
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return prefix[:-1] + chr(following)


@dataclass(frozen=True)
class Where:
    """Where a jump starts: the key value ``keyset_paginate`` starts from (inclusive) and,
    for a descending prefix, the text the list must stay before."""

    start: KeyValue
    before: str | None = None


@dataclass(frozen=True)
class Jump(ABC):
    """What a list's jump takes in one sort: the field's label when the list is ascending
    and when it is descending, the field (``attrs`` for its input) and how the field's
    value becomes a place in the list."""

    ascending: "StrOrPromise"
    descending: "StrOrPromise"

    @abstractmethod
    def field(self, attrs: dict[str, str]) -> forms.Field: ...

    @abstractmethod
    def where(self, value: Any, *, descending: bool) -> Where: ...


class _TextInput(FastInput, forms.TextInput):
    pass


class _DateInput(FastInput, forms.DateInput):
    pass


class _NumberInput(FastInput, forms.NumberInput):
    pass


@dataclass(frozen=True)
class Prefix(Jump):
    """The first characters of a text key (a name, an order number). Ascending, the list
    starts at the first text with them; descending at the last one, so it reads the texts
    before the next prefix, which is left out ("M" reads from the last "M…" down, without a
    text that is exactly "N")."""

    # The error for a prefix with no next one (ending with the last character there is).
    invalid: "StrOrPromise"
    max_length: int
    # How texts of the key are written, so a prefix typed another way finds them ("so" would
    # sort after every "SO").
    normalize: Callable[[str], str] = str
    attrs: Mapping[str, str] = field(default_factory=dict)

    def field(self, attrs: dict[str, str]) -> forms.Field:
        return forms.CharField(
            max_length=self.max_length, widget=_TextInput({**attrs, **self.attrs})
        )

    def where(self, value: str, *, descending: bool) -> Where:
        text = self.normalize(value)
        if not descending:
            return Where(text)
        try:
            after = after_prefix(text)
        except ValueError:
            raise ValidationError(self.invalid, code="invalid") from None
        return Where(after, before=after)


@dataclass(frozen=True)
class Day(Jump):
    """A day: on or after it ascending, on or before it descending. ``moment``: the key is a
    point in time (created at), so the day is its whole span in the current time zone."""

    moment: bool = False

    def field(self, attrs: dict[str, str]) -> forms.Field:
        return forms.DateField(widget=_DateInput({**attrs, "type": "date"}, "%Y-%m-%d"))

    def where(self, value: dt.date, *, descending: bool) -> Where:
        if not self.moment:
            return Where(value)
        moment = dt.datetime.combine(value, dt.time.max if descending else dt.time.min)
        try:
            return Where(timezone.make_aware(moment).astimezone(dt.UTC))
        except OverflowError:
            # The calendar's first or last day, east or west of UTC: the list's end.
            if descending:
                return Where(dt.datetime.max.replace(tzinfo=dt.UTC))
            return Where(dt.datetime.min.replace(tzinfo=dt.UTC))


@dataclass(frozen=True)
class Number(Jump):
    """A number: at least it ascending, at most it descending. With ``digits`` (the
    column's max_digits and decimal_places) a decimal no bigger than the column holds, else
    any finite number; ``per`` divides it (100: a percentage typed for a fraction)."""

    digits: tuple[int, int] | None = None
    min_value: int | None = None
    per: int = 1

    def field(self, attrs: dict[str, str]) -> forms.Field:
        widget = _NumberInput(attrs)
        if self.digits is None:
            return forms.FloatField(min_value=self.min_value, widget=widget)
        max_digits, decimal_places = self.digits
        return forms.DecimalField(
            max_digits=max_digits,
            decimal_places=decimal_places,
            min_value=self.min_value,
            widget=widget,
        )

    def where(self, value: float | Decimal, *, descending: bool) -> Where:
        return Where(value / self.per)


class JumpForm(forms.Form):
    """The jump (query parameter ``from``) of a list paged in ``keyset``'s order, with the
    field ``jumps`` gives its sort (keyed by the sort's name without "-"). Bound only when a
    value was sent. ``kept``: the list's filter parameters, carried over as they were sent;
    ``label_args`` fill the labels' placeholders."""

    def __init__(
        self,
        data: QueryDict,
        *,
        jumps: Mapping[str, Jump],
        keyset: Keyset,
        form_id: str,
        kept: Iterable[str] = (),
        label_args: Mapping[str, str] | None = None,
    ) -> None:
        text = (data.get("from") or "").strip()
        super().__init__({"from": text} if text else None, auto_id=f"{form_id}-%s")
        self.keyset = keyset
        self.jump = jumps[keyset.name.removeprefix("-")]
        self.form_id = form_id
        self.error_id = f"{form_id}-error"
        self.sort = keyset.name
        self.kept = [(name, value) for name in kept if (value := data.get(name))]
        self.where: Where | None = None
        label = self.jump.descending if keyset.descending else self.jump.ascending
        self.fields["from"] = self.jump.field({"form": form_id, "autocomplete": "off"})
        self.fields["from"].label = label % label_args if label_args else label
        if self.is_bound and not self.is_valid():
            self.fields["from"].widget.attrs["aria-describedby"] = self.error_id

    def clean_from(self) -> Any:
        value = self.cleaned_data["from"]
        self.where = self.jump.where(value, descending=self.keyset.descending)
        return value

    @property
    def jumped(self) -> bool:
        """A valid value was sent: the list starts at it."""
        return self.where is not None

    def paginate(
        self,
        queryset: QuerySet[Any],
        *,
        cursor: str | None,
        valued: QuerySet[Any] | None = None,
    ) -> KeysetPage[Any]:
        """The list's page: from the jump's place when there is one (a cursor sent with it
        would contradict it, and is ignored), else the cursor's page, else the first.
        ``valued``: as ``keyset_paginate``'s."""
        if self.where is None:
            return keyset_paginate(queryset, self.keyset, cursor=cursor, valued=valued)
        if self.where.before is not None:
            before = {f"{self.keyset.key}__lt": self.where.before}
            queryset = queryset.filter(**before)
            valued = None if valued is None else valued.filter(**before)
        return keyset_paginate(queryset, self.keyset, start=self.where.start, valued=valued)
