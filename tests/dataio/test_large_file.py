"""A large file streams: rows are checked while the file is still being read, in batches
with a few queries each, and progress is reported every batch."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dataio import parsing, services
from dataio.columns import guess_mapping
from tests.factories import CustomerFactory

ROWS = 20_000


def _write_orders(path, customers):
    day = dt.date(2025, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("customer_external_id,date,total\n")
        for n in range(ROWS):
            ordered_on = day + dt.timedelta(days=n % 365)
            total = f"{n % 500}.{n % 100:02d}"
            f.write(f"{customers[n % len(customers)]},{ordered_on.isoformat()},{total}\n")
    return path.stat().st_size


def test_a_large_order_file_is_validated_as_it_streams(tmp_path, owner):
    customers = [CustomerFactory(owner=owner, external_id=f"C-{n}").external_id for n in range(50)]
    path = tmp_path / "orders.csv"
    size = _write_orders(path, customers)
    read_at_progress = []

    with open(path, "rb") as stream, CaptureQueriesContext(connection) as queries:
        headers, delimiter = parsing.read_header(stream, encoding="utf-8")
        stream.seek(0)
        report = services.import_validate(
            kind="orders",
            stream=stream,
            headers=headers,
            mapping=guess_mapping("orders", headers),
            options={"delimiter": delimiter},
            user=owner,
            progress=lambda rows: read_at_progress.append((rows, stream.tell())),
        )

    assert (report.rows, report.created, report.error_rows) == (ROWS, ROWS, 0)
    assert [rows for rows, _position in read_at_progress] == list(range(1000, ROWS + 1, 1000))
    # The first batch was checked when only a sliver of the file had been read.
    assert read_at_progress[0][1] < size / 10
    # A few queries per batch of 1,000 rows, never one per row.
    assert len(queries) < 5 * len(read_at_progress)
