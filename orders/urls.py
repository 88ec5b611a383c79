from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_edit, name="edit"),
    path("<int:pk>/status/<slug:status>/", views.order_set_status, name="set_status"),
    path("<int:pk>/refund/", views.order_refund, name="refund"),
    path("preview/", views.order_preview, name="preview"),
    path("<int:pk>/preview/", views.order_preview, name="edit_preview"),
    path("lines/new/", views.line_row, name="line_row"),
    path("lines/remove/", views.line_remove, name="line_remove"),
    path("customers/suggest/", views.customer_suggest, name="customer_suggest"),
    path("customer/<int:customer_id>/", views.customer_orders, name="customer_orders"),
    path("customer/<int:customer_id>/costs/new/", views.cost_create, name="cost_create"),
    path("costs/<int:pk>/delete/", views.cost_delete, name="cost_delete"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("rates/", views.rate_list, name="rates"),
    path("rates/<int:pk>/edit/", views.rate_edit, name="rate_edit"),
    path("rates/<int:pk>/delete/", views.rate_delete, name="rate_delete"),
]
