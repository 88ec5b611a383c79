"""Exact order statistics of values spread over chunks, without gathering the values.

A population's score references and tier cut-offs are a few order statistics (the value at
some ranks in sorted order) of values held by many chunks. Rather than merging every value
in one place, the chunks answer rounds of questions about their own values and the merge
holds counts of bounded size:

1. each chunk counts its values per bucket, a bucket being the leading bits of a value's
   key (an unsigned integer that sorts as the float does); the merged counts say which
   bucket holds each wanted rank, and where in it;
2. the chunks then return only their values within those buckets (as distinct values with
   counts), and the wanted ranks are read off exactly.

When the buckets holding the wanted ranks are too crowded for step 2 (many values, say a
population piled up on a few amounts), step 1 is repeated within them on the next bits of
the key, so every round's merge holds at most ``CELLS`` counters or ``CANDIDATES`` values
per column, whatever the population. The answer is the very value the sorted population
has at each rank: nothing is estimated.

The state travels between rounds as plain JSON (``start``, ``advance``); ``query`` is what
a chunk needs to answer a round (``part``). NaN is no value and is left out; -0.0 sorts just
before 0.0 (they are equal to every comparison the scores make).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .arrays import ArrayLike, FloatArray

KeyArray = npt.NDArray[np.uint64]
State = dict[str, Any]
Part = tuple[npt.NDArray[Any], ...]

KEY_BITS = 64
# Counters per column in a counting round (two int64 arrays of this length in the merge).
CELLS = 2**18
# A value round is asked for once the buckets holding the wanted ranks hold at most this
# many distinct values per column (an upper bound: each chunk's distinct values, added).
CANDIDATES = 2**18
_SIGN = np.uint64(1 << 63)


def keys(values: ArrayLike) -> KeyArray:
    """Each value that is not NaN as an unsigned integer in the same order as the floats."""
    floats = np.asarray(values, dtype=np.float64).ravel()
    floats = floats[~np.isnan(floats)]
    bits = floats.view(np.uint64)
    negative = (bits & _SIGN) != 0
    key: KeyArray = np.where(negative, ~bits, bits | _SIGN)
    return key


def floats(key: ArrayLike) -> FloatArray:
    """The values of ``keys``."""
    key = np.asarray(key, dtype=np.uint64)
    positive = (key & _SIGN) != 0
    values: FloatArray = np.where(positive, key & ~_SIGN, ~key).view(np.float64)
    return values


def _top(key: KeyArray, bits: int) -> KeyArray:
    """The leading ``bits`` bits of each key (all keys share the empty prefix)."""
    if bits == 0:
        return np.zeros(key.shape, dtype=np.uint64)
    top: KeyArray = key >> np.uint64(KEY_BITS - bits)
    return top


def _digit_bits(prefixes: int, bits: int) -> int:
    """Bits counted in the next round: as many as ``CELLS`` counters allow for
    ``prefixes`` buckets, at least one, at most what the key has left."""
    spare = max(1, (CELLS // max(prefixes, 1)).bit_length() - 1)
    return min(KEY_BITS - bits, spare)


def start(columns: Iterable[str]) -> State:
    """A selection over ``columns``, before the first round (ranks are chosen once the
    first round has counted the values: see ``advance``)."""
    first = {"bits": 0, "prefixes": [0], "digit": _digit_bits(1, 0)}
    return {name: {"query": first, "n": None, "ranks": None, "found": None} for name in columns}


def done(state: State) -> bool:
    return all(column["found"] is not None for column in state.values())


def query(state: State) -> dict[str, Any]:
    """What the chunks are asked in the next round (the columns still open)."""
    return {name: column["query"] for name, column in state.items() if column["found"] is None}


def part(values: Mapping[str, ArrayLike], asked: Mapping[str, Any]) -> dict[str, Part]:
    """A chunk's answer to a round, per column asked: counts per bucket and the number of
    its distinct values there (a counting round), or its distinct values in the wanted
    buckets with their counts (a value round)."""
    return {name: _part(keys(values[name]), question) for name, question in asked.items()}


def _part(key: KeyArray, question: Mapping[str, Any]) -> Part:
    bits, digit = question["bits"], question["digit"]
    prefixes = np.array(question["prefixes"], dtype=np.uint64)
    top = _top(key, bits)
    index = np.searchsorted(prefixes, top)
    inside = index < prefixes.size
    inside[inside] = prefixes[index[inside]] == top[inside]
    distinct, counts = np.unique(key[inside], return_counts=True)
    if digit is None:
        return distinct, counts.astype(np.int64)
    shift = np.uint64(KEY_BITS - bits - digit)
    low = (distinct >> shift) & np.uint64((1 << digit) - 1)
    cells = np.searchsorted(prefixes, _top(distinct, bits)).astype(np.int64) << digit
    cells += low.astype(np.int64)
    cell, inverse = np.unique(cells, return_inverse=True)
    in_cell = np.bincount(inverse, weights=counts, minlength=cell.size).astype(np.int64)
    return cell, in_cell, np.bincount(inverse, minlength=cell.size).astype(np.int64)


def advance(
    state: State,
    parts: Iterable[Mapping[str, Part]],
    ranks: Callable[[str, int], Sequence[int]],
) -> State:
    """The state after a round, from every chunk's ``part`` (read one at a time).

    ``ranks(column, n)`` names the wanted 0-based ranks among a column's ``n`` values; it
    is asked once the first round has counted them."""
    asked = query(state)
    merged: dict[str, list[Any]] = {name: [] for name in asked}
    for answer in parts:
        for name in asked:
            merged[name] = _merged(asked[name], merged[name], answer[name])
    return {
        name: _advanced(name, column, merged[name], ranks) if name in asked else column
        for name, column in state.items()
    }


def _merged(question: Mapping[str, Any], merged: list[Any], answer: Part) -> list[Any]:
    if question["digit"] is None:
        # Distinct values with counts, kept as they come: at most CANDIDATES in all, since
        # that bound was each chunk's distinct values in these buckets, added up.
        return [*merged, answer]
    if not merged:
        size = len(question["prefixes"]) << question["digit"]
        merged = [np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)]
    cell, in_cell, distinct = answer
    merged[0][cell] += in_cell
    merged[1][cell] += distinct
    return merged


def _advanced(
    name: str, column: State, merged: list[Any], ranks: Callable[[str, int], Sequence[int]]
) -> State:
    question = column["query"]
    column = dict(column)
    if column["n"] is None:
        # The first round counted every value.
        counts = merged[0] if merged else np.zeros(0, dtype=np.int64)
        n = int(counts.sum())
        column["n"] = n
        column["ranks"] = sorted({int(rank) for rank in ranks(name, n)})
        if any(not 0 <= rank < n for rank in column["ranks"]):
            raise ValueError("A wanted rank lies outside the values.")
        column["prefixes"] = [0] * len(column["ranks"])
        column["offsets"] = list(column["ranks"])
    if not column["ranks"]:
        return {**column, "found": [], "query": None}
    bits = question["bits"]
    if question["digit"] is None:
        return {**column, "found": _found(column, merged, bits), "query": None}

    digit = question["digit"]
    counts, distinct = merged
    asked = question["prefixes"]
    block = {prefix: index for index, prefix in enumerate(asked)}
    # Counts up to each cell within its bucket: one pass over the counters.
    cumulative = counts.reshape(len(asked), 1 << digit).cumsum(axis=1)
    prefixes, offsets = [], []
    for prefix, offset in zip(column["prefixes"], column["offsets"], strict=True):
        running = cumulative[block[prefix]]
        low = int(np.searchsorted(running, offset, side="right"))
        prefixes.append((prefix << digit) | low)
        offsets.append(offset - (int(running[low - 1]) if low else 0))
    bits += digit
    column.update(prefixes=prefixes, offsets=offsets)
    if bits == KEY_BITS:
        # The whole key: the bucket is the value.
        return {**column, "found": floats(prefixes).tolist(), "query": None}
    wanted = sorted(set(prefixes))
    mask = (1 << digit) - 1
    cells = [(block[prefix >> digit] << digit) | (prefix & mask) for prefix in wanted]
    crowded = int(distinct[cells].sum()) > CANDIDATES
    column["query"] = {
        "bits": bits,
        "prefixes": wanted,
        "digit": _digit_bits(len(wanted), bits) if crowded else None,
    }
    return column


def _found(column: State, answers: list[Part], bits: int) -> list[float]:
    distinct, inverse = np.unique(
        np.concatenate([answer[0] for answer in answers]), return_inverse=True
    )
    counts = np.bincount(inverse, weights=np.concatenate([answer[1] for answer in answers]))
    counts = counts.astype(np.int64)
    top = _top(distinct, bits)
    values = []
    for prefix, offset in zip(column["prefixes"], column["offsets"], strict=True):
        bucket = np.uint64(prefix)
        first = int(np.searchsorted(top, bucket, side="left"))
        last = int(np.searchsorted(top, bucket, side="right"))
        cumulative = np.cumsum(counts[first:last])
        at = first + int(np.searchsorted(cumulative, offset, side="right"))
        values.append(float(floats(distinct[at : at + 1])[0]))
    return values


def selected(state: State, name: str) -> tuple[int, dict[int, float]]:
    """A finished column's number of values and its value at each wanted rank."""
    column = state[name]
    return column["n"], dict(zip(column["ranks"], column["found"], strict=True))


def quantile_ranks(n: int, probabilities: ArrayLike) -> list[int]:
    """The ranks ``np.quantile(values, probabilities)`` (its default, linear method) reads
    among ``n`` sorted values."""
    below, above, _gamma = _quantile_indexes(n, probabilities)
    return sorted(set(below.tolist()) | set(above.tolist()))


def quantiles(n: int, probabilities: ArrayLike, value_at: Mapping[int, float]) -> FloatArray:
    """``np.quantile(values, probabilities)`` of ``n`` values from their order statistics
    at ``quantile_ranks(n, probabilities)``, with numpy's own arithmetic (numpy 2's
    ``_quantile``, ``_get_indexes`` and ``_lerp``), so the result is the same float."""
    below, above, gamma = _quantile_indexes(n, probabilities)
    a = np.array([value_at[int(i)] for i in below], dtype=np.float64)
    b = np.array([value_at[int(i)] for i in above], dtype=np.float64)
    difference = np.subtract(b, a)
    result = np.add(a, difference * gamma)
    np.subtract(b, difference * (1 - gamma), out=result, where=gamma >= 0.5)
    return result


def _quantile_indexes(n: int, probabilities: ArrayLike) -> tuple[Any, Any, FloatArray]:
    if n < 1:
        raise ValueError("Quantiles need at least one value.")
    virtual = np.asanyarray((n - 1) * np.asarray(probabilities, dtype=np.float64))
    below = np.floor(virtual)
    above = below + 1
    last = virtual >= n - 1
    below[last] = -1
    above[last] = -1
    first = virtual < 0
    below[first] = 0
    above[first] = 0
    # As numpy: the weight from the clipped lower index (-1 at the top), and -1 is the last.
    gamma: FloatArray = np.asanyarray(virtual - below.astype(np.intp), dtype=np.float64)
    below_index = below.astype(np.intp) % n
    above_index = above.astype(np.intp) % n
    return below_index, above_index, gamma
