"""The customer list's rows (customers/templatetags/customer_rows.py, written in Python for
speed, issue 14) show what the template showed, for customers made every way: with an owner
or none (an import, a task), with a full score, a score with blank figures, or none yet;
every value escaped; words, dates and amounts in the reader's language."""

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import CustomerScore
from tests.factories import CustomerFactory, TagFactory
from tests.tables import table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(owner):
    scored = CustomerFactory(owner=owner, name="Scored <b>Ltd</b>", region="West")
    scored.tags.add(TagFactory(name="vip"), TagFactory(name="展会"))
    blank = CustomerFactory(owner=None, name="Imported", region="", email="")
    CustomerFactory(owner=None, name="Unscored", status="lead")
    CustomerScore.objects.all().delete()
    CustomerScore.objects.create(
        customer=scored,
        as_of="2026-11-30",
        model_version="test",
        value_score=86.6,
        tier="A",
        churn_risk=0.125,
        revenue=Decimal("1234.5"),
    )
    CustomerScore.objects.create(customer=blank, as_of="2026-11-30", model_version="test")
    return scored


def test_a_managers_rows_show_every_cell_for_customers_made_every_way(
    client_for, manager, owner, population
):
    html = client_for(manager).get(reverse("customers:list")).content.decode()
    rows = table_rows(html)

    created = population.created_at.date().isoformat()
    assert rows["Scored <b>Ltd</b>"] == [
        "Scored <b>Ltd</b>",
        "Active",
        owner.get_full_name() or owner.username,
        "West",
        population.email,
        "vip 展会",
        created,
        "87",
        "Tier A",
        "13%",
        "$1,234.50",
    ]
    assert "Scored &lt;b&gt;Ltd&lt;/b&gt;" in html  # escaped, never markup
    assert f'href="{population.get_absolute_url()}"' in html
    assert rows["Imported"][1:6] == ["Active", "no owner", "—", "—", ""]
    assert rows["Imported"][7:] == ["—", "", "—", "—"]
    assert rows["Unscored"][1:3] == ["Lead", "no owner"]
    assert rows["Unscored"][7:] == ["—", "", "—", "—"]
    assert 'data-label="Churn risk">13%</td>' in html


def test_a_reps_rows_have_no_owner_cell(client_for, owner, population):
    rows = table_rows(client_for(owner).get(reverse("customers:list")).content.decode())

    assert rows["Scored <b>Ltd</b>"][1:4] == ["Active", "West", population.email]


def test_the_rows_speak_the_readers_language(client_for, manager, population):
    client = client_for(manager)
    html = client.get(reverse("customers:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = table_rows(html)["Scored <b>Ltd</b>"]

    assert row[1] == "活跃"
    assert row[8] == "A 级"
    assert row[10] == "US$1,234.50"
    assert 'data-label="流失风险"' in html
