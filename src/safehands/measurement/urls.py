from django.urls import path

from safehands.measurement import views

app_name = "measurement"
urlpatterns = [
    path("<str:code>/", views.unit_overview, name="unit"),
    path("<str:code>/dashboard/", views.dashboard, name="dashboard"),
    path("<str:code>/dashboard/<str:part>.<str:fmt>", views.dashboard_download,
         name="dashboard_download"),
    path("<str:code>/entry/", views.data_entry, name="entry"),
    path("<str:code>/enrol/", views.enrol, name="enrol"),
    path("<str:code>/locks/", views.locks, name="locks"),
    path("<str:code>/annotations/", views.annotation_add, name="annotation_add"),
    path("<str:code>/annotations/<int:annotation_id>/delete/", views.annotation_delete,
         name="annotation_delete"),
    path("<str:code>/enrolments/<str:area>/", views.enrolment_detail, name="enrolment"),
    path("<str:code>/target-areas/<str:area>/", views.target_area_view, name="target_area"),
    path("<str:code>/measures/<str:measure>/", views.measure_chart, name="chart"),
    path("<str:code>/measures/<str:measure>/chart.<str:fmt>", views.measure_chart_download,
         name="chart_download"),
    path("<str:code>/rollups/<str:measure>/", views.rollup_chart, name="rollup"),
    path("<str:code>/rollups/<str:measure>/rollup.<str:fmt>", views.rollup_download,
         name="rollup_download"),
    path("<str:code>/audits/<str:measure>/<str:period>/", views.bundle_audit,
         name="bundle_audit"),
]
