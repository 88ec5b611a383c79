from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/audience/", views.survey_audience, name="audience"),
    path("<int:pk>/send/", views.survey_send, name="send"),
    path("<int:pk>/progress/", views.survey_progress, name="progress"),
    path("<int:pk>/retry/", views.survey_retry, name="retry"),
    path("<int:pk>/close/", views.survey_close, name="close"),
    path("<int:pk>/comments/", views.survey_comments, name="comments"),
    path("<int:pk>/export.csv", views.survey_export, name="export"),
    path("customer/<int:customer_id>/", views.customer_surveys, name="customer_surveys"),
]
