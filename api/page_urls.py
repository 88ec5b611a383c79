"""The browser pages of the API: a user's API keys, and the webhooks (admins)."""

from django.urls import path

from .views import pages

app_name = "api_pages"

urlpatterns = [
    path("api-keys/", pages.api_keys, name="keys"),
    path("api-keys/<int:pk>/revoke/", pages.api_key_revoke, name="key_revoke"),
    path("webhooks/", pages.webhook_list, name="webhooks"),
    path("webhooks/new/", pages.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", pages.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", pages.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", pages.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
        pages.delivery_retry,
        name="delivery_retry",
    ),
]
