"""A customer's preferred language in the CSV files: exported as its code, imported from a
code in any spelling or the language's name, refused (per row) when unknown."""

import csv
import io

import pytest
from django.urls import reverse

from customers.models import Customer
from tests.factories import CustomerFactory

from .factories import csv_bytes, import_file, messages_of

HEADER = ["External ID", "Name", "Language"]


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("zh-hans", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("zh_CN", "zh-hans"),
        ("Simplified Chinese", "zh-hans"),
        ("简体中文", "zh-hans"),
        ("EN", "en"),
        ("English", "en"),
        ("", ""),
    ],
)
def test_import_reads_the_language(owner, cell, stored):
    report = import_file("customers", csv_bytes([HEADER, ["C-1", "Acme", cell]]), user=owner)
    assert (report.created, report.error_rows) == (1, 0)
    assert Customer.objects.get(external_id="C-1").language == stored


@pytest.mark.parametrize("cell", ["fr", "zh-Hant", "Klingon"])
def test_import_refuses_an_unknown_language_on_its_row(owner, cell):
    rows = [HEADER, ["C-1", "Acme", cell], ["C-2", "Bolt", "en"]]
    report = import_file("customers", csv_bytes(rows), user=owner)
    assert (report.created, report.error_rows) == (1, 1)
    ((row, _column, message),) = messages_of(report)
    assert row == 2
    assert cell in message
    assert "zh-hans" in message
    assert not Customer.objects.filter(external_id="C-1").exists()


def test_the_export_round_trips_the_language(client_for, owner):
    CustomerFactory(owner=owner, external_id="C-1", name="Acme", language="zh-hans")
    CustomerFactory(owner=owner, external_id="C-2", name="Bolt", language="")
    response = client_for(owner).get(reverse("dataio:export_customers"))
    body = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r["name"], r["language"]) for r in rows] == [("Acme", "zh-hans"), ("Bolt", "")]

    Customer.objects.update(language="en")
    report = import_file("customers", body, user=owner)
    assert report.error_rows == 0
    assert dict(Customer.objects.values_list("external_id", "language")) == {
        "C-1": "zh-hans",
        "C-2": "en",  # a blank cell keeps the stored value, as for every field
    }
