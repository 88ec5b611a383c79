"""The fixed cost of a signed-in request (issue 14): a user's permissions are read in one
query (core.auth.PermissionsBackend, not Django's two), answer exactly as Django's
ModelBackend does, and are never kept from one request to the next; a page of customers
reads its tags without a related manager per row."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.auth import PermissionsBackend
from core.roles import SALES_MANAGER, SALES_REP
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _permission_queries(queries):
    return [q["sql"] for q in queries.captured_queries if '"auth_permission"' in q["sql"]]


def test_a_page_reads_the_users_permissions_in_one_query(client_for, manager):
    CustomerFactory(owner=manager, name="Acme")
    client = client_for(manager)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:list"))

    assert response.status_code == 200
    assert "Acme" in response.content.decode()
    assert len(_permission_queries(queries)) == 1


def test_the_role_every_page_shows_is_read_with_the_permissions(client_for, owner):
    client = client_for(owner)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:list"))

    assert "· Sales rep" in response.content.decode()
    group_queries = [q["sql"] for q in queries.captured_queries if '"auth_group"' in q["sql"]]
    assert group_queries == _permission_queries(queries)
    owner.groups.set([Group.objects.get(name=SALES_MANAGER)])
    assert "· Sales manager" in client.get(reverse("customers:list")).content.decode()


def _fresh(user):
    # A new object, as each request loads: no permissions cached on it.
    return get_user_model().objects.get(pk=user.pk)


def test_the_permissions_are_django_s_own_and_groups_together(owner):
    own = Permission.objects.get(codename="view_all_customers")
    owner.user_permissions.add(own)

    combined = PermissionsBackend().get_all_permissions(_fresh(owner))

    django = ModelBackend()
    user = _fresh(owner)
    expected = django.get_user_permissions(user) | django.get_group_permissions(user)
    assert combined == expected
    assert {"customers.view_all_customers", "customers.view_customer"} <= combined
    assert _fresh(owner).has_perm("customers.view_all_customers")
    assert not _fresh(owner).has_perm("metrics.view_recalcrun")


def test_an_inactive_user_has_no_permission_and_a_superuser_every_one(owner, admin_user):
    owner.is_active = False
    owner.save()
    admin_user.is_superuser = True
    admin_user.save()

    assert PermissionsBackend().get_all_permissions(_fresh(owner)) == set()
    assert not _fresh(owner).has_perm("customers.view_customer")
    everything = PermissionsBackend().get_all_permissions(_fresh(admin_user))
    assert len(everything) == Permission.objects.count()


def test_a_permission_taken_away_counts_on_the_next_request(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("customers:list")).status_code == 200

    owner.groups.remove(Group.objects.get(name=SALES_REP))

    assert client.get(reverse("customers:list")).status_code == 403


def test_the_backend_signs_no_one_in(owner):
    owner.set_password("secret")
    owner.save()

    assert (
        PermissionsBackend().authenticate(None, username=owner.username, password="secret") is None
    )
    assert ModelBackend().authenticate(None, username=owner.username, password="secret") == owner
