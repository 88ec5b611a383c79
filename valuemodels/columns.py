"""Equally long columns written in pieces and read back in fixed blocks, held in memory while
they are small and in an anonymous temporary file beyond that.

A population's fits go over their rows once per evaluation of the likelihood, a block at a
time (``optimize.blocks``): what they hold between evaluations need not be in memory. Kept
in memory up to ``memory_rows`` rows (every population of a few million customers and less:
no file, the speed of today's arrays), beyond that each block is written to a temporary file
as it fills and read back with ``os.pread``, so the rows cost disk, not memory, and a
reduce's memory stays the same whatever the population (issue 14). The file has no name and
goes with its descriptor, whatever ends the process.
"""

import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from .optimize import BLOCK_ROWS

# Rows kept in memory before the columns move to a file: 2**20 rows of 16 bytes are 16 MB.
MEMORY_ROWS = 2**20

Column = npt.NDArray[Any]


class Columns:
    """Columns of the given ``dtypes`` appended a piece at a time (``append``) and read back,
    after ``finish``, in blocks of ``block`` rows (the last one shorter) in the order they
    were appended: the same blocks whether they were held in memory or in the file."""

    def __init__(
        self,
        dtypes: Sequence[npt.DTypeLike],
        *,
        block: int = BLOCK_ROWS,
        memory_rows: int = MEMORY_ROWS,
    ):
        self.dtypes = [np.dtype(dtype) for dtype in dtypes]
        self.block = block
        self.memory_rows = memory_rows
        self._pending: list[tuple[Column, ...]] = []
        self._pending_rows = 0
        self._held: list[tuple[Column, ...]] = []
        self._file: BinaryIO | None = None
        # (offset, rows) of every block in the file.
        self._extents: list[tuple[int, int]] = []
        self._end = 0
        self._rows = 0
        self._finished = False

    def __len__(self) -> int:
        return self._rows

    @property
    def spilled(self) -> bool:
        """Whether the columns went to a file."""
        return self._file is not None

    def append(self, *columns: npt.ArrayLike) -> None:
        if self._finished:
            raise ValueError("These columns are finished: nothing more can be appended.")
        piece = tuple(
            np.asarray(column).astype(dtype, copy=False)
            for column, dtype in zip(columns, self.dtypes, strict=True)
        )
        size = len(piece[0])
        if any(len(column) != size for column in piece):
            raise ValueError("Columns appended together are equally long.")
        if not size:
            return
        self._pending.append(piece)
        self._pending_rows += size
        self._rows += size
        if self._pending_rows >= self.block:
            self._cut_blocks(final=False)

    def finish(self) -> "Columns":
        """No more rows: the last, shorter block is stored. Returns the columns."""
        if not self._finished:
            self._cut_blocks(final=True)
            self._finished = True
        return self

    def blocks(self) -> Iterator[tuple[Column, ...]]:
        """Every block in order, as one array per column (read-only when from the file)."""
        self.finish()
        if self._file is None:
            yield from self._held
            return
        descriptor = self._file.fileno()
        for offset, rows in self._extents:
            data = os.pread(descriptor, rows * self._row_bytes, offset)
            columns, start = [], 0
            for dtype in self.dtypes:
                end = start + rows * dtype.itemsize
                columns.append(np.frombuffer(data, dtype=dtype, count=rows, offset=start))
                start = end
            yield tuple(columns)

    def arrays(self) -> tuple[Column, ...]:
        """Every row at once, one array per column (for small columns and tests)."""
        parts = list(self.blocks())
        return tuple(
            np.concatenate([np.zeros(0, dtype), *(part[i] for part in parts)])
            for i, dtype in enumerate(self.dtypes)
        )

    def close(self) -> None:
        """Give back the file (if any) and the blocks held."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._held, self._extents = [], []

    @property
    def _row_bytes(self) -> int:
        return sum(dtype.itemsize for dtype in self.dtypes)

    def _cut_blocks(self, *, final: bool) -> None:
        if not self._pending_rows:
            return
        joined = tuple(
            np.concatenate([piece[i] for piece in self._pending]) for i in range(len(self.dtypes))
        )
        size = len(joined[0])
        whole = size if final else size - size % self.block
        for start in range(0, whole, self.block):
            self._store(tuple(column[start : start + self.block] for column in joined))
        rest = tuple(column[whole:] for column in joined)
        self._pending = [rest] if len(rest[0]) else []
        self._pending_rows = len(rest[0])

    def _store(self, block: tuple[Column, ...]) -> None:
        if self._file is None:
            self._held.append(tuple(np.ascontiguousarray(column) for column in block))
            if sum(len(held[0]) for held in self._held) <= self.memory_rows:
                return
            # Past the memory's share: every block so far goes to the file, and the rest after.
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close() or with the process)
            held, self._held = self._held, []
            for each in held:
                self._write(each)
            return
        self._write(block)

    def _write(self, block: tuple[Column, ...]) -> None:
        assert self._file is not None
        rows = len(block[0])
        data = memoryview(b"".join(np.ascontiguousarray(column).tobytes() for column in block))
        written = 0
        while written < len(data):  # a write may take fewer bytes than it was given
            written += os.pwrite(self._file.fileno(), data[written:], self._end + written)
        self._extents.append((self._end, rows))
        self._end += len(data)
