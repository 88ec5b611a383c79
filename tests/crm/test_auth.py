import re

import pytest
from django.core import mail
from django.urls import reverse

from core.roles import ADMIN, SALES_MANAGER, SALES_REP, user_role
from tests.factories import PASSWORD, UserFactory


def test_roles_exist_with_expected_permissions(db):
    rep = UserFactory(role=SALES_REP)
    manager = UserFactory(role=SALES_MANAGER)
    admin = UserFactory(role=ADMIN)
    assert rep.has_perm("customers.change_customer")
    assert not rep.has_perm("customers.view_all_customers")
    assert not rep.has_perm("customers.reassign_customer")
    assert not rep.has_perm("orders.change_product")
    assert manager.has_perm("customers.view_all_customers")
    assert manager.has_perm("customers.reassign_customer")
    assert not manager.has_perm("campaigns.add_campaign")
    assert admin.has_perm("campaigns.add_campaign")
    assert admin.has_perm("auth.change_user")
    assert (user_role(rep), user_role(manager), user_role(admin)) == (
        "Sales rep",
        "Sales manager",
        "Admin",
    )


def test_pages_need_login(client, db):
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_and_logout(client, db):
    user = UserFactory(username="sam", role=SALES_REP)
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("analytics:dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("analytics:dashboard")).status_code == 302
    assert user.is_authenticated


def test_wrong_password_shows_an_error(client, db):
    UserFactory(username="sam", role=SALES_REP)
    response = client.post(reverse("login"), {"username": "sam", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_repeated_failures_lock_the_username_from_that_address(client, db, settings):
    UserFactory(username="sam", role=SALES_REP)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "sam", "password": "nope"})
    response = client.post(reverse("login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    # Another username from the same address is not locked out.
    UserFactory(username="kim", role=SALES_REP)
    response = client.post(reverse("login"), {"username": "kim", "password": PASSWORD})
    assert response.status_code == 302


def test_password_change(client, db):
    user = UserFactory(username="sam", role=SALES_REP)
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase")


@pytest.mark.parametrize("email", ["sam@example.com", "unknown@example.com"])
def test_password_reset_sends_a_link_only_to_known_addresses(client, db, email):
    UserFactory(username="sam", email="sam@example.com", role=SALES_REP)
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == (1 if email == "sam@example.com" else 0)


def test_password_reset_link_sets_a_new_password(client, db):
    user = UserFactory(username="sam", email="sam@example.com", role=SALES_REP)
    client.post(reverse("password_reset"), {"email": "sam@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-passphrase-42", "new_password2": "fresh-passphrase-42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("fresh-passphrase-42")


def test_healthz(client, db):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_menu_follows_permissions_not_group_names(client_for, manager, admin_user):
    """The admin-only links show for whoever holds what the pages ask, whatever the group."""
    rates, admin_site = reverse("orders:rates"), reverse("admin:index")
    manager_menu = client_for(manager).get(reverse("analytics:dashboard")).content.decode()
    admin_menu = client_for(admin_user).get(reverse("analytics:dashboard")).content.decode()
    assert rates not in manager_menu
    assert admin_site not in manager_menu
    assert rates in admin_menu
    assert admin_site in admin_menu
