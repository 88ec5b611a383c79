import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuemodels import distinct

columns = st.integers(min_value=0, max_value=60).flatmap(
    lambda n: st.lists(
        st.lists(
            st.one_of(
                st.integers(min_value=-3, max_value=3).map(float),
                st.sampled_from([0.5, 2.25, 1e17, -1e17]),
            ),
            min_size=n,
            max_size=n,
        ),
        min_size=1,
        max_size=3,
    )
)


def _as_np_unique(columns):
    rows, inverse, counts = np.unique(
        np.column_stack(columns).reshape(-1, len(columns)),
        axis=0,
        return_inverse=True,
        return_counts=True,
    )
    return [rows[:, i] for i in range(len(columns))], counts, inverse.ravel()


@settings(max_examples=100, deadline=None)
@given(columns)
def test_distinct_rows_are_numpys_unique_rows(values):
    arrays = [np.array(column, dtype=float) for column in values]
    found, counts, inverse = distinct.distinct(*arrays)
    expected, expected_counts, expected_inverse = _as_np_unique(arrays)
    assert [column.tolist() for column in found] == [column.tolist() for column in expected]
    assert counts.tolist() == expected_counts.tolist()
    assert inverse.tolist() == expected_inverse.tolist()


@settings(max_examples=50, deadline=None)
@given(columns)
def test_codes_are_numpys_unique_values(values):
    column = np.array(values[0], dtype=float)
    found, inverse = distinct.codes(column)
    expected, expected_inverse = np.unique(column, return_inverse=True)
    assert found.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.tolist()


def test_rows_too_varied_for_one_integer_key_are_sorted_column_by_column(monkeypatch):
    monkeypatch.setattr(distinct, "_KEY_LIMIT", 4)
    x = np.array([2.0, 1.0, 2.0, 1.0, 3.0])
    T = np.array([5.0, 7.0, 5.0, 6.0, 1.0])
    (xs, Ts), counts, inverse = distinct.distinct(x, T)
    assert xs.tolist() == [1, 1, 2, 3]
    assert Ts.tolist() == [6, 7, 5, 1]
    assert counts.tolist() == [1, 1, 2, 1]
    assert inverse.tolist() == [2, 1, 2, 0, 3]


@pytest.mark.parametrize("size", [0, 1])
def test_empty_and_single_rows(size):
    (xs,), counts, inverse = distinct.distinct(np.arange(size, dtype=float))
    assert xs.tolist() == list(range(size))
    assert counts.tolist() == [1] * size
    assert inverse.tolist() == list(range(size))
