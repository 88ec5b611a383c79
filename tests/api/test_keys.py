import datetime as dt

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from rest_framework.test import APIClient

from api.keys import ApiKey, api_key_create, api_key_revoke, key_hash
from tests.factories import CustomerFactory
from tests.keyset import assert_cursors_not_ours_show_the_first_page, walk

KEYS_URL = "/settings/api-keys/"


def _bearer(raw, scheme="Bearer"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
    return client


def test_creating_a_key_shows_it_once_and_stores_only_its_hash(client_for, owner):
    client = client_for(owner)
    response = client.post(KEYS_URL, {"name": "ERP sync"})

    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw.startswith("crm_")
    assert raw in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    api_key = ApiKey.objects.get(user=owner)
    assert api_key.name == "ERP sync"
    assert api_key.prefix == raw[:8]
    assert api_key.hashed_key == key_hash(raw)
    assert raw not in api_key.hashed_key

    listing = client.get(KEYS_URL).content.decode()
    assert raw not in listing
    assert "ERP sync" in listing
    assert f"{raw[:8]}…" in listing
    assert "Never" in listing


def test_key_name_is_required(client_for, owner):
    response = client_for(owner).post(KEYS_URL, {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiKey.objects.exists()


def test_key_page_needs_login(db, client_for):
    response = client_for(None).get(KEYS_URL)
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_empty_state(client_for, outsider):
    assert "No API keys yet" in client_for(outsider).get(KEYS_URL).content.decode()


def test_the_user_menu_links_to_the_keys(client_for, owner):
    assert KEYS_URL in client_for(owner).get(reverse("analytics:dashboard")).content.decode()


def test_a_key_authenticates_as_its_user_with_both_schemes(owner):
    CustomerFactory(owner=owner, name="Mine")
    CustomerFactory(name="Someone else's")
    _key, raw = api_key_create(user=owner, name="k")
    for scheme in ("Bearer", "Api-Key"):
        response = _bearer(raw, scheme).get("/api/v1/customers/")
        assert response.status_code == 200
        assert [c["name"] for c in response.json()["results"]] == ["Mine"]


def test_last_used_is_recorded(owner):
    api_key, raw = api_key_create(user=owner, name="k")
    _bearer(raw).get("/api/v1/customers/")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_revoking_asks_first_then_the_key_is_refused(client_for, owner):
    api_key, raw = api_key_create(user=owner, name="Old laptop")
    client = client_for(owner)
    url = f"/settings/api-keys/{api_key.pk}/revoke/"

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke “Old laptop”?" in confirm.content.decode()
    api_key.refresh_from_db()
    assert api_key.revoked_at is None

    response = client.post(url)
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.is_revoked
    refused = _bearer(raw).get("/api/v1/customers/")
    assert refused.status_code == 401
    assert refused.json()["error"] == {
        "code": "authentication_failed",
        "message": "This API key has been revoked.",
        "details": {},
    }
    assert "Revoked" in client.get(KEYS_URL).content.decode()


def test_nobody_revokes_another_users_key(client_for, owner, admin_user):
    api_key, _raw = api_key_create(user=owner, name="k")
    assert (
        client_for(admin_user).post(f"/settings/api-keys/{api_key.pk}/revoke/").status_code == 404
    )
    api_key.refresh_from_db()
    assert not api_key.is_revoked


def test_revoking_twice_keeps_the_first_date(owner):
    api_key, _raw = api_key_create(user=owner, name="k")
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    api_key_revoke(api_key=api_key, now=first)
    api_key_revoke(api_key=api_key, now=first + dt.timedelta(days=1))
    api_key.refresh_from_db()
    assert api_key.revoked_at == first


@pytest.mark.parametrize(
    "header",
    ["Bearer crm_not-a-real-key", "Bearer", "Bearer two parts", "Api-Key wrong"],
)
def test_bad_keys_are_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_users_key_is_refused(owner):
    _key, raw = api_key_create(user=owner, name="k")
    owner.is_active = False
    owner.save()
    assert _bearer(raw).get("/api/v1/customers/").status_code == 401


def test_the_browser_session_works_too(client_for, owner):
    CustomerFactory(owner=owner)
    assert client_for(owner).get("/api/v1/customers/").status_code == 200


def test_a_new_key_is_shown_in_a_full_size_field_with_a_copy_button(client_for, owner):
    html = client_for(owner).post(KEYS_URL, {"name": "ERP sync"}).content.decode()
    assert '<label for="new-api-key">New API key</label>' in html
    assert 'class="api-key"' in html
    assert 'size="60"' not in html  # the CSS gives it the row's width and a full height
    # The button is shown by the static script (no inline script, no onclick: the CSP).
    assert 'data-copy="new-api-key"' in html
    assert 'data-copied="Copied"' in html
    assert f'<script src="{static("js/copy.js")}" defer></script>' in html
    assert "onclick" not in html
    assert "<script>" not in html
    listing = client_for(owner).get(KEYS_URL).content.decode()
    assert "copy.js" not in listing  # only with a key to copy


def test_the_api_doc_says_where_the_keys_page_is():
    text = (settings.BASE_DIR / "docs" / "api.md").read_text()
    assert "top right" not in text
    assert "Open **API keys** in the top bar" in text


# --- The list, a keyset page at a time (api.keys.KEYS_ORDER) ---------------------------

KEYS_MADE = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def keys_of_every_kind(owner, admin_user):
    """The rep's keys, newest first, ties on the time: scoped, used, revoked; and another
    user's made by the service for them (as the benchmark scripts do), never theirs to see."""
    made = []
    for i in range(7):
        api_key, _raw = api_key_create(
            user=owner, name=f"key {i}", scopes=["customers:read"] if i % 3 == 0 else ()
        )
        made.append(api_key)
    api_key_revoke(api_key=made[1])
    ApiKey.objects.filter(pk=made[2].pk).update(last_used_at=KEYS_MADE)
    for i, api_key in enumerate(made):
        ApiKey.objects.filter(pk=api_key.pk).update(
            created_at=KEYS_MADE + dt.timedelta(hours=i // 3)
        )
    api_key_create(user=admin_user, name="the admin's")
    return list(ApiKey.objects.filter(user=owner))


def _newest_first(keys):
    return [k.pk for k in sorted(keys, key=lambda k: (k.created_at, k.pk), reverse=True)]


def test_walking_the_keys_shows_each_once_newest_first_in_the_same_queries(
    client_for, owner, keys_of_every_kind, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)

    whole = walk(client, KEYS_URL)
    swapped = walk(client, KEYS_URL, target="api-key-list")

    assert whole.ids == swapped.ids == _newest_first(keys_of_every_kind)
    assert [len(page) for page in whole.pages] == [3, 3, 1]
    assert len(set(whole.queries)) == 1, whole.queries  # the first page and the deepest
    assert len(set(swapped.queries)) == 1, swapped.queries
    assert all("<h1>" not in html and "<table" in html for html in swapped.html)
    html = "".join(whole.html)
    assert "Revoked" in html
    assert "customers:read" in html
    assert "the admin&#x27;s" not in html


def test_a_keys_cursor_not_made_here_shows_the_newest(
    client_for, owner, keys_of_every_kind, settings
):
    settings.CRM_PAGE_SIZE = 3

    assert_cursors_not_ours_show_the_first_page(
        client_for(owner), KEYS_URL, _newest_first(keys_of_every_kind)[:3]
    )


def test_after_creating_a_key_the_list_pages_on(client_for, owner, keys_of_every_kind, settings):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(owner)

    created = client.post(KEYS_URL, {"name": "Newest"})

    page = created.context["page"]
    assert page.items[0].name == "Newest"
    assert f'href="?cursor={page.next_cursor}"' in created.content.decode()
