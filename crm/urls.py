from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", include("analytics.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("customers/", include("customers.urls")),
    path("orders/", include("orders.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("surveys/", include("surveys.urls")),
    path("metrics/", include("metrics.urls")),
    path("s/", include("surveys.public_urls")),
    path("search/", views.search, name="search"),
    # Django's set_language (django.conf.urls.i18n), wrapped to remember a user's choice.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("settings/preferences/", views.preferences, name="preferences"),
    path("data/", include("dataio.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/", include("api.urls")),
    path("settings/", include("api.page_urls")),
]

# JSON errors under /api/, Django's pages elsewhere.
handler400 = "api.errors.bad_request"
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
