"""``seed_demo --language zh-hans``: the demo in Chinese, priced in yuan."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.models import Campaign
from crm.demo import generate, vocabulary, vocabulary_zh
from customers.models import Activity, Contact, Customer, Tag
from orders.models import CustomerCost, Order, Product

from .test_seed_demo import AS_OF, SIZE, assert_totals_match_orders_totals

HAN = re.compile(r"[\u4e00-\u9fff]")
REGIONS = {region.name for region in vocabulary_zh.REGIONS}
SURNAMES = set(vocabulary_zh.SURNAMES)


def seed_chinese(*args):
    out = StringIO()
    call_command(
        "seed_demo",
        "--customers",
        str(SIZE),
        "--as-of",
        AS_OF.isoformat(),
        "--language",
        "zh-hans",
        *args,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def yuan(settings):
    settings.CRM_BASE_CURRENCY = "CNY"


@pytest.fixture
def seeded_chinese(db, yuan):
    return seed_chinese()


@pytest.mark.django_db
def test_the_chinese_demo_needs_yuan_as_the_base_currency(settings):
    settings.CRM_BASE_CURRENCY = "USD"
    with pytest.raises(CommandError, match="BASE_CURRENCY=CNY"):
        seed_chinese()
    assert not Customer.objects.exists()
    assert not get_user_model().objects.exists()


def test_customers_have_chinese_names_places_and_language(seeded_chinese):
    customers = list(Customer.objects.all())
    assert len(customers) == SIZE
    for customer in customers:
        assert HAN.search(customer.name), customer.name
        assert customer.region in REGIONS
        assert HAN.search(customer.address), customer.address
        assert customer.address.endswith("号")
        assert customer.language == "zh-hans"
        assert customer.email.isascii()
    companies = [c.name for c in customers if c.kind == Customer.Kind.COMPANY]
    assert any(name.endswith("有限公司") for name in companies)
    cities = {city for region in vocabulary_zh.REGIONS for city in region.cities}
    assert any(name.startswith(tuple(cities)) for name in companies)  # 上海恒信贸易有限公司
    persons = [c for c in customers if c.kind == Customer.Kind.PERSON]
    assert persons
    for person in persons:
        # Surname first, no space: 张伟.
        assert " " not in person.name
        assert person.name[0] in SURNAMES or person.name[:2] in SURNAMES
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com", person.email or "x.y1@example.com")
    company_with_email = next(c for c in customers if c.kind == "company" and c.email)
    assert re.fullmatch(r"[a-z]+@[a-z]+\.example\.com", company_with_email.email)


def test_contacts_activities_tags_costs_and_campaigns_are_chinese(seeded_chinese):
    contact = Contact.objects.first()
    assert HAN.search(contact.name)
    assert HAN.search(contact.role)
    assert contact.email.isascii()
    assert all(
        HAN.search(subject) for subject in Activity.objects.values_list("subject", flat=True)
    )
    assert set(Tag.objects.values_list("name", flat=True)) == set(vocabulary_zh.TAGS)
    assert all(HAN.search(note) for note in CustomerCost.objects.values_list("note", flat=True))
    names = list(Campaign.objects.values_list("name", flat=True))
    assert len(names) == len(vocabulary_zh.CAMPAIGNS)
    assert all(HAN.search(name) for name in names)
    assert "2023年品牌词搜索推广" in names
    products = dict(Product.objects.values_list("sku", "name"))
    assert products["CHR-ERG"] == "人体工学椅"


def test_orders_and_costs_are_in_yuan(seeded_chinese):
    assert Order.objects.exists()
    assert set(Order.objects.values_list("currency", flat=True)) == {"CNY"}
    assert not Order.objects.exclude(exchange_rate=1).exists()
    assert set(CustomerCost.objects.values_list("currency", flat=True)) == {"CNY"}
    assert Product.objects.get(sku="CHR-ERG").list_price == 2499
    assert_totals_match_orders_totals()


def test_demo_users_keep_their_logins_with_chinese_names(seeded_chinese, client):
    for username in ("admin", "manager", "rep", "rep2"):
        user = get_user_model().objects.get(username=username)
        assert HAN.search(user.get_full_name())
        response = client.post(reverse("login"), {"username": username, "password": "demo"})
        assert response.status_code == 302


def test_the_vocabularies_have_the_same_shape_and_latin_spellings():
    """Both vocabularies fill the same slots (the generator draws the same random numbers
    for either), and every name has a Latin spelling for its email address."""
    assert [len(r.cities) > 0 for r in vocabulary_zh.REGIONS] == [True] * 6
    assert len(vocabulary_zh.TAGS) == len(vocabulary.TAGS)
    assert [p.sku for p in vocabulary_zh.PRODUCTS] == [p.sku for p in vocabulary.PRODUCTS]
    assert len(vocabulary_zh.CAMPAIGNS) == len(vocabulary.CAMPAIGNS)
    for words in (vocabulary, vocabulary_zh):
        for region in words.REGIONS:
            names = (*region.first_names, *region.last_names)
            assert all(generate._latin(words, name) for name in names), region.name
        for word in (*words.COMPANY_FIRST, *words.COMPANY_SECOND):
            assert generate._latin(words, word), word


def test_pages_show_the_chinese_demo_in_yuan(seeded_chinese, client):
    client.force_login(get_user_model().objects.get(username="manager"))
    content = client.get(reverse("orders:list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "¥" in content
    assert "US$" not in content
    assert re.search(r"¥\d{1,3}(,\d{3})*\.\d\d", content)
