from django.urls import path

from safehands.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.programme_list_view, name="programme_list"),
    path("programmes/<str:code>/", views.programme_detail, name="programme_detail"),
    path("target-areas/<str:code>/", views.target_area_detail, name="target_area_detail"),
    path("action-plans/", views.action_plan_list_view, name="action_plan_list"),
    path("action-plans/<str:code>/", views.action_plan_detail, name="action_plan_detail"),
]
