"""Columns written in pieces and read back in fixed blocks (valuemodels/columns.py), held in
memory or, past their share of it, in a temporary file: the same blocks either way."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuemodels.columns import Columns

DTYPES = [np.float32, np.uint16, np.float64]


def _filled(pieces, *, block, memory_rows):
    columns = Columns(DTYPES, block=block, memory_rows=memory_rows)
    start = 0
    for size in pieces:
        rows = np.arange(start, start + size)
        columns.append(rows * 0.5, rows % 65_536, rows / 3)
        start += size
    return columns.finish(), start


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=40), max_size=12),
    st.integers(min_value=1, max_value=16),
    st.sampled_from([0, 5, 10**6]),
)
def test_blocks_are_the_rows_in_order_in_memory_and_in_a_file(pieces, block, memory_rows):
    columns, size = _filled(pieces, block=block, memory_rows=memory_rows)
    blocks = list(columns.blocks())
    whole, rest = divmod(size, block)
    assert [len(b[0]) for b in blocks] == [block] * whole + ([rest] if rest else [])
    assert len(columns) == size
    assert columns.spilled == (size > memory_rows)
    halves, counters, thirds = columns.arrays()
    rows = np.arange(size)
    assert [halves.dtype, counters.dtype, thirds.dtype] == DTYPES
    assert halves.tolist() == (rows * 0.5).tolist()
    assert counters.tolist() == (rows % 65_536).tolist()
    assert thirds.tolist() == (rows / 3).tolist()
    # Read again, the same blocks.
    again = [[column.tolist() for column in each] for each in columns.blocks()]
    assert again == [[column.tolist() for column in each] for each in blocks]
    columns.close()


def test_a_spilled_file_goes_with_close():
    columns, _size = _filled([100], block=10, memory_rows=20)
    assert columns.spilled
    columns.close()
    assert not columns.spilled


def test_nothing_is_appended_after_finish_and_pieces_are_equally_long():
    columns = Columns([np.float64, np.float64])
    with pytest.raises(ValueError, match="equally long"):
        columns.append([1.0, 2.0], [1.0])
    columns.finish()
    with pytest.raises(ValueError, match="finished"):
        columns.append([1.0], [2.0])
    assert [a.tolist() for a in columns.arrays()] == [[], []]
