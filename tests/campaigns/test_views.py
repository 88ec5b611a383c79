import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services
from campaigns.models import Campaign, SpendEntry
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

AS_OF = "2026-06-30"


@pytest.fixture
def campaign(db):
    return CampaignFactory(name="Spring mailing", budget=Decimal("20000"))


@pytest.fixture
def entry(campaign):
    return SpendEntryFactory(campaign=campaign)


def _read_urls(campaign, entry):
    return [reverse("campaigns:list"), campaign.get_absolute_url()]


def _write_urls(campaign, entry):
    return [
        reverse("campaigns:create"),
        reverse("campaigns:update", args=[campaign.pk]),
        reverse("campaigns:delete", args=[campaign.pk]),
        reverse("campaigns:spend_delete", args=[campaign.pk, entry.pk]),
    ]


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        (None, 302, 302),
        ("outsider", 403, 403),
        ("owner", 200, 403),
        ("manager", 200, 403),
        ("admin_user", 200, 200),
    ],
)
def test_permission_matrix_for_pages(request, client_for, campaign, entry, persona, read, write):
    client = client_for(request.getfixturevalue(persona) if persona else None)
    for url in _read_urls(campaign, entry):
        response = client.get(url)
        assert response.status_code == read, url
        if read == 302:
            assert response.url.startswith(reverse("login"))
    for url in _write_urls(campaign, entry):
        response = client.get(url)
        assert response.status_code == write, url
        if write == 302:
            assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("outsider", 403), ("owner", 403), ("manager", 403)],
)
def test_writes_are_refused_to_everyone_but_admins(
    request, client_for, campaign, entry, persona, status
):
    client = client_for(request.getfixturevalue(persona) if persona else None)
    posts = {
        reverse("campaigns:create"): {
            "name": "X",
            "channel": "email",
            "starts_on": "2026-01-01",
            "budget": "1",
        },
        reverse("campaigns:update", args=[campaign.pk]): {
            "name": "X",
            "channel": "email",
            "starts_on": "2026-01-01",
            "budget": "1",
        },
        reverse("campaigns:spend_add", args=[campaign.pk]): {
            "spent_on": "2026-01-02",
            "amount": "5",
        },
        reverse("campaigns:spend_delete", args=[campaign.pk, entry.pk]): {},
        reverse("campaigns:delete", args=[campaign.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == status, url
    campaign.refresh_from_db()
    assert campaign.name == "Spring mailing"
    assert list(SpendEntry.objects.all()) == [entry]
    assert Campaign.objects.count() == 1


def test_missing_campaign_is_404(client_for, owner):
    assert client_for(owner).get(reverse("campaigns:detail", args=[999])).status_code == 404


def test_list_shows_figures_and_cac_example(client_for, manager, campaign):
    SpendEntryFactory(campaign=campaign, amount=Decimal("10000"), spent_on=dt.date(2026, 2, 1))
    CustomerFactory.create_batch(50, owner=manager, acquired_by_campaign=campaign)
    CampaignFactory(name="Quiet fair", budget=Decimal("0"), starts_on=dt.date(2025, 5, 1))

    response = client_for(manager).get(reverse("campaigns:list"), {"as_of": AS_OF})

    content = response.content.decode()
    assert response.status_code == 200
    spring, quiet = content.index("Spring mailing"), content.index("Quiet fair")
    assert spring < quiet  # newest start first
    spring_row = content[spring : content.index("</tr>", spring)]
    assert "10,000.00" in spring_row
    assert "50.0%" in spring_row  # budget used
    assert "200.00" in spring_row  # CAC
    quiet_row = content[quiet : content.index("</tr>", quiet)]
    assert quiet_row.count("—") == 2  # no budget, nobody acquired: CAC is a dash, not 0


def test_list_search_channel_filter_and_empty_states(client_for, owner, admin_user, campaign):
    CampaignFactory(name="Trade fair", channel=Campaign.Channel.EVENTS)
    client = client_for(owner)

    content = client.get(reverse("campaigns:list"), {"q": "fair"}).content.decode()
    assert "Trade fair" in content
    assert "Spring mailing" not in content
    content = client.get(reverse("campaigns:list"), {"channel": "email"}).content.decode()
    assert "Spring mailing" in content
    assert "Trade fair" not in content
    content = client.get(reverse("campaigns:list"), {"q": "nothing like it"}).content.decode()
    assert "No campaign matches these filters." in content

    Campaign.objects.all().delete()
    content = client.get(reverse("campaigns:list")).content.decode()
    assert "No campaigns yet." in content
    assert "Create the first one" not in content
    content = client_for(admin_user).get(reverse("campaigns:list")).content.decode()
    assert "Create the first one" in content


def test_list_htmx_returns_only_the_results(client_for, owner, campaign):
    response = client_for(owner).get(reverse("campaigns:list"), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "Spring mailing" in content
    assert "<html" not in content


def test_list_paginates(client_for, owner, settings):
    settings.CRM_PAGE_SIZE = 2
    for day in range(1, 4):
        CampaignFactory(name=f"Day {day}", starts_on=dt.date(2026, 1, day))
    client = client_for(owner)
    first = client.get(reverse("campaigns:list")).content.decode()
    second = client.get(reverse("campaigns:list"), {"page": 2}).content.decode()
    assert "Day 3" in first
    assert "Day 2" in first
    assert "Day 1" not in first
    assert "Day 1" in second
    assert "Day 3" not in second


def test_detail_with_nobody_acquired_shows_a_dash_for_cac(client_for, manager, campaign):
    SpendEntryFactory(campaign=campaign, amount=Decimal("500"), spent_on=dt.date(2026, 2, 1))
    response = client_for(manager).get(campaign.get_absolute_url(), {"as_of": AS_OF})
    content = response.content.decode()
    cac = content[content.index(">CAC<") :]
    cac = cac[: cac.index("</dd>")]
    assert "—" in cac
    assert "0.00" not in cac
    assert "No customer is attributed to this campaign yet." in content


def test_rep_sees_only_own_acquired_customers_and_their_revenue(
    client_for, owner, teammate, campaign
):
    SpendEntryFactory(campaign=campaign, amount=Decimal("900"), spent_on=dt.date(2026, 2, 1))
    mine = CustomerFactory(name="Mine Ltd", owner=owner, acquired_by_campaign=campaign)
    theirs = CustomerFactory(name="Theirs Ltd", owner=teammate, acquired_by_campaign=campaign)
    CustomerFactory(name="Theirs Too", owner=teammate, acquired_by_campaign=campaign)
    OrderFactory(customer=mine, total="123.00")
    OrderFactory(customer=theirs, total="5000.00")

    content = client_for(owner).get(campaign.get_absolute_url(), {"as_of": AS_OF}).content.decode()

    assert "Mine Ltd" in content
    assert mine.get_absolute_url() in content
    assert "Theirs" not in content
    assert "Your customers acquired by this campaign" in content
    assert "Revenue from your customers" in content
    assert "123.00" in content
    assert "5,000.00" not in content
    assert "300.00" in content  # company CAC: 900 spend / 3 customers


def test_manager_sees_every_acquired_customer(client_for, manager, owner, teammate, campaign):
    CustomerFactory(name="Mine Ltd", owner=owner, acquired_by_campaign=campaign)
    CustomerFactory(name="Theirs Ltd", owner=teammate, acquired_by_campaign=campaign)
    content = client_for(manager).get(campaign.get_absolute_url()).content.decode()
    assert "Mine Ltd" in content
    assert "Theirs Ltd" in content
    assert "Revenue from these customers" in content


def _acquired_names(html):
    return re.findall(r'<td><a href="/customers/\d+/">([^<]+)</a></td>', html)


def test_acquired_customers_page_by_keyset_with_htmx_in_a_fixed_number_of_queries(
    client_for, manager, owner, campaign, settings
):
    settings.CRM_PAGE_SIZE = 2
    # Ties on the name, a rep's customer and one of another campaign among them.
    for name in ("Echo", "Alpha", "Delta", "Alpha", "Bravo", "Charlie"):
        CustomerFactory(name=name, owner=manager, acquired_by_campaign=campaign)
    CustomerFactory(name="Alpha", owner=owner, acquired_by_campaign=campaign)
    CustomerFactory(name="Alpha", owner=manager, acquired_by_campaign=CampaignFactory())
    client = client_for(manager)
    fragment = {"HX-Request": "true", "HX-Target": "acquired-customers"}

    url, shown, queries = campaign.get_absolute_url(), [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=fragment if shown else {})
        assert response.status_code == 200
        html = response.content.decode()
        shown += _acquired_names(html)
        if shown[2:]:  # the fragments after the first page
            queries.append(len(captured))
            assert "Spend ledger" not in html
        link = re.search(r'href="(\?cursor=[^"]*)"[^>]*rel="next"', html)
        url = campaign.get_absolute_url() + link.group(1).replace("&amp;", "&") if link else None

    assert shown == ["Alpha", "Alpha", "Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert len(set(queries)) == 1, queries  # the same at every depth
    # A rep's pages: their own customer alone.
    own = client_for(owner).get(campaign.get_absolute_url()).content.decode()
    assert _acquired_names(own) == ["Alpha"]
    assert 'rel="next"' not in own


def test_rep_and_manager_see_no_write_controls(client_for, owner, campaign, entry):
    content = client_for(owner).get(campaign.get_absolute_url()).content.decode()
    assert "Add spend" not in content
    assert reverse("campaigns:update", args=[campaign.pk]) not in content
    assert reverse("campaigns:spend_delete", args=[campaign.pk, entry.pk]) not in content


def test_admin_creates_and_edits_and_history_shows_who(client_for, admin_user):
    client = client_for(admin_user)
    data = {"name": "Fair", "channel": "events", "starts_on": "2026-04-01", "budget": "100"}
    response = client.post(reverse("campaigns:create"), data)
    campaign = Campaign.objects.get(name="Fair")
    assert response.url == campaign.get_absolute_url()

    response = client.post(
        reverse("campaigns:update", args=[campaign.pk]), {**data, "budget": "2500"}
    )
    assert response.status_code == 302

    content = client.get(campaign.get_absolute_url()).content.decode()
    history = content[content.index("Change history") :]
    assert history.count("ada") == 2
    assert "Budget: 100.00 → 2500.00" in history
    assert "Created" in history


def test_edit_form_shows_errors_inline(client_for, admin_user, campaign):
    response = client_for(admin_user).post(
        reverse("campaigns:update", args=[campaign.pk]),
        {
            "name": "Spring mailing",
            "channel": "email",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "budget": "-5",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "The amount cannot be negative." in content
    campaign.refresh_from_db()
    assert campaign.budget == Decimal("20000")


def test_admin_adds_spend_without_js(client_for, admin_user, campaign):
    response = client_for(admin_user).post(
        reverse("campaigns:spend_add", args=[campaign.pk]),
        {"spent_on": "2026-02-01", "amount": "750.25", "note": "Flyers"},
    )
    assert response.url == campaign.get_absolute_url()
    assert campaign.spend_entries.get().amount == Decimal("750.25")


def test_admin_adds_spend_with_htmx_and_gets_fresh_figures(client_for, admin_user, campaign):
    response = client_for(admin_user).post(
        reverse("campaigns:spend_add", args=[campaign.pk]) + f"?as_of={AS_OF}",
        {"spent_on": "2026-02-01", "amount": "5000"},
        headers={"HX-Request": "true", "HX-Target": "campaign-money"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "25.0%" in content  # 5000 of a 20000 budget
    assert "Spend ledger" in content


@pytest.mark.parametrize("htmx", [False, True])
def test_negative_spend_shows_a_clear_error_and_writes_nothing(
    client_for, admin_user, campaign, htmx
):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(admin_user).post(
        reverse("campaigns:spend_add", args=[campaign.pk]),
        {"spent_on": "2026-02-01", "amount": "-10"},
        headers=headers,
    )
    assert response.status_code == 200
    assert "The amount cannot be negative." in response.content.decode()
    assert not SpendEntry.objects.exists()


def test_spend_without_a_date_is_refused(client_for, admin_user, campaign):
    response = client_for(admin_user).post(
        reverse("campaigns:spend_add", args=[campaign.pk]), {"amount": "10"}
    )
    assert "Enter the date the money was spent." in response.content.decode()
    assert not SpendEntry.objects.exists()


def test_spend_delete_asks_first_then_deletes(client_for, admin_user, campaign, entry):
    client = client_for(admin_user)
    url = reverse("campaigns:spend_delete", args=[campaign.pk, entry.pk])
    assert "Delete this spend entry?" in client.get(url).content.decode()
    assert SpendEntry.objects.exists()
    assert client.post(url).url == campaign.get_absolute_url()
    assert not SpendEntry.objects.exists()


def test_spend_entry_of_another_campaign_is_404(client_for, admin_user, campaign):
    other = SpendEntryFactory()
    url = reverse("campaigns:spend_delete", args=[campaign.pk, other.pk])
    assert client_for(admin_user).post(url).status_code == 404
    assert SpendEntry.objects.filter(pk=other.pk).exists()


def test_campaign_delete_asks_first_then_deletes(client_for, admin_user, campaign, entry):
    customer = CustomerFactory(owner=admin_user, acquired_by_campaign=campaign)
    client = client_for(admin_user)
    url = reverse("campaigns:delete", args=[campaign.pk])
    content = client.get(url).content.decode()
    assert "1 spend entry is deleted" in content
    assert "1 customer attributed to it stays" in content
    assert client.post(url).url == reverse("campaigns:list")
    assert not Campaign.objects.exists()
    customer.refresh_from_db()
    assert customer.acquired_by_campaign is None


def test_history_names_a_service_edit(client_for, admin_user, manager, campaign):
    services.campaign_update(user=admin_user, campaign=campaign, name="Summer mailing")
    content = client_for(manager).get(campaign.get_absolute_url()).content.decode()
    assert "Name: Spring mailing → Summer mailing" in content
