"""Files as analysts bring them: a purchase log with columns aligned by spaces, compact dates
(YYYYMMDD), an amount column named as the source names it, no product SKU, customers that do
not exist yet, and sometimes no header line at all. The sample below has the shape of the
CDNOW transaction log behind tests/valuemodels/data (customer id, date, number of CDs,
dollar value)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from customers.models import Customer
from dataio import cells, columns, parsing, services
from dataio.models import ImportJob
from dataio.order_import import IMPORTED_SKU
from orders import totals
from orders.models import Order, OrderLine
from tests.factories import CustomerFactory

from .factories import csv_bytes, import_file, upload_job

ROWS = [
    ("00001", "19970101", 1, "11.77"),
    ("00002", "19970112", 1, "12.00"),
    ("00002", "19970112", 5, "77.00"),
    ("00003", "19970102", 2, "20.76"),
    ("00003", "19970330", 2, "20.76"),
    ("00003", "19970402", 3, "19.54"),
    ("00004", "19970101", 2, "29.33"),
]


def aligned_log(*, header=True):
    """The log as a text report prints it: right-aligned columns, runs of spaces between."""
    lines = ["customer_id      date  quantity  dollar value"] if header else []
    lines += [f"{c}  {d}  {q:>8}  {v:>12}" for c, d, q, v in ROWS]
    return ("\n".join(lines) + "\n").encode()


def _form_data(form):
    """What a browser submits for a form as it was shown: every field's current value."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    return data


def _orders():
    return {
        (order.customer.external_id, order.ordered_on, order.total, sum_quantity)
        for order, sum_quantity in (
            (o, sum(line.quantity for line in o.lines.all()))
            for o in Order.objects.select_related("customer").prefetch_related("lines")
        )
    }


EXPECTED = {
    (c, dt.datetime.strptime(d, "%Y%m%d").date(), Decimal(v), q)  # noqa: DTZ007
    for c, d, q, v in ROWS
}


# --- Reading the file ----------------------------------------------------------------


def test_aligned_columns_are_detected_with_a_header_whose_names_hold_spaces():
    shape = parsing.inspect(io.BytesIO(aligned_log()), encoding="utf-8")

    assert shape.delimiter == parsing.WHITESPACE
    assert shape.has_header
    assert shape.headers == ["customer_id", "date", "quantity", "dollar value"]
    assert shape.rows[0] == ["00001", "19970101", "1", "11.77"]


def test_a_file_without_header_line_is_detected_and_its_first_line_kept():
    shape = parsing.inspect(io.BytesIO(aligned_log(header=False)), encoding="utf-8")

    assert shape.delimiter == parsing.WHITESPACE
    assert not shape.has_header
    assert shape.headers == ["", "", "", ""]
    assert len(shape.rows) == len(ROWS)


def test_aligned_rows_read_tabs_quotes_and_stray_blanks():
    data = b'  id\t name      total \r\n 1  "Acme Inc"   12.50\n\n2\tGlobex\t\t7\n'
    records = list(parsing.iter_records(io.BytesIO(data), encoding="utf-8", delimiter=" "))
    assert records == [
        (1, ["id", "name", "total"]),
        (2, ["1", "Acme Inc", "12.50"]),
        (4, ["2", "Globex", "7"]),
    ]


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        (b"a,b\n1,2\n", ","),
        (b"customer id\tdate\n1\t2026-01-01\n", "\t"),
        (b"name\nAcme Inc\n", ","),  # one column whose values hold a space
        (b"id name\n1 Acme Inc\n2 Globex\n", ","),  # rows of different widths
    ],
)
def test_only_consistent_columns_count_as_aligned(data, delimiter):
    assert parsing.inspect(io.BytesIO(data), encoding="utf-8").delimiter == delimiter


def test_the_first_line_can_be_declared_a_header_or_data():
    data = b"id,2026\nC-1,5\n"
    assert parsing.inspect(io.BytesIO(data), encoding="utf-8").has_header is False
    shape = parsing.inspect(io.BytesIO(data), encoding="utf-8", has_header=True)
    assert (shape.has_header, shape.headers) == (True, ["id", "2026"])


@pytest.mark.parametrize(
    ("values", "fitting"),
    [
        (["19970101", "19971231"], ["compact"]),
        (["2026-03-31"], ["iso"]),
        (["2026/03/31"], ["ymd_slash"]),
        (["31/03/2026", "01/04/2026"], ["dmy"]),
        (["03/31/2026", "04/01/2026"], ["mdy"]),
        (["01/02/2026", "12/11/2026"], ["dmy", "mdy"]),
        (["13-02-2026"], ["dmy_dash"]),
        (["05.06.2026"], ["dmy_dot"]),
        (["2026-02-30"], []),
        (["00001"], []),
        ([], []),
    ],
)
def test_date_formats_are_read_from_the_values(values, fitting):
    assert cells.date_formats_of(values) == fitting


def test_compact_dates_need_all_their_digits():
    assert cells.parse_date("19970101", "compact") == dt.date(1997, 1, 1)
    with pytest.raises(cells.CellError, match="is not a date like 20260331"):
        cells.parse_date("199711", "compact")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("amount", "total"),
        ("Revenue", "total"),
        ("value", "total"),
        ("Dollar value", "total"),
        ("dollar_value", "total"),
        ("Sales", "total"),
        ("Total", "total"),
        ("Price", "total"),  # without a quantity, a price is what the order came to
    ],
)
def test_the_usual_names_of_an_amount_column(header, field):
    mapping = columns.guess_mapping("orders", ["customer id", "date", header])
    assert mapping == {"customer_external_id": 0, "ordered_on": 1, field: 2}


def test_a_price_beside_a_quantity_is_a_unit_price():
    mapping = columns.guess_mapping("orders", ["customer", "date", "qty", "price"])
    assert mapping == {"customer_external_id": 0, "ordered_on": 1, "quantity": 2, "unit_price": 3}


def test_the_mapping_of_a_log_without_header_is_guessed_from_its_values():
    shape = parsing.inspect(io.BytesIO(aligned_log(header=False)), encoding="utf-8")
    mapping, options = columns.detect("orders", shape)
    assert mapping == {"customer_external_id": 0, "ordered_on": 1, "quantity": 2, "total": 3}
    assert options == {"delimiter": " ", "date_format": "compact", "header": False}


# --- The pages, end to end --------------------------------------------------------------


def test_an_aligned_log_imports_end_to_end_from_the_pages(
    client_for, manager, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    upload = SimpleUploadedFile("cdnow.txt", aligned_log(), content_type="text/plain")
    response = client.post(
        reverse("dataio:import_upload", args=["orders"]),
        {"file": upload, "encoding": "utf-8", "delimiter": "", "header": ""},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("dataio:import_mapping", args=[job.pk])
    assert job.mapping == {"customer_external_id": 0, "ordered_on": 1, "quantity": 2, "total": 3}
    assert job.options["delimiter"] == " "
    assert job.options["date_format"] == "compact"
    assert job.rows_total == len(ROWS)

    response = client.get(response["Location"])
    page = response.content.decode()
    assert "Its columns are aligned with spaces" in page
    assert '<th scope="col">dollar value</th>' in page
    assert "<td>19970112</td>" in page
    data = _form_data(response.context["form"])
    assert (data["total"], data["date_format"]) == ("3", "compact")
    data.update(create_customers="on", new_customer_kind="person")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dataio:import_mapping", args=[job.pk]), data)
    assert response.status_code == 302, response.context["form"].errors

    job.refresh_from_db()
    assert (job.status, job.error_count, job.created_count) == ("validated", 0, len(ROWS))
    assert job.new_customers_count == 4
    assert not Order.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:import_commit", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert _orders() == EXPECTED
    assert set(Customer.objects.values_list("kind", flat=True)) == {Customer.Kind.PERSON}
    assert Customer.objects.get(external_id="00003").owner == manager


def test_a_log_without_header_imports_every_line(owner):
    job = upload_job(user=owner, kind="orders", data=aligned_log(header=False))
    assert job.headers == ["", "", "", ""]
    assert job.rows_total == len(ROWS)

    report = services.import_commit(
        kind="orders",
        stream=io.BytesIO(aligned_log(header=False)),
        headers=job.headers,
        mapping=job.mapping,
        options={**job.options, "create_customers": True},
        user=owner,
    )

    assert (report.rows, report.created, report.error_rows) == (len(ROWS), len(ROWS), 0)
    assert _orders() == EXPECTED


def test_the_mapping_page_of_a_file_without_header_numbers_the_columns(client_for, owner):
    job = upload_job(user=owner, kind="orders", data=aligned_log(header=False))
    page = client_for(owner).get(reverse("dataio:import_mapping", args=[job.pk])).content.decode()
    assert "Its first line holds values, not column names" in page
    assert '<th scope="col">column 4</th>' in page
    assert "00001" in page  # the first line is shown as a row


# --- Day and month ------------------------------------------------------------------------


def test_ambiguous_dates_are_asked_for_never_guessed(
    client_for, owner, django_capture_on_commit_callbacks
):
    CustomerFactory(owner=owner, external_id="C-1")
    data = csv_bytes([["customer", "date", "amount"], ["C-1", "01/02/2026", "10"]])
    job = upload_job(user=owner, kind="orders", data=data)
    assert job.options["date_format"] == ""
    assert job.options["date_formats"] == ["dmy", "mdy"]

    client = client_for(owner)
    url = reverse("dataio:import_mapping", args=[job.pk])
    response = client.get(url)
    assert "The dates fit both DD/MM/YYYY and MM/DD/YYYY" in response.content.decode()
    form_data = _form_data(response.context["form"])
    assert form_data["date_format"] == ""  # the "— choose —" option

    response = client.post(url, form_data)
    assert response.status_code == 200
    assert response.context["form"].errors["date_format"][0].startswith("The dates fit both")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form_data, "date_format": "dmy"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.error_count) == (ImportJob.Status.VALIDATED, 0)
    assert job.preview["rows"][0]["values"][2] == "2026-02-01"


def test_the_services_refuse_an_unresolved_date_format(owner):
    data = csv_bytes([["customer", "date", "amount"], ["C-1", "01/02/2026", "10"]])
    job = upload_job(user=owner, kind="orders", data=data)
    with pytest.raises(ValidationError, match="The dates fit both"):
        services.import_job_configure(job=job, user=owner, mapping=job.mapping, options={})


def test_a_day_above_twelve_settles_the_order(owner):
    data = csv_bytes(
        [["customer", "date", "amount"], ["C-1", "01/02/2026", "10"], ["C-1", "02/13/2026", "5"]]
    )
    assert upload_job(user=owner, kind="orders", data=data).options["date_format"] == "mdy"


# --- Customers the file creates, and quantities without a SKU ---------------------------------


@pytest.mark.parametrize("kind", [Customer.Kind.PERSON, Customer.Kind.COMPANY])
def test_unknown_customers_are_created_as_persons_or_companies(owner, kind):
    data = csv_bytes(
        [["customer", "name", "date", "amount"], ["S-1", "Ann Lee", "2026-02-01", "9"]]
    )
    report = import_file("orders", data, user=owner, create_customers=True, new_customer_kind=kind)
    assert report.new_customers == 1
    customer = Customer.objects.get(external_id="S-1")
    assert (customer.kind, customer.name, customer.owner) == (kind, "Ann Lee", owner)


def test_without_the_choice_created_customers_are_companies(owner):
    data = csv_bytes([["customer", "date", "amount"], ["S-1", "2026-02-01", "9"]])
    import_file("orders", data, user=owner, create_customers=True)
    assert Customer.objects.get().kind == Customer.Kind.COMPANY


def test_an_unknown_kind_of_customer_is_refused(owner):
    data = csv_bytes([["customer", "date", "amount"], ["S-1", "2026-02-01", "9"]])
    with pytest.raises(ValidationError, match="companies or as persons"):
        import_file("orders", data, user=owner, create_customers=True, new_customer_kind="robot")


def test_a_quantity_without_sku_is_kept_and_the_total_stays_exact(owner):
    CustomerFactory(owner=owner, external_id="C-1")
    data = csv_bytes([["customer", "date", "qty", "amount"], ["C-1", "2026-02-01", "3", "11.77"]])
    report = import_file("orders", data, user=owner)
    assert (report.created, report.error_rows) == (1, 0)

    order = Order.objects.get()
    line = order.lines.get()
    assert (line.product.sku, line.quantity) == (IMPORTED_SKU, 3)
    # 11.77 / 3 rounds up to 3.93; the two cents over are the line's discount.
    assert (line.unit_price, line.discount) == (Decimal("3.93"), Decimal("0.02"))
    assert order.total == totals.line_total(line) == Decimal("11.77")

    again = import_file("orders", data, user=owner)
    assert (again.unchanged, again.updated) == (1, 0)
    changed = csv_bytes(
        [
            ["customer", "number", "date", "qty", "amount"],
            ["C-1", order.number, "2026-02-01", "4", "11.77"],
        ]
    )
    report = import_file("orders", changed, user=owner)
    assert report.updated == 1
    assert OrderLine.objects.get().quantity == 4
    assert Order.objects.get().total == Decimal("11.77")


def test_a_unit_price_without_sku_prices_the_order(owner):
    CustomerFactory(owner=owner, external_id="C-1")
    data = csv_bytes(
        [
            ["customer", "date", "qty", "price", "discount"],
            ["C-1", "2026-02-01", "4", "2.50", "1"],
            ["C-1", "2026-02-02", "", "7.25", ""],
        ]
    )
    report = import_file("orders", data, user=owner)
    assert (report.created, report.error_rows) == (2, 0)
    assert sorted(Order.objects.values_list("total", flat=True)) == [
        Decimal("7.25"),
        Decimal("9.00"),
    ]
    assert sorted(OrderLine.objects.values_list("quantity", "unit_price", "discount")) == [
        (1, Decimal("7.25"), Decimal("0.00")),
        (4, Decimal("2.50"), Decimal("1.00")),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["customer", "date", "amount", "unit price"], "Map either Total or Unit price"),
        (["customer", "date", "amount", "discount"], "A discount is taken off a unit price"),
    ],
)
def test_order_files_price_orders_one_way(owner, header, message):
    data = csv_bytes([header, ["C-1", "2026-02-01", "1", "1"]])
    mapping = {"customer_external_id": 0, "ordered_on": 1, "total": 2}
    mapping["unit_price" if "unit price" in header else "discount"] = 3
    with pytest.raises(ValidationError) as excinfo:
        import_file("orders", data, user=owner, mapping=mapping)
    assert any(m.startswith(message) for m in excinfo.value.messages)


# --- The command ------------------------------------------------------------------------------


def test_the_command_imports_an_aligned_log_without_header(tmp_path, owner):
    path = tmp_path / "cdnow.txt"
    path.write_bytes(aligned_log(header=False))
    out = io.StringIO()
    call_command(
        "import_orders",
        str(path),
        "--user",
        owner.username,
        "--create-customers",
        "--create-customers-as",
        "person",
        stdout=out,
    )
    assert "7 were created" in out.getvalue()
    assert _orders() == EXPECTED
    assert set(Customer.objects.values_list("kind", flat=True)) == {Customer.Kind.PERSON}


def test_the_command_asks_for_the_date_format_when_days_and_months_are_ambiguous(tmp_path, owner):
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_bytes([["customer", "date", "amount"], ["C-1", "01/02/2026", "10"]]))
    with pytest.raises(CommandError, match="--date-format dmy or --date-format mdy"):
        call_command("import_orders", str(path), "--user", owner.username, "--dry-run")
