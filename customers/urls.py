from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("<int:pk>/", views.customer_detail, name="detail"),
]
