"""The site's icon: every page links it, and /favicon.ico (asked by browsers and tools
whatever the page links) no longer answers 404."""

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert reverse("favicon") == "/favicon.ico"
    assert response.status_code == 301
    assert response.url == static("img/favicon.ico")
    assert "max-age=86400" in response["Cache-Control"]


def test_the_icons_are_real_files():
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        header = icon.read(6)
    assert header == b"\x00\x00\x01\x00\x01\x00"  # an ICO with one image
    with open(finders.find("img/favicon.svg"), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg ")


def test_every_page_links_the_icon(client_for, owner):
    for page in (
        client_for(None).get(reverse("login")),
        client_for(owner).get(reverse("customers:list")),
    ):
        html = page.content.decode()
        assert f'<link rel="icon" href="{static("img/favicon.ico")}"' in html
        assert f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">' in html
