from django.urls import path

from safehands.orgs import views

app_name = "orgs"
urlpatterns = [
    path("<str:code>/", views.org_unit_detail, name="detail"),
]
