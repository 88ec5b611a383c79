"""Reading CSV files as a stream of records, never the whole file at once.

``csv.reader`` runs over an ``io.TextIOWrapper`` of the binary file, so memory stays flat
however large the file. Bytes that do not decode are let through as lone surrogates
(``errors="surrogateescape"``) and caught line by line, which lets the error name the
exact line; a strict decoder fails somewhere in an 8 KB chunk instead.
"""

import csv
import io
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Encodings offered on the upload form. All keep "\n" a single byte that never occurs
# inside a multi-byte character, so line numbers stay exact.
ENCODINGS = [
    ("utf-8", gettext_lazy("UTF-8 (with or without BOM)")),
    ("cp1252", gettext_lazy("Windows-1252 (Western European Excel)")),
    ("latin-1", gettext_lazy("ISO-8859-1 (Latin-1)")),
    ("gb18030", gettext_lazy("GB18030 (Simplified Chinese Excel)")),
]
DELIMITERS = [
    ("", gettext_lazy("Detect from the header")),
    (",", gettext_lazy("Comma")),
    (";", gettext_lazy("Semicolon")),
    ("\t", gettext_lazy("Tab")),
]
_CANDIDATE_DELIMITERS = ",;\t|"
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


def sniff_delimiter(header_line):
    """The candidate delimiter used most in the header line; a comma when none is."""
    counts = {d: header_line.count(d) for d in _CANDIDATE_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_header(stream, *, encoding, delimiter=""):
    """(headers, delimiter) from the first line of a binary stream, which stays open."""
    text = _text(stream, encoding)
    try:
        first = next((line for line in _checked_lines(text, encoding) if line.strip()), None)
    finally:
        text.detach()
    if first is None:
        raise FileError(_("The file is empty."))
    delimiter = delimiter or sniff_delimiter(first)
    try:
        headers = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(_("The header line cannot be read: %(error)s") % {"error": exc}, 1) from exc
    return [header.strip() for header in headers], delimiter


def iter_records(stream, *, encoding, delimiter):
    """(line number, cells) for each non-blank record of a binary stream, header first.

    The line number is where the record starts, so it matches what a text editor shows
    even when a quoted cell spans several lines.
    """
    text = _text(stream, encoding)
    # Strict: a stray quote is an error, not a cell that silently swallows the next rows.
    reader = csv.reader(_checked_lines(text, encoding), delimiter=delimiter, strict=True)
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
