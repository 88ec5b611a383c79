"""Binary COPY to and from numpy (metrics.pgcopy), PostgreSQL only."""

import numpy as np
import pytest
from django.db import connection

from metrics import pgcopy

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's"),
]


def _table(cursor):
    cursor.execute(
        "CREATE TEMPORARY TABLE copy_probe (id bigint, day integer, value double precision, "
        "code smallint)"
    )


def test_columns_written_come_back_identical():
    ids = np.array([3, 1, 2**40], dtype=np.int64)
    days = np.array([-1, 0, 20_000], dtype=np.int64)
    values = np.array([0.1, np.nan, -1e300])
    codes = np.array([0, 7, 3], dtype=np.int64)
    with connection.cursor() as cursor:
        _table(cursor)
        pgcopy.write_columns(
            cursor,
            "copy_probe",
            [
                ("id", ">i8", ids),
                ("day", ">i4", days),
                ("value", ">f8", values),
                ("code", ">i2", codes),
            ],
        )
        back = pgcopy.read_columns(
            cursor,
            "SELECT id, day, value FROM copy_probe WHERE code >= %s ORDER BY id",
            [0],
            [("id", ">i8"), ("day", ">i4"), ("value", ">f8")],
        )
    assert back["id"].tolist() == [1, 3, 2**40]
    assert back["day"].tolist() == [0, -1, 20_000]
    assert np.isnan(back["value"][0])
    assert back["value"][1:].tolist() == [0.1, -1e300]


def test_an_empty_result_gives_empty_arrays():
    with connection.cursor() as cursor:
        back = pgcopy.read_columns(cursor, "SELECT 1::bigint WHERE false", [], [("one", ">i8")])
    assert back["one"].size == 0


def test_a_null_is_refused_not_misread():
    with connection.cursor() as cursor, pytest.raises(pgcopy.CopyFormatError):
        pgcopy.read_columns(
            cursor,
            "SELECT x::bigint, NULLIF(x, 2)::bigint FROM generate_series(1, 3) x",
            [],
            [("a", ">i8"), ("b", ">i8")],
        )
