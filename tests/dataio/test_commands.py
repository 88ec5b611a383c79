import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

from .factories import csv_bytes


def _run(command, path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def customers_csv(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(
        csv_bytes([["Customer No", "Company", "email"], ["C-1", "Acme", ""], ["C-2", "Bolt", ""]])
    )
    return path


def test_import_customers_as_a_rep(customers_csv, owner):
    out, err = _run(
        "import_customers",
        customers_csv,
        "--user",
        owner.username,
        "--map",
        "Customer No=external_id",
    )

    assert "2 rows read." in out
    assert "2 were created, 0 were updated, 0 unchanged." in out
    assert err == ""
    assert Customer.objects.filter(owner=owner).count() == 2

    out, _err = _run(
        "import_customers",
        customers_csv,
        "--user",
        owner.username,
        "--map",
        "customer no=external_id",
    )
    assert "0 were created, 0 were updated, 2 unchanged." in out


def test_dry_run_writes_nothing(customers_csv, owner):
    out, _err = _run(
        "import_customers", customers_csv, "--dry-run", "--map", "Customer No=external_id"
    )
    assert "2 would be created" in out
    assert not Customer.objects.exists()


def test_errors_exit_1_with_the_row_report_and_write_nothing(tmp_path, owner, teammate):
    CustomerFactory(owner=teammate, external_id="T-1")
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["external_id", "name", "email"],
                ["C-1", "Acme", ""],
                ["T-1", "Mine now", ""],
                ["C-3", "C", "nope"],
            ]
        )
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"2 rows with errors; nothing was written\.") as excinfo:
        call_command(
            "import_customers",
            str(path),
            "--user",
            owner.username,
            stdout=io.StringIO(),
            stderr=err,
        )

    assert excinfo.value.returncode == 1
    lines = err.getvalue().splitlines()
    assert lines[0].startswith(
        "row 3, column 'external_id': This external id belongs to a customer"
    )
    assert lines[1] == "row 4, column 'email': Enter a valid email address."
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Nope=name"], "expected COLUMN=FIELD with one of the file's columns"),
        (["--map", "Company=colour"], "fields are"),
        (["--map", "Customer No="], "Map a column to External id: it is required."),
        (["--user", "ghost"], "There is no active user 'ghost'."),
    ],
)
def test_bad_arguments(db, customers_csv, args, message):
    with pytest.raises(CommandError, match=message):
        _run("import_customers", customers_csv, *args)


def test_outsider_may_not_import(customers_csv, outsider):
    with pytest.raises(CommandError, match="may not import customers"):
        _run(
            "import_customers",
            customers_csv,
            "--user",
            outsider.username,
            "--map",
            "Customer No=external_id",
        )


def test_unreadable_files(tmp_path, db):
    with pytest.raises(CommandError, match="No such file"):
        _run("import_customers", tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match=r"file: The file is empty\."):
        _run("import_customers", empty)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("external_id,name\nC-1,Café\n".encode("latin-1"))
    with pytest.raises(CommandError, match="1 rows with errors"):
        _run("import_customers", latin)
    _run("import_customers", latin, "--encoding", "latin-1")
    assert Customer.objects.get().name == "Café"


def test_import_orders_creating_customers(tmp_path, owner):
    ProductFactory(sku="W-1", list_price=Decimal("10.00"))
    path = tmp_path / "orders.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["client", "date", "sku", "qty"],
                ["NEW-1", "01/02/2026", "W-1", "2"],
                ["NEW-1", "02/02/2026", "W-1", "1"],
            ]
        )
    )

    args = [
        "--user",
        owner.username,
        "--date-format",
        "dmy",
        "--map",
        "client=customer_external_id",
    ]

    with pytest.raises(CommandError, match="2 rows with errors"):
        _run("import_orders", path, *args)
    assert Order.objects.count() == 0

    out, _err = _run("import_orders", path, *args, "--create-customers")
    assert "2 were created" in out
    assert "1 customers were created from the file." in out
    assert Customer.objects.get(external_id="NEW-1").owner == owner
    totals = sorted(Order.objects.values_list("total", flat=True))
    assert totals == [Decimal("10.00"), Decimal("20.00")]

    out, _err = _run("import_orders", path, *args, "--create-customers")
    assert "0 were created, 0 were updated, 2 unchanged." in out


def test_progress_lines(tmp_path, db, monkeypatch):
    monkeypatch.setattr("dataio.engine.BATCH_ROWS", 1000)
    rows = [["external_id", "name"]] + [[f"C-{n}", f"N{n}"] for n in range(2500)]
    path = tmp_path / "many.csv"
    path.write_bytes(csv_bytes(rows))
    out, _err = _run("import_customers", path, "--dry-run")
    assert "2,500 of about 2,500 rows" in out
