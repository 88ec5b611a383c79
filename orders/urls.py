from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("customer/<int:customer_id>/", views.customer_orders, name="customer_orders"),
]
