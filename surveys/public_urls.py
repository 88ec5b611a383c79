"""Links in survey emails: no login, a signed token in the path."""

from django.urls import path

from . import public_views

app_name = "surveys_public"

urlpatterns = [
    path("<str:signed>/", public_views.respond, name="respond"),
    path("<str:signed>/thanks/", public_views.thanks, name="thanks"),
    path("<str:signed>/unsubscribe/", public_views.unsubscribe, name="unsubscribe"),
]
