"""The loop every import shares: stream records, parse rows, group the lines of one
order, and hand batches to an importer, which checks them with a few set-based queries
per batch and, when writing, saves them with bulk operations.

Importers implement ``parse(line, cells) -> Row`` and ``process(units, write)``; a unit
is the list of consecutive rows that make one object (one customer, one order).
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.selectors import customers_visible_to
from orders.models import Order
from orders.selectors import orders_visible_to

from . import cells as cells_module
from . import parsing

BATCH_ROWS = 1000
MAX_STORED_ERRORS = 200
PREVIEW_ROWS = 20
LATEST_DATE_SLACK_DAYS = 1


@dataclass
class RowError:
    row: int | None
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Row:
    """One parsed data row: typed ``values`` by field, and field-level ``errors``."""

    line: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # (field name or "", message)
    group: str | None = None

    def error(self, field_name, message):
        self.errors.append((field_name, str(message)))


class Report:
    """Counts, the first errors and the first preview rows of one run. Every error also
    goes to ``on_error`` (the full downloadable report, or a command's stderr)."""

    def __init__(self, *, headers=(), mapping=None, on_error=None):
        self.headers = list(headers)
        self.mapping = mapping or {}
        self.on_error = on_error
        self.rows = 0
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.new_customers = 0
        self.error_rows = 0
        self.errors = []
        self.preview_columns = []
        self.preview = []

    @property
    def has_errors(self):
        return self.error_rows > 0

    def column_name(self, field_name):
        index = self.mapping.get(field_name)
        if index is None or index >= len(self.headers):
            return ""
        return self.headers[index] or _("column %(number)s") % {"number": index + 1}

    def add(self, line, field_name, message):
        error = RowError(line, self.column_name(field_name), str(message))
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(error)
        if self.on_error:
            self.on_error(error)

    def reject(self, rows):
        """Count ``rows`` as failed and report their errors."""
        for row in rows:
            for field_name, message in row.errors:
                self.add(row.line, field_name, message)
            self.error_rows += 1

    def file_error(self, message, line=None):
        self.add(line, "", message)
        self.error_rows += 1

    def count(self, action):
        setattr(self, action, getattr(self, action) + 1)

    @property
    def wants_preview(self):
        return len(self.preview) < PREVIEW_ROWS

    def add_preview(self, line, action, values):
        self.preview.append({"row": line, "action": action, "values": values})


class Importer:
    """What both importers share: who imports, how columns map, and the report."""

    # The models whose tables an import writes in bulk: analyzed after it commits.
    filled_models: tuple = ()

    def __init__(self, *, scope, mapping, options, report):
        self.scope = scope
        self.mapping = mapping
        self.options = options
        self.report = report
        # Dates after this are a row error (docs/import-export.md): an order, an
        # acquisition or a churn is never in the future; the day of slack covers time
        # zones ahead of the server's.
        self.latest_date = timezone.localdate() + dt.timedelta(days=LATEST_DATE_SLACK_DAYS)

    def parse_date(self, value):
        """A date cell in the file's format, no later than ``latest_date``."""
        day = cells_module.parse_date(value, self.options.date_format)
        if day > self.latest_date:
            raise cells_module.CellError(
                _("%(date)s is in the future; dates may be at most one day after today.")
                % {"date": formats.date_format(day)}
            )
        return day

    def cells_of(self, cells):
        """{field: stripped text} of the mapped cells; blank cells are left out."""
        values = {}
        for name, index in self.mapping.items():
            value = cells_module.text(cells[index]) if index < len(cells) else ""
            if value:
                values[name] = value
        return values

    def writing(self, write):
        return write and not self.report.has_errors


class Scope:
    """Who is importing. ``user`` None is the operator of a management command run
    without --user: every customer is in scope and owners come from the file."""

    def __init__(self, user):
        self.user = user

    def customers(self):
        if self.user is None:
            return Customer.objects.all()
        return customers_visible_to(self.user)

    def orders(self):
        if self.user is None:
            return Order.objects.all()
        return orders_visible_to(self.user)

    @property
    def can_reassign(self):
        return self.user is None or self.user.has_perm("customers.reassign_customer")


@dataclass
class Options:
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = "iso"
    create_customers: bool = False
    new_customer_kind: str = "company"
    without_external_id: bool = False
    # False: the file has no header line, its first line is a row like the others.
    header: bool = True

    @classmethod
    def from_dict(cls, data):
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _units(rows):
    """Consecutive rows with the same group key make one unit; a None key stands alone."""
    unit = []
    for row in rows:
        if unit and (row.group is None or row.group != unit[-1].group):
            yield unit
            unit = []
        unit.append(row)
    if unit:
        yield unit


def _batches(units, size):
    batch, rows = [], 0
    for unit in units:
        batch.append(unit)
        rows += len(unit)
        if rows >= size:
            yield batch, rows
            batch, rows = [], 0
    if batch:
        yield batch, rows


def _parse(importer, line, cells, width):
    """The importer's row, with an error when the row has more or fewer cells than the
    header: its values would land in the wrong columns, or be read as blanks."""
    row = importer.parse(line, cells)
    if len(cells) != width:
        row.error(
            "",
            _("The row has %(cells)s cells but the header has %(columns)s.")
            % {"cells": len(cells), "columns": width},
        )
    return row


def run(*, importer, stream, write, progress=None):
    """Read ``stream`` to the end through ``importer`` and return its report. Importers
    write only while no row has failed; the caller's transaction rolls back the batches
    written before a failing one."""
    report = importer.report
    records = parsing.iter_records(
        stream, encoding=importer.options.encoding, delimiter=importer.options.delimiter
    )
    try:
        header = next(records, None)
        if header is None:
            report.file_error(_("The file is empty."))
            return report
        # The columns the job read from the header (an aligned file's header may split
        # differently from its rows), else the header record's cells.
        width = len(report.headers) or len(header[1])
        if not importer.options.header:
            records = itertools.chain([header], records)
        rows = (_parse(importer, line, cells, width) for line, cells in records)
        for batch, count in _batches(_units(rows), BATCH_ROWS):
            importer.process(batch, write=write)
            report.rows += count
            if progress:
                progress(report.rows)
    except parsing.FileError as exc:
        report.file_error(exc.message, exc.line)
        return report
    if report.rows == 0:
        report.file_error(_("The file has a header but no data rows."))
    return report
