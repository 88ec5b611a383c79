from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("customers/", include("customers.urls")),
    path("orders/", include("orders.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("surveys/", include("surveys.urls")),
    path("s/", include("surveys.public_urls")),
    path("search/", views.search, name="search"),
    path("data/", include("dataio.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]
