"""The API's interactive docs: drf-spectacular's Swagger UI page, under our
Content-Security-Policy."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from a URL (``?script``), not inline, and
    no inline style (templates/api/swagger_ui.html), so the page needs no exception to the
    policy. With ``API_SCHEMA_PUBLIC`` off, someone not signed in is sent to the log-in page
    and back here rather than shown a bare 401."""

    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated) and "script" not in self.request.GET:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
