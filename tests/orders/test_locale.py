"""Order pages in Chinese: amounts with the symbols a Chinese reader knows, grouped
thousands, ISO dates in the list; messages with amounts say them the same way."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

from .factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture
def order(owner):
    customer = CustomerFactory(owner=owner, name="上海恒信贸易有限公司")
    product = ProductFactory(name="人体工学椅", list_price=D("6606.10"), unit_cost=D("8.00"))
    return OrderFactory(
        customer=customer,
        number="SO-CN-1",
        status="paid",
        ordered_on=dt.date(2026, 3, 1),
        lines=[(product, 2)],
    )


def test_the_order_list_in_chinese_shows_symbols_and_grouped_amounts(order, client_for, owner):
    content = client_for(owner).get(reverse("orders:list"), **CHINESE).content.decode()
    assert 'lang="zh-hans"' in content
    assert "US$13,212.20" in content  # not "13212.20 USD"
    assert "2026-03-01" in content


def test_the_order_list_in_a_cny_deployment_shows_yuan(order, client_for, owner, settings):
    settings.CRM_BASE_CURRENCY = "CNY"
    order.currency = "CNY"
    order.save(update_fields=["currency"])
    content = client_for(owner).get(reverse("orders:list"), **CHINESE).content.decode()
    assert "¥13,212.20" in content


def test_a_refund_message_says_the_amount_in_the_readers_language(order, client_for, owner):
    url = reverse("orders:refund", args=[order.pk])
    response = client_for(owner).post(url, {"amount": "20000"}, **CHINESE)
    assert response.status_code == 200
    assert "US$13,212.20" in response.content.decode()
