"""The owner and tag filters of the lists come from a cache (customers.selectors
.filter_choices, issue 14): whatever adds, renames, deactivates or removes a user or a tag
(the services, the admin, the API's bulk writes) shows in the next page's filters."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from customers import services
from customers.models import Tag
from customers.selectors import FILTER_CHOICES_CACHE_KEY, filter_choices
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block schedules for after its commit, as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _filter_options(html: str, name: str) -> list[str]:
    start = html.index(f'<select name="{name}"')
    return [
        part.split(">", 1)[1].split("<", 1)[0]
        for part in html[start : html.index("</select>", start)].split("<option")[2:]
    ]


def test_the_lists_filters_follow_tags_made_and_changed_every_way(
    client_for, manager, owner, committed
):
    TagFactory(name="vip")
    client = client_for(manager)
    assert _filter_options(client.get(reverse("customers:list")).content.decode(), "tag") == ["vip"]

    with committed():
        services.tags_get_or_create(user=owner, names=["展会"])  # a person's form
    with committed():
        services._tags_by_name(["wholesale"])  # the bulk writes of the API and the import
    with committed():
        tag = Tag.objects.get(name="vip")
        tag.name = "VIP"  # the admin
        tag.save()

    html = client.get(reverse("customers:list")).content.decode()
    assert _filter_options(html, "tag") == ["VIP", "wholesale", "展会"]

    with committed():
        Tag.objects.filter(name="wholesale").delete()
    html = client.get(reverse("customers:list")).content.decode()
    assert _filter_options(html, "tag") == ["VIP", "展会"]


def test_the_owner_filter_follows_people_added_renamed_and_deactivated(
    client_for, manager, owner, committed
):
    client = client_for(manager)
    before = _filter_options(client.get(reverse("customers:list")).content.decode(), "owner")
    assert owner.get_full_name() in before

    with committed():
        newcomer = get_user_model().objects.create_user("newcomer", first_name="李", last_name="四")
    with committed():
        owner.is_active = False
        owner.save()

    html = client.get(reverse("customers:list")).content.decode()
    after = _filter_options(html, "owner")
    assert newcomer.get_full_name() in after
    assert owner.get_full_name() not in after
    assert f'<option value="{newcomer.pk}">' in html
    # The value lists' owner filter reads the same choices.
    call_next = client.get(reverse("metrics:call_next")).content.decode()
    assert f'<option value="{newcomer.pk}">' in call_next


def test_signing_in_keeps_the_cached_choices(owner, manager, client, committed):
    filter_choices()
    with committed():
        client.force_login(owner)  # saves the user's last_login
    assert get_user_model().objects.get(pk=owner.pk).last_login is not None
    assert cache.get(FILTER_CHOICES_CACHE_KEY) is not None
