"""The column names of an export: the import field names by default (for programs, the same
in every language), or on request (``headers=local``) the columns' labels in the user's
language; an import reads either, whatever the importer's language.

The Chinese labels here are made up for the test (``chinese`` below), so the checks hold
whether or not the message file is translated and compiled yet."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from customers.models import Customer
from dataio import exports
from dataio.columns import guess_mapping
from orders.models import Order
from tests.factories import CustomerFactory, TagFactory
from tests.orders.factories import OrderFactory, ProductFactory

from .factories import csv_bytes, import_file

pytestmark = pytest.mark.django_db

# Labels as a translator might write them: every import field of both files, and a column
# that is not one (CRM id), which the import must leave alone.
CHINESE = {
    "External id": "外部编号",
    "Name": "名称",
    "Email": "邮箱",
    "Phone": "电话",
    "Kind": "类型",
    "Status": "状态",
    "Region": "地区",
    "Industry": "行业",
    "Website": "网站",
    "Address": "地址",
    "Tags": "标签",
    "Owner username": "负责人用户名",
    "Acquired on": "获客日期",
    "Acquisition campaign": "获客活动",
    "Marketing opt-out": "拒收营销",
    "Churned on": "流失日期",
    "CRM id": "CRM 编号",
    "Customer external id": "客户外部编号",
    "Customer name": "客户名称",
    "Order number": "订单编号",
    "Date": "日期",
    "Total": "合计",
    "Currency": "币种",
    "Product SKU": "产品 SKU",
    "Product": "产品",
    "Quantity": "数量",
    "Unit price": "单价",
    "Discount": "折扣",
}


@pytest.fixture
def chinese(monkeypatch):
    """Simplified Chinese speaks the labels of CHINESE (and its message file the rest)."""
    catalog = trans_real.translation("zh-hans")
    real = catalog.gettext
    monkeypatch.setattr(catalog, "gettext", lambda message: CHINESE.get(message) or real(message))
    return CHINESE


@pytest.fixture
def book(owner):
    vip = TagFactory(name="vip")
    acme = CustomerFactory(owner=owner, external_id="C-1", name="Acme", status="active")
    acme.tags.add(vip)
    bolt = CustomerFactory(owner=owner, external_id="C-2", name="Bolt", status="lead")
    widget = ProductFactory(sku="W-1")
    for customer, number in ((acme, "SO-1"), (bolt, "SO-2")):
        OrderFactory(customer=customer, number=number, lines=[(widget, 2)])


def _download(client, url, *, language="en", **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _header(body):
    return next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _labels(columns, kind):
    with translation.override("zh-hans"):
        return [str(label) for label in exports.header(columns, kind=kind, local=True)]


def test_by_default_the_columns_are_the_field_names_in_every_language(client_for, owner, book):
    body = _download(client_for(owner), reverse("dataio:export_customers"), language="zh-hans")

    assert _header(body) == exports.CUSTOMER_HEADER


def test_local_headers_are_the_labels_in_the_users_language(client_for, owner, book, chinese):
    client = client_for(owner)
    customers = _header(
        _download(client, reverse("dataio:export_customers"), language="zh-hans", headers="local")
    )
    orders = _header(
        _download(client, reverse("dataio:export_orders"), language="zh-hans", headers="local")
    )
    lines = _header(
        _download(
            client,
            reverse("dataio:export_orders"),
            language="zh-hans",
            headers="local",
            lines="1",
        )
    )

    assert customers == _labels(exports.CUSTOMER_HEADER, "customers")
    assert customers[:2] == ["外部编号", "名称"]
    assert "CRM 编号" in customers
    assert orders == _labels(exports.ORDER_HEADER, "orders")
    assert orders[:4] == ["客户外部编号", "客户名称", "订单编号", "日期"]
    assert lines == _labels(exports.ORDER_LINE_HEADER, "orders")
    assert {"产品 SKU", "产品", "数量", "单价"} <= set(lines)


def test_an_english_users_local_headers_are_the_english_labels(client_for, owner, book):
    body = _download(client_for(owner), reverse("dataio:export_customers"), headers="local")

    header = _header(body)
    assert header[:3] == ["External id", "Name", "Email"]
    assert "CRM id" in header


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_export_with_chinese_headers_imports_back_unchanged(
    client_for, owner, book, chinese, language
):
    """Exported in Chinese, imported by a user reading English or Chinese."""
    client = client_for(owner)
    url_customers, url_orders = reverse("dataio:export_customers"), reverse("dataio:export_orders")
    customers = _download(client, url_customers, language="zh-hans", headers="local")
    orders = _download(client, url_orders, language="zh-hans", headers="local")
    lines = _download(client, url_orders, language="zh-hans", headers="local", lines="1")

    with translation.override(language):
        mapping = guess_mapping("customers", _header(customers))
        customer_report = import_file("customers", customers, user=owner)
        order_report = import_file("orders", orders, user=owner)
        line_report = import_file("orders", lines, user=owner)

    assert set(mapping) >= {"external_id", "name", "email", "owner", "status", "churned_on"}
    assert _header(customers)[mapping["external_id"]] == "外部编号"
    assert "CRM 编号" not in {_header(customers)[index] for index in mapping.values()}
    report = customer_report
    assert (report.unchanged, report.created, report.updated, report.error_rows) == (2, 0, 0, 0)
    assert (order_report.unchanged, order_report.error_rows) == (2, 0)
    assert (line_report.unchanged, line_report.error_rows) == (2, 0)
    assert Customer.objects.count() == 2
    assert Order.objects.count() == 2


def test_an_import_reads_chinese_labels_in_any_mix_with_english_ones(owner, chinese):
    data = csv_bytes(
        [
            ["外部编号", "名称", "Email", "状态"],
            ["N-1", "新客户有限公司", "new@example.com", "lead"],
        ]
    )

    assert guess_mapping("customers", _header(data)) == {
        "external_id": 0,
        "name": 1,
        "email": 2,
        "status": 3,
    }
    report = import_file("customers", data, user=owner)

    assert (report.created, report.error_rows) == (1, 0)
    assert Customer.objects.get(external_id="N-1").name == "新客户有限公司"
