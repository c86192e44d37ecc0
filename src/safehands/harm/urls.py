from django.urls import path

from safehands.harm import views

app_name = "harm"
urlpatterns = [
    path("teams/<str:team>/", views.team_detail, name="team"),
    path("teams/<str:team>/rates.csv", views.team_rates_csv, name="team_rates_csv"),
    path("teams/<str:team>/members/", views.member_add, name="member_add"),
    path("teams/<str:team>/settings/", views.team_settings, name="team_settings"),
    path("teams/<str:team>/discharges/", views.discharge_upload, name="discharge_upload"),
    path("teams/<str:team>/sample/", views.sample, name="sample"),
    path("teams/<str:team>/periods/<int:period_id>/", views.period_detail, name="period"),
    path("teams/<str:team>/periods/<int:period_id>/lock/", views.period_lock, name="period_lock"),
    path("teams/<str:team>/records/<str:stay_id>/", views.record_detail, name="record"),
    path("<str:code>/", views.unit_harm, name="unit"),
    path("<str:code>/national/", views.national, name="national"),
    path("<str:code>/teams/", views.team_create, name="team_create"),
]
