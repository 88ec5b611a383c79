"""Exact statistics of a population that merge in any grouping: sorted distinct entries
(values, or rows of a few columns) with how many customers each stands for.

The chunks of a full run each give theirs (``metrics.engine.chunk_statistics``); the fits'
reduce merges them as it reads them (``Merged``) in bounded memory: waiting parts are merged
in memory into runs of at most ``RUN`` entries, runs of a level are merged ``FAN_IN`` at a
time into one of the next level, a block at a time, and once a merge holds ``MEMORY_ROWS``
entries its runs go to temporary files (``valuemodels.columns.Columns``). Whatever the
population, the reduce holds a few blocks of each run it merges and the runs held in memory:
a bounded amount (issue 14). The result is the same sorted entries with the same counts
whichever way the customers were split and whenever the runs were merged.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction

import numpy as np

from valuemodels.columns import Columns
from valuemodels.ranking import class_cutoff_ranks

# Entries of waiting parts merged in memory into one run (a run of BG/NBD rows: 4 MB).
RUN = 2**18
# Runs merged at a time, and the rows each of them reads at a time meanwhile.
FAN_IN = 16
RUN_BLOCK = 2**13
# Entries a merge holds in memory, its runs and their merges together; past them, in files.
# A reduce runs six merges: about 40 MB at most for the three that grow.
MEMORY_ROWS = 2**19

Part = tuple[np.ndarray, np.ndarray]


def counted(values):
    """Exact value counts: ``(sorted unique values, counts)``."""
    unique, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    return unique, narrow_counts(counts)


def narrow_counts(counts):
    """Counts as int32 while they fit (they count customers): half of int64's memory."""
    counts = np.asarray(counts)
    fits = not counts.size or int(counts.max()) <= np.iinfo(np.int32).max
    return counts.astype(np.int32 if fits else np.int64)


def narrow_rows(rows):
    """Rows as float32 when every value survives the round trip (whole days and purchase
    counts do), else as float64: exact either way, so money stays float64."""
    narrow = rows.astype(np.float32)
    equal = (narrow == rows) | (np.isnan(narrow) & np.isnan(rows))
    return narrow if equal.all() else rows.astype(float)


def merge_counted(parts: Sequence[Part]) -> Part:
    """The value counts of several chunks as one: ``(sorted unique values, counts)``."""
    values = np.concatenate([np.zeros(0), *(part[0] for part in parts)])
    counts = np.concatenate([np.zeros(0, np.int64), *(part[1] for part in parts)])
    unique, inverse = np.unique(values, return_inverse=True)
    merged = np.bincount(inverse, weights=counts, minlength=unique.size)
    return unique, narrow_counts(merged)


def counted_rows(rows, counts=None):
    """Identical rows of a 2-D array merged, sorted by their first column, then the second…
    (the order ``bgnbd.collapse`` gives), with how many customers each stands for, both
    stored as narrow as is exact (``narrow_rows``, ``narrow_counts``). NaN equals NaN
    here. (A lexicographic sort and a scan for changes: np.unique(axis=0) is several times
    slower on a million rows.)"""
    rows = np.asarray(rows)
    if counts is None:
        counts = np.ones(len(rows), dtype=np.int64)
    if not len(rows):
        return narrow_rows(rows), np.zeros(0, np.int32)
    order = np.lexsort(rows.T[::-1])
    rows, counts = rows[order], counts[order]
    changed = (rows[1:] != rows[:-1]) & ~(np.isnan(rows[1:]) & np.isnan(rows[:-1]))
    starts = np.concatenate([[True], changed.any(axis=1)])
    merged = np.add.reduceat(counts.astype(np.int64), np.flatnonzero(starts))
    return narrow_rows(rows[starts]), narrow_counts(merged)


def merge_rows(parts: Sequence[Part]) -> Part:
    return counted_rows(
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
    )


class Counted:
    """Sorted distinct entries with their counts, held in ``Columns`` (one per key column,
    then the counts as int64): in memory up to ``memory_rows`` entries, else in a file.
    ``width`` is the number of columns of a row, 0 for single values."""

    def __init__(self, width: int, dtype, *, memory_rows: int):
        self.width = width
        self.columns = Columns(
            [dtype] * max(width, 1) + [np.int64], block=RUN_BLOCK, memory_rows=memory_rows
        )
        self.total = 0

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def dtype(self):
        return self.columns.dtypes[0]

    @property
    def spilled(self) -> bool:
        return self.columns.spilled

    def append(self, keys, counts) -> None:
        columns = keys.T if self.width else [keys]
        self.columns.append(*columns, counts)
        self.total += int(np.sum(counts, dtype=np.int64))

    def finish(self) -> "Counted":
        self.columns.finish()
        return self

    def blocks(self) -> Iterator[Part]:
        for block in self.columns.blocks():
            keys = np.column_stack(block[:-1]) if self.width else block[0]
            yield keys, block[-1]

    def arrays(self) -> Part:
        """Every entry at once, as narrow as is exact (what a merge in memory gives)."""
        *keys, counts = self.columns.arrays()
        if self.width:
            rows = np.column_stack(keys) if len(counts) else np.zeros((0, self.width))
            return narrow_rows(rows), narrow_counts(counts)
        return keys[0], narrow_counts(counts)

    def close(self) -> None:
        self.columns.close()


def _order(keys) -> np.ndarray:
    """Records of unsigned integers that sort as the entries do under ``np.lexsort`` and
    ``np.unique`` (NaN last, all NaN alike, -0.0 as 0.0), to find where a block ends."""
    columns = np.asarray(keys, dtype=np.float64).reshape(len(keys), -1)
    canonical = np.where(np.isnan(columns), np.nan, columns + 0.0)
    bits = np.ascontiguousarray(canonical).view(np.uint64)
    ordered = np.where(bits >> np.uint64(63), ~bits, bits | np.uint64(1 << 63))
    record = np.dtype([(f"c{i}", np.uint64) for i in range(columns.shape[1])])
    return np.ascontiguousarray(ordered).view(record).ravel()


def merge_runs(
    runs: Sequence[Counted], merge: Callable[[Sequence[Part]], Part], *, memory_rows: int
) -> Counted:
    """Sorted runs as one, reading each a block at a time: each step passes on, from every
    run, its entries up to the smallest of the last entries read of the runs that have more
    to read (nothing after them can come before it), merged in memory by ``merge``."""
    dtype = np.result_type(*(run.dtype for run in runs))
    out = Counted(runs[0].width, dtype, memory_rows=memory_rows)
    streams = [run.blocks() for run in runs]
    current = [next(stream, None) for stream in streams]
    ahead = [next(stream, None) for stream in streams]
    while any(block is not None for block in current):
        lasts = [
            _order(block[0][-1:])
            for block, more in zip(current, ahead, strict=True)
            if block is not None and more is not None
        ]
        bound = np.sort(np.concatenate(lasts))[:1] if lasts else None
        pieces = []
        for i, block in enumerate(current):
            if block is None:
                continue
            keys, counts = block
            taken = len(keys)
            if bound is not None:
                taken = int(np.searchsorted(_order(keys), bound, side="right")[0])
            if taken:
                pieces.append((keys[:taken], counts[:taken]))
            if taken == len(keys):
                current[i] = ahead[i]
                ahead[i] = None if ahead[i] is None else next(streams[i], None)
            else:
                current[i] = (keys[taken:], counts[taken:])
        out.append(*merge(pieces))
    for run in runs:
        run.close()
    return out.finish()


class Merged:
    """The merge of one kind of statistic (value counts, ``width`` 0, or counted rows) over
    parts read one at a time, each sorted distinct entries with counts (see the module)."""

    def __init__(self, merge: Callable[[Sequence[Part]], Part], width: int, *, memory_rows=None):
        self._merge = merge
        self._width = width
        self._memory_rows = MEMORY_ROWS if memory_rows is None else memory_rows
        self._waiting: list[Part] = []
        self._held = 0
        self._levels: list[list[Counted]] = []

    def add(self, part: Part) -> None:
        self._waiting.append(part)
        self._held += len(part[0])
        if self._held >= RUN:
            self._flush()

    def _memory_left(self, runs: Iterable[Counted]) -> int:
        """The entries a new run may hold in memory: the merge's share less what ``runs``
        (every run not yet merged away) hold there."""
        held = sum(len(run) for run in runs if not run.spilled)
        return max(self._memory_rows - held, 0)

    def _runs(self) -> list[Counted]:
        return [run for runs in self._levels for run in runs]

    def _flush(self) -> None:
        if self._waiting:
            keys, counts = self._merge(self._waiting)
        else:  # nothing at all: no entries
            keys = np.zeros((0, self._width)) if self._width else np.zeros(0)
            counts = np.zeros(0, np.int32)
        self._waiting, self._held = [], 0
        run = Counted(self._width, keys.dtype, memory_rows=self._memory_left(self._runs()))
        run.append(keys, counts)
        self._add_run(run.finish(), 0)

    def _add_run(self, run: Counted, level: int) -> None:
        if level == len(self._levels):
            self._levels.append([])
        self._levels[level].append(run)
        if len(self._levels[level]) == FAN_IN:
            runs, self._levels[level] = self._levels[level], []
            memory_left = self._memory_left([*runs, *self._runs()])
            self._add_run(merge_runs(runs, self._merge, memory_rows=memory_left), level + 1)

    def result(self) -> Counted:
        if self._waiting or not self._levels:
            self._flush()
        runs = [run for runs in reversed(self._levels) for run in runs]
        self._levels = []
        while len(runs) > 1:
            group, runs = runs[:FAN_IN], runs[FAN_IN:]
            memory_left = self._memory_left([*group, *runs])
            runs.append(merge_runs(group, self._merge, memory_rows=memory_left))
        return runs[0]


def cutoffs(values: Counted, shares, *, reverse: bool = False) -> list[float]:
    """``ranking.class_cutoffs`` of the values given as counts, without spelling them out one
    per customer: the values at the cut-off ranks, read off the running count."""
    total = values.total
    ranks = class_cutoff_ranks(total, shares)
    # The rank counted from the other end when "smaller is better".
    wanted = sorted({total - 1 - rank if reverse else rank for rank in ranks if rank >= 0})
    found: dict[int, float] = {}
    below = 0
    for unique, counts in values.blocks():
        running = below + np.cumsum(counts, dtype=np.int64)
        for rank in (rank for rank in wanted if below <= rank < running[-1]):
            found[rank] = float(unique[np.searchsorted(running, rank, side="right")])
        below = int(running[-1])
    return [
        found[total - 1 - rank if reverse else rank]
        if rank >= 0
        # A cut-off every value passes: -inf worst first, so +inf for "smaller is better".
        else (np.inf if reverse else -np.inf)
        for rank in ranks
    ]


def exact_mean(values: Counted) -> float:
    """The mean of values given as counts, correctly rounded (the sum is exact)."""
    exact = Fraction(0)
    for unique, counts in values.blocks():
        exact += sum(
            (Fraction(float(v)) * int(c) for v, c in zip(unique, counts, strict=True)), Fraction(0)
        )
    return float(exact / values.total)
