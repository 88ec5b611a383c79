from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from core.languages import language_codes
from core.web import render_page, wants_fragment

from . import languages, services
from .forms import PreferencesForm
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


@require_POST
def set_language(request):
    """The language switcher of every page (Django's ``set_language``: the language cookie,
    then back to ``next``), and for a signed-in user also their profile, so the choice
    follows them to other browsers. Anyone may switch: the login page and the public survey
    pages offer it too. A language the site does not speak is a 400, not a silent no-op."""
    language = request.POST.get("language", "")
    if language not in language_codes():
        message = _("“%(language)s” is not a language of this site.") % {"language": language}
        body = render_to_string("400.html", {"message": message}, request=request)
        return HttpResponse(body, status=400)
    response = django_set_language(request)
    if request.user.is_authenticated:
        services.profile_language_set(user=request.user, language=language)
        languages.remember(request, language)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The user's own settings: their language (also set by the switcher of every page)."""
    form = PreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        services.profile_language_set(user=request.user, language=language)
        languages.remember(request, language)
        # The message is read on the next page: in the language just chosen.
        with translation.override(language or translation.get_language()):
            messages.success(request, _("Your preferences are saved."))
        response = redirect("preferences")
        languages.set_cookie(response, language)
        return response
    return render_page(request, "crm/preferences.html", {"form": form})
