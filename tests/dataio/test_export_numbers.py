"""A CSV export is for machines: plain numbers and ISO dates whatever the reader's language,
never the pages' display formats (no symbols, no grouping)."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_an_order_export_in_chinese_writes_plain_numbers(client_for, owner):
    customer = CustomerFactory(owner=owner, name="北京华远科技有限公司")
    product = ProductFactory(list_price=D("6606.10"), unit_cost=D("1000.00"))
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 12, 6), lines=[(product, 2)])
    response = client_for(owner).get(
        reverse("dataio:export_orders"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = csv.reader(io.StringIO(body.splitlines()[1]))
    assert "13212.20" in row
    assert "2026-12-06" in row
    assert not any(mark in cell for cell in row for mark in ("¥", "$", "13,212", "年"))
