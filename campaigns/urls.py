from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_update, name="update"),
    path("<int:pk>/delete/", views.campaign_delete, name="delete"),
    path("<int:pk>/spend/", views.spend_add, name="spend_add"),
    path("<int:pk>/spend/<int:entry_pk>/delete/", views.spend_delete, name="spend_delete"),
]
