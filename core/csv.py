"""CSV files for spreadsheets, written one way by every export (customers, orders, survey
answers, import error reports).

- A cell is never run as a formula: text starting with = + - @ (or a tab or carriage
  return) gets a leading apostrophe, as OWASP advises; numbers, negative ones too, stay
  numbers. Imports strip that apostrophe again (``dataio.cells.text``).
- The file starts with a byte order mark, without which Excel reads UTF-8 as its legacy
  code page and garbles accented names.
- It is streamed line by line, so an export of a million rows is never held in memory.
"""

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as spreadsheet text that is never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if isinstance(value, int | float | Decimal):
        return text
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[object], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The CSV text, one line at a time, a byte order mark first so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(
    *, filename: str, header: Iterable[object], rows: Iterable[Iterable[object]]
) -> StreamingHttpResponse:
    """A streamed CSV download of ``header`` and ``rows`` (an iterable of lists)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
