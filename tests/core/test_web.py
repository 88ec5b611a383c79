"""core.web, the one web layer: pages and fragments, permissions, service errors, redirects."""

from types import SimpleNamespace

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django_htmx.middleware import HtmxDetails

from core.pagination import Page
from core.web import add_service_errors, permission_required, redirect_after, render_page

HTMX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def _request(rf, user, headers=None):
    request = rf.get("/search/", headers=headers or {})
    request.user = user
    request.htmx = HtmxDetails(request)
    return request


class NameForm(forms.Form):
    name = forms.CharField()


def _bound_form():
    form = NameForm({"name": "Acme"})
    assert form.is_valid()
    return form


def test_service_errors_go_on_the_field_they_name():
    form = _bound_form()
    add_service_errors(form, ValidationError({"name": "Taken."}))
    assert form.errors == {"name": ["Taken."]}


def test_a_field_the_form_lacks_goes_on_the_whole_form():
    """A service may check a field the form does not show: no crash, the message shows."""
    form = _bound_form()
    add_service_errors(form, ValidationError({"owner": "Only managers can reassign."}))
    assert form.non_field_errors() == ["Only managers can reassign."]
    assert "owner" not in form.errors


def test_an_error_without_a_field_goes_on_the_whole_form():
    form = _bound_form()
    add_service_errors(form, ValidationError(["Closed.", "Try later."]))
    assert form.non_field_errors() == ["Closed.", "Try later."]


@permission_required("customers.view_customer", "customers.change_customer")
def _guarded(request):
    return HttpResponse("ok")


def test_permission_required_sends_anonymous_users_to_log_in(rf):
    response = _guarded(_request(rf, AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_permission_required_is_a_403_without_every_permission(rf, outsider, owner):
    with pytest.raises(PermissionDenied):
        _guarded(_request(rf, outsider))
    assert _guarded(_request(rf, owner)).status_code == 200


def _search_page(rf, user, headers=None):
    results = SimpleNamespace(query="zz", searched=True, empty=True)
    context = {"results": results, "min_length": 2}
    return render_page(_request(rf, user, headers), "search.html", context, partial="results")


@pytest.mark.parametrize(("headers", "whole_page"), [(None, True), (HTMX, False), (RESTORE, True)])
def test_render_page_gives_the_fragment_to_a_swap_only(rf, owner, headers, whole_page):
    response = _search_page(rf, owner, headers)
    body = response.content.decode()
    assert "Nothing matches" in body
    assert ("<html" in body) is whole_page
    assert "HX-Request" in response["Vary"]


def test_redirect_after_a_write(rf, owner):
    assert redirect_after(_request(rf, owner), "/customers/").status_code == 302
    response = redirect_after(_request(rf, owner, HTMX), "/customers/")
    assert response["HX-Redirect"] == "/customers/"


def test_the_pager_keeps_the_query_string_and_changes_only_the_page(rf):
    request = rf.get("/customers/", {"search": "a&b", "sort": "-name", "page": "2"})
    page = Page(items=[], number=2, has_next=True)
    html = render_to_string("partials/pager.html", {"page": page, "target": "#x"}, request)
    previous = "?search=a%26b&amp;sort=-name&amp;page=1"
    assert f'href="{previous}" hx-get="{previous}"' in html
    assert 'href="?search=a%26b&amp;sort=-name&amp;page=3"' in html
