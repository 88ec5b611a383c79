"""The browser-side defences every response carries: the Content-Security-Policy (django-csp,
``settings.CONTENT_SECURITY_POLICY``) and the Permissions-Policy (``core.headers``); and pages
that need no exception to the policy: no inline script, no ``on*=""`` handler, no inline style.
``test_csp_browser.py`` loads some of them in Chromium and checks it reports no violation."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.headers import permissions_policy
from tests.core.test_pages import PAGES, World, _arguments

# What a page must not contain for the policy to leave it whole; (what, pattern).
INLINE = [
    # JSON data blocks (json_script) are not run, so the policy does not refuse them.
    ("an inline <script>", re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)", re.I)),
    ('an on*="" handler', re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)),
    # htmx runs hx-on code with eval, which the policy (and allowEval: false) refuses.
    ("an hx-on handler", re.compile(r"<[a-z][^>]*\s(?:data-)?hx-on", re.I)),
    ("a <style> element", re.compile(r"<style\b", re.I)),
    ('a style="" attribute', re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
]


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _problems(response):
    problems = []
    if "Content-Security-Policy" not in response:
        problems.append("no Content-Security-Policy")
    if "Permissions-Policy" not in response:
        problems.append("no Permissions-Policy")
    if response.get("Content-Type", "").startswith("text/html"):
        body = response.content.decode()
        problems += [what for what, pattern in INLINE if pattern.search(body)]
    return problems


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_policy_allows_only_our_own_scripts_styles_and_forms(client):
    header = client.get(reverse("login"))["Content-Security-Policy"]
    assert _directives(header) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    }
    assert "unsafe" not in header


def test_every_page_sends_both_policies_and_needs_no_inline_code(
    client_for, admin_user, django_capture_on_commit_callbacks
):
    client = client_for(admin_user)
    world = World(admin_user, client, django_capture_on_commit_callbacks)
    failures = []
    for name, arguments in PAGES.items():
        url = reverse(name, kwargs=_arguments(arguments, world))
        response = client.get(url)
        failures += [f"{name} {url}: {problem}" for problem in _problems(response)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/no-such-page/",
        "/search/?q=a%00b",
        "/api/v1/customers/",
        "/api/schema/",
        "/api/docs/",
        "/healthz",
    ],
)
def test_other_answers_carry_them_too(client, db, path):
    """Anonymous pages, errors, the API and its docs: the middleware sets them everywhere."""
    assert _problems(client.get(path)) == []


def test_django_admin_pages_need_no_exception_either(client_for, admin_user):
    client = client_for(admin_user)
    for url in (reverse("admin:index"), reverse("admin:customers_customer_add")):
        assert _problems(client.get(url)) == [], url


def test_permissions_policy_switches_off_what_no_page_uses(client, db):
    header = client.get(reverse("login"))["Permissions-Policy"]
    features = dict(part.strip().split("=") for part in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()"


def test_permissions_policy_keeps_a_header_a_view_set(settings):
    settings.PERMISSIONS_POLICY = "camera=()"
    request = RequestFactory().get("/")

    def own_policy(request):
        response = HttpResponse()
        response["Permissions-Policy"] = "camera=(self)"
        return response

    assert permissions_policy(own_policy)(request)["Permissions-Policy"] == "camera=(self)"
    assert permissions_policy(lambda request: HttpResponse())(request)["Permissions-Policy"] == (
        "camera=()"
    )
