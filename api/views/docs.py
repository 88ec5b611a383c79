"""The API's OpenAPI document and interactive docs: drf-spectacular's views, the document
kept once made, the Swagger UI page under our Content-Security-Policy."""

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.response import Response

# The document in each language, made on first request, and its text in each format asked
# for (YAML by default, JSON): a process sees one set of views and serializers, so only a
# change of settings (a test's) can change them. At most a few MB: two languages, four
# formats.
_documents: dict[str, dict[str, Any]] = {}
_texts: dict[tuple[str, str], bytes] = {}


@receiver(setting_changed)
def _forget_schemas(**kwargs: Any) -> None:
    _documents.clear()
    _texts.clear()


class SchemaView(SpectacularAPIView):
    """The OpenAPI document (``/api/schema/``), made and written once per process, language
    and format, then kept: making it walks every view and serializer (0.7-1.5 s of CPU),
    writing it as YAML takes 0.15-0.25 s more, and anyone may ask for it
    (``API_SCHEMA_PUBLIC``), so done per request it was the cheapest way to load the
    server. ``?lang=`` names one of the site's languages (``zh`` is Simplified Chinese);
    another is a 400, not a document of its own. DRF's versioning is not used (the version
    is in the path, ``/api/v1/``), so there is no version to key by."""

    @extend_schema(exclude=True)  # as drf-spectacular's own (SERVE_INCLUDE_SCHEMA off)
    def get(self, request, *args, **kwargs):
        asked = request.GET.get("lang")
        if not asked:
            return self._get_schema_response(request)
        try:
            language = translation.get_supported_language_variant(asked)
        except LookupError:
            codes = ", ".join(code for code, _name in settings.LANGUAGES)
            message = _("Unknown language. Use one of: %(codes)s.") % {"codes": codes}
            raise ValidationError({"lang": [message]}) from None
        with translation.override(language):
            return self._get_schema_response(request)

    def _get_schema_response(self, request):
        language = translation.get_language()
        document = _documents.get(language)
        if document is None:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            document = _documents[language] = generator.get_schema(
                request=request, public=self.serve_public
            )
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        headers = {"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'}
        if media_type != renderer.media_type:
            # Parameters of the client's own (JSON's indent=): written for this request only.
            return Response(data=document, headers=headers)
        key = (language, media_type)
        text = _texts.get(key)
        if text is None:
            text = _texts[key] = renderer.render(document, media_type, self.get_renderer_context())
        content_type = (
            f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
        )
        return HttpResponse(text, content_type=content_type, headers=headers)


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
