from django.urls import path

from safehands.assessment import views

app_name = "assessment"
urlpatterns = [
    path("instruments/", views.instrument_list_view, name="instrument_list"),
    path("instruments/<str:code>/", views.instrument_detail, name="instrument_detail"),
    path("instruments/<str:code>/questionnaire.json", views.instrument_questionnaire,
         name="instrument_questionnaire"),
    path("units/<str:code>/", views.unit_overview, name="unit"),
    path("units/<str:code>/start/", views.assessment_start_view, name="start"),
    path("units/<str:code>/actions/", views.action_plan, name="action_plan"),
    path("units/<str:code>/actions/new/", views.action_new, name="action_new"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/rate/", views.assessment_rate, name="rate"),
    path("<int:pk>/team/", views.assessment_invite, name="invite"),
    path("<int:pk>/import/", views.assessment_import, name="import"),
    path("<int:pk>/consensus/", views.assessment_consensus, name="consensus"),
    path("<int:pk>/report/", views.assessment_report_view, name="report"),
    path("<int:pk>/report.csv", views.assessment_report_csv, name="report_csv"),
    path("<int:pk>/questionnaire-response.json", views.assessment_response_json,
         name="response_json"),
    path("actions/<int:pk>/status/", views.action_status, name="action_status"),
]
