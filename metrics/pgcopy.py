"""Binary COPY between PostgreSQL and numpy arrays, for a full run's big reads and writes.

Fetching ten million rows through a cursor, or writing a million through it, builds a
Python tuple per row; the binary COPY format with fixed-width columns (no NULLs) is read
and written by numpy in one step instead.
"""

import numpy as np

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = len(_SIGNATURE) + 8  # flags (int32) and header extension length (int32)


class CopyFormatError(ValueError):
    """The COPY stream is not rows of the expected fixed-width, non-NULL columns."""


def read_columns(cursor, query, params, columns):
    """Run ``query`` through ``COPY … TO STDOUT (FORMAT BINARY)``; return ``{name: array}``.

    ``columns`` is ``[(name, dtype), …]`` in the query's order, each dtype one of PostgreSQL's
    binary layouts: ``">i8"`` bigint, ``">i4"`` integer, ``">f8"`` double precision. The
    query must cast to exactly those types and return no NULL."""
    fields = [("fields", ">i2")]
    for i, (name, dtype) in enumerate(columns):
        fields += [(f"_size{i}", ">i4"), (name, dtype)]
    row = np.dtype(fields)
    data = bytearray()
    # The driver's own cursor: Django's debug wrapper takes no parameters for COPY.
    cursor = getattr(cursor, "cursor", cursor)
    with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for block in copy:
            data += block
    if data[: len(_SIGNATURE)] != _SIGNATURE:
        raise CopyFormatError("Not a binary COPY stream.")
    extension = int.from_bytes(data[_HEADER - 4 : _HEADER], "big")
    body = memoryview(data)[_HEADER + extension : len(data) - 2]
    if body.nbytes % row.itemsize:
        raise CopyFormatError("Rows are not of the expected width (a NULL or another type).")
    rows = np.frombuffer(body, dtype=row)
    sizes_ok = all(
        (rows[f"_size{i}"] == np.dtype(dtype).itemsize).all()
        for i, (_name, dtype) in enumerate(columns)
    )
    if not (rows["fields"] == len(columns)).all() or not sizes_ok:
        raise CopyFormatError("Rows are not of the expected width (a NULL or another type).")
    return {name: rows[name].astype(np.dtype(dtype).newbyteorder("=")) for name, dtype in columns}


# Rows per COPY message: enough to keep the round trips few, small enough not to
# hold a second copy of a million rows in memory.
_WRITE_BLOCK_ROWS = 50_000


def write_columns(cursor, table, columns):
    """``COPY table FROM STDIN (FORMAT BINARY)`` of ``[(name, dtype, array), …]``, all
    arrays of one length, no NULLs, each dtype one of ``read_columns``' layouts (or
    ``">i2"`` smallint)."""
    fields = [("fields", ">i2")]
    for i, (name, dtype, _values) in enumerate(columns):
        fields += [(f"_size{i}", ">i4"), (name, dtype)]
    rows = np.empty(len(columns[0][2]) if columns else 0, dtype=np.dtype(fields))
    rows["fields"] = len(columns)
    for i, (name, dtype, values) in enumerate(columns):
        rows[f"_size{i}"] = np.dtype(dtype).itemsize
        rows[name] = values
    names = ", ".join(name for name, _dtype, _values in columns)
    cursor = getattr(cursor, "cursor", cursor)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_SIGNATURE + bytes(8))
        for start in range(0, len(rows), _WRITE_BLOCK_ROWS):
            copy.write(rows[start : start + _WRITE_BLOCK_ROWS].tobytes())
        copy.write(b"\xff\xff")
