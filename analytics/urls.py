from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("metrics/cohorts/", views.cohort_report, name="cohorts"),
]
