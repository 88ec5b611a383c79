"""Names for the numpy array types in the population-wide formulas' signatures.

Inputs are anything numpy turns into an array (``ArrayLike``: lists, arrays, scalars);
results are arrays of a stated element type."""

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
IndexArray: TypeAlias = npt.NDArray[np.intp]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
# Strings (segment slugs, tiers) picked from a lookup table.
ObjectArray: TypeAlias = npt.NDArray[np.object_]
