"""Reading CSV files as a stream of records, never the whole file at once.

``csv.reader`` runs over an ``io.TextIOWrapper`` of the binary file, so memory stays flat
however large the file. Bytes that do not decode are let through as lone surrogates
(``errors="surrogateescape"``) and caught line by line, which lets the error name the
exact line; a strict decoder fails somewhere in an 8 KB chunk instead.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import cells as cells_module

# Encodings offered on the upload form. All keep "\n" a single byte that never occurs
# inside a multi-byte character, so line numbers stay exact.
ENCODINGS = [
    ("utf-8", gettext_lazy("UTF-8 (with or without BOM)")),
    ("cp1252", gettext_lazy("Windows-1252 (Western European Excel)")),
    ("latin-1", gettext_lazy("ISO-8859-1 (Latin-1)")),
    ("gb18030", gettext_lazy("GB18030 (Simplified Chinese Excel)")),
]
# The delimiter of columns aligned with runs of spaces or tabs, as in text reports and
# transaction logs (``00001 19970101  1  11.77``): any run of blanks separates two cells.
WHITESPACE = " "
DELIMITERS = [
    ("", gettext_lazy("Detect from the file")),
    (",", gettext_lazy("Comma")),
    (";", gettext_lazy("Semicolon")),
    ("\t", gettext_lazy("Tab")),
    (WHITESPACE, gettext_lazy("Spaces (aligned columns)")),
]
HEADER_CHOICES = [
    ("", gettext_lazy("Detect from the file")),
    ("yes", gettext_lazy("Names the columns")),
    ("no", gettext_lazy("Is data: the file has no header line")),
]
_CANDIDATE_DELIMITERS = ",;\t|"
# Lines read to tell the delimiter, and data rows kept to guess the mapping and dates.
SNIFF_LINES = 20
SAMPLE_ROWS = 200
_UNDECODED = re.compile("[\udc80-\udcff]")
_CHUNK = 1024 * 1024


class FileError(Exception):
    """The file cannot be read from ``line`` on (None: not at all)."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line


def _codec(encoding):
    # utf-8-sig drops a byte order mark when there is one and reads plain UTF-8 otherwise.
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _checked_lines(text, encoding):
    for number, line in enumerate(text, start=1):
        if "\x00" in line:
            if number == 1:
                raise FileError(
                    _(
                        "The file looks like UTF-16 text, not CSV. Save it from your "
                        "spreadsheet as “CSV UTF-8” and upload it again."
                    ),
                    line=1,
                )
            raise FileError(_("Line %(line)s contains a NUL byte.") % {"line": number}, number)
        bad = _UNDECODED.search(line)
        if bad:
            raise FileError(
                _(
                    "Line %(line)s is not valid %(encoding)s (byte 0x%(byte)02X at "
                    "character %(position)s). Save the file as UTF-8, or choose its "
                    "encoding on the upload form."
                )
                % {
                    "line": number,
                    "encoding": encoding.upper(),
                    "byte": ord(bad.group()) - 0xDC00,
                    "position": bad.start() + 1,
                },
                number,
            )
        yield line


def _text(stream, encoding):
    return io.TextIOWrapper(stream, encoding=_codec(encoding), errors="surrogateescape", newline="")


def _aligned_lines(lines):
    """Lines of an aligned file made readable by ``csv.reader`` with a space delimiter that
    skips the spaces after it: tabs become spaces, and the blanks around a line go (a
    quoted cell may still hold spaces: ``"Acme Inc"  20260131``)."""
    for line in lines:
        yield line.replace("\t", " ").strip(" \r\n") + "\n"


def _reader(lines, delimiter, **kwargs):
    if delimiter == WHITESPACE:
        return csv.reader(_aligned_lines(lines), delimiter=" ", skipinitialspace=True, **kwargs)
    return csv.reader(lines, delimiter=delimiter, **kwargs)


def _aligned_cells(line):
    try:
        return next(_reader([line], WHITESPACE, strict=True))
    except csv.Error:
        return None


def _aligned_header(line, width):
    """The header of an aligned file: split like its rows or, when that gives more cells than
    the rows have, at runs of two or more blanks, since names may hold one space ("dollar
    value")."""
    cells = _aligned_cells(line) or [line.strip()]
    if len(cells) > width:
        wide = re.split(r"\s{2,}|\t", line.strip())
        if len(wide) == width:
            return wide
    return cells


def _is_aligned(lines):
    """Whether the lines (header first) are columns separated by runs of blanks: every data
    line splits into the same number of cells, at least two, and so does the header."""
    data = [_aligned_cells(line) for line in lines[1:]]
    widths = {len(cells) if cells else 0 for cells in data}
    if len(widths) != 1:
        return False
    width = widths.pop()
    return width >= 2 and len(_aligned_header(lines[0], width)) == width


def sniff_delimiter(header_line, data_lines=()):
    """The candidate delimiter used most in the header line; else aligned columns when the
    lines split into the same columns at runs of blanks; else a comma (one column)."""
    counts = {d: header_line.count(d) for d in _CANDIDATE_DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    if data_lines and _is_aligned([header_line, *data_lines]):
        return WHITESPACE
    return ","


def _first_lines(stream, encoding, count):
    """Up to ``count`` non-blank lines from the start of the stream. Only the first must
    decode: a bad line further down is left for the validation to report by its number."""
    text = _text(stream, encoding)
    lines = []
    try:
        checked = _checked_lines(text, encoding)
        while len(lines) < count:
            try:
                line = next(checked)
            except StopIteration:
                break
            except FileError:
                if not lines:
                    raise
                break
            if line.strip():
                lines.append(line)
    finally:
        text.detach()
    return lines


def looks_like_data(cells):
    """Whether a first line holds values rather than column names: some cell is a number
    or a date, which no column name is."""
    return any(cells_module.looks_like_value(cell) for cell in cells if cell.strip())


@dataclass
class FileShape:
    """What the start of a file says about it: its column names (blank ones when it has no
    header line), its delimiter, whether the first line names the columns, and its first
    data rows."""

    headers: list
    delimiter: str
    has_header: bool
    rows: list = field(default_factory=list)


def inspect(stream, *, encoding, delimiter="", has_header=None):
    """The shape of a binary stream, read from its first lines; the stream stays open at the
    position it had. ``delimiter`` "" and ``has_header`` None are detected."""
    start = stream.tell()
    lines = _first_lines(stream, encoding, SNIFF_LINES)
    stream.seek(start)
    if not lines:
        raise FileError(_("The file is empty."))
    delimiter = delimiter or sniff_delimiter(lines[0], lines[1:])
    rows = _sample(stream, encoding, delimiter)
    stream.seek(start)
    if not rows:
        raise FileError(_("The file is empty."))
    first, data = rows[0], rows[1:]
    if has_header is None:
        has_header = not looks_like_data(first)
    width = max(len(cells) for cells in rows)
    if not has_header:
        return FileShape([""] * width, delimiter, False, rows)
    if delimiter == WHITESPACE and data:
        first = _aligned_header(lines[0], max(len(cells) for cells in data))
    return FileShape([header.strip() for header in first], delimiter, True, data)


def _sample(stream, encoding, delimiter):
    """The first records of the stream; a record that cannot be read ends the sample (the
    validation reports it by its line), unless it is the first."""
    rows = []
    records = iter_records(stream, encoding=encoding, delimiter=delimiter)
    try:
        for _line, cells in islice(records, SAMPLE_ROWS + 1):
            rows.append(cells)
    except FileError:
        if not rows:
            raise
    finally:
        records.close()
    return rows


def read_header(stream, *, encoding, delimiter=""):
    """(headers, delimiter) from the first line of a binary stream, which stays open."""
    shape = inspect(stream, encoding=encoding, delimiter=delimiter, has_header=True)
    return shape.headers, shape.delimiter


def iter_records(stream, *, encoding, delimiter):
    """(line number, cells) for each non-blank record of a binary stream, header first.

    The line number is where the record starts, so it matches what a text editor shows
    even when a quoted cell spans several lines.
    """
    text = _text(stream, encoding)
    # Strict: a stray quote is an error, not a cell that silently swallows the next rows.
    reader = _reader(_checked_lines(text, encoding), delimiter, strict=True)
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(
                    _("Line %(line)s cannot be read as CSV (%(error)s); check its quotes.")
                    % {"line": reader.line_num, "error": exc},
                    reader.line_num,
                ) from exc
            if any(cell.strip() for cell in cells):
                yield start, cells
    finally:
        # The caller opened the stream and closes it; the wrapper would close it too.
        if not text.closed:
            text.detach()


def estimate_rows(stream):
    """Data rows in a binary stream, counted by line breaks in 1 MB chunks (a quoted cell
    spanning lines makes this an over-estimate, which is fine for a progress bar)."""
    lines = 0
    last = b"\n"
    while chunk := stream.read(_CHUNK):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)
