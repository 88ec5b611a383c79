from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from core.web import render_page, wants_fragment

from .search import MIN_LENGTH, global_search

# The id of the top bar's results dropdown (templates/base.html).
SEARCH_DROPDOWN = "global-search-results"


@login_required
def search(request):
    """The full results page; the top bar's search-as-you-type gets the dropdown fragment."""
    results = global_search(user=request.user, query=request.GET.get("q", ""))
    partial = None
    if wants_fragment(request):
        partial = "dropdown" if request.htmx.target == SEARCH_DROPDOWN else "results"
    context = {"results": results, "min_length": MIN_LENGTH}
    return render_page(request, "search.html", context, partial=partial)


def healthz(request):
    """For load balancers: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers and tools ask for /favicon.ico whatever the page links: send them to the
    icon in the static files (base.html links it, and its SVG twin, itself)."""
    return redirect(static("img/favicon.ico"), permanent=True)
