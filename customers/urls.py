from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/toggle/", views.task_toggle, name="task_toggle"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/merge/", views.customer_merge, name="merge"),
    path("<int:pk>/contacts/", views.customer_contacts, name="contacts"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/activities/", views.customer_activities, name="activities"),
    path("<int:pk>/history/", views.customer_history, name="history"),
]
