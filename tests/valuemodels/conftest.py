"""Fixtures of the value-model tests: the CDNOW cohort of Fader, Hardie & Lee (2005) (see
data/README.md)."""

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def cdnow():
    """x, t_x, T (weeks) of the 2,357 customers, by customer ID."""
    rows = np.genfromtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", names=True)
    return {"id": rows["ID"], "x": rows["frequency"], "t_x": rows["recency"], "T": rows["T"]}


@pytest.fixture(scope="session")
def cdnow_spend():
    """x and z̄, the average value of the repeat purchases in the calibration period."""
    rows = np.genfromtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    return {"x": rows["x"], "zbar": rows["zbar"]}
