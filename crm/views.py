from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse

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
