"""Requests refused before any view (core.middleware) and page numbers past the last one
(core.pagination): a clear 4xx, on pages and in the API's error body."""

import pytest
from django.http import Http404
from django.urls import reverse

from core.pagination import MAX_PAGE, page_number, paginate
from tests.factories import CustomerFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-3", 1),
        ("0", 1),
        ("7", 7),
        (str(MAX_PAGE), MAX_PAGE),
        ("9223372036854775808", MAX_PAGE + 1),
        ("9" * 5000, 1),  # past Python's limit on digits: not a number
    ],
)
def test_page_number(value, expected):
    assert page_number(value) == expected


def test_a_page_past_the_last_possible_one_is_not_found():
    with pytest.raises(Http404):
        paginate(list(range(3)), "9223372036854775808")
    last = paginate(list(range(3)), str(MAX_PAGE), per_page=1)
    assert (last.items, last.has_next) == ([], False)


def test_a_huge_page_number_is_a_404_page(client_for, owner):
    # A list paged by number (the customer list pages by keyset and has no page numbers).
    url = reverse("customers:history", args=[CustomerFactory(owner=owner).pk])
    response = client_for(owner).get(url, {"page": "9223372036854775808"})
    assert response.status_code == 404


def test_a_nul_in_a_query_string_is_a_400_page_saying_why(client_for, owner):
    response = client_for(owner).get(reverse("search"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_in_an_api_query_string_is_a_400_in_the_api_error_body(client_for, owner):
    response = client_for(owner).get("/api/v1/customers/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("path", ["/api/v1/customers/", "/customers/new/"])
def test_a_chunked_body_is_refused_rather_than_read_as_empty(client_for, owner, path):
    response = client_for(owner).post(
        path,
        b'{"name": "Acme"}',
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "length_required"


def test_django_s_own_400s_keep_django_s_page(client, settings):
    # A disallowed host says nothing about our settings to whoever sent it.
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil" not in response.content.decode()
