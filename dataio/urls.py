from django.urls import path

from . import views

app_name = "dataio"

urlpatterns = [
    path("", views.import_home, name="imports"),
    path("imports/new/<str:kind>/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/errors.csv", views.import_report, name="import_report"),
    path("export/customers.csv", views.export_customers, name="export_customers"),
    path("export/orders.csv", views.export_orders, name="export_orders"),
]
