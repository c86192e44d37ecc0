from django.urls import path

from safehands.culture import views

app_name = "culture"
urlpatterns = [
    path("instruments/", views.instrument_list, name="instruments"),
    path("instruments/define/", views.instrument_define, name="instrument_define"),
    path("instruments/<str:code>/", views.instrument_detail, name="instrument"),
    path("instruments/<str:code>/questionnaire.json", views.instrument_questionnaire,
         name="instrument_questionnaire"),
    path("instruments/<str:code>/wording/", views.instrument_wording,
         name="instrument_wording"),
    path("units/<str:code>/", views.unit_rounds, name="unit"),
    path("units/<str:code>/rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:round_id>/", views.round_detail, name="round"),
    path("rounds/<int:round_id>/invitations/", views.round_invite, name="round_invite"),
    path("rounds/<int:round_id>/remind/", views.round_remind, name="round_remind"),
    path("rounds/<int:round_id>/import/", views.round_import, name="round_import"),
    path("rounds/<int:round_id>/close/", views.round_close, name="round_close"),
    path("rounds/<int:round_id>/units/<str:code>/", views.unit_results, name="results"),
    path("rounds/<int:round_id>/units/<str:code>/plan/", views.unit_plan, name="plan"),
    path("rounds/<int:round_id>/units/<str:code>/results.csv", views.unit_results_csv,
         name="results_csv"),
    path("rounds/<int:round_id>/units/<str:code>/responses.fhir.json",
         views.unit_responses_fhir, name="responses_fhir"),
    path("answer/<str:token>/", views.answer_invitation, name="answer"),
    path("r/<str:link_token>/", views.join_round, name="join"),
    path("r/<str:link_token>/<str:join_code>/", views.join_answer, name="join_answer"),
    path("thanks/", views.thanks, name="thanks"),
]
