from django.urls import path

from . import views_admin, views_customer

app_name = "metrics"

urlpatterns = [
    path(
        "customers/<int:customer_id>/value/",
        views_customer.customer_value,
        name="customer_value",
    ),
    path(
        "customers/<int:customer_id>/value/summary/",
        views_customer.customer_summary,
        name="customer_summary",
    ),
    path(
        "customers/<int:customer_id>/value/status/",
        views_customer.customer_recalc_status,
        name="customer_recalc_status",
    ),
    path("call-next/", views_customer.call_next, name="call_next"),
    path("detractors/", views_customer.detractors, name="detractors"),
    path("", views_admin.index, name="index"),
    path("recalculate/", views_admin.recalculate, name="recalculate"),
    path("runs/<int:pk>/progress/", views_admin.run_progress, name="run_progress"),
    path("settings/", views_admin.settings_save, name="settings"),
    path("health/", views_admin.health_page, name="health"),
    path("methodology/", views_admin.methodology, name="methodology"),
]
