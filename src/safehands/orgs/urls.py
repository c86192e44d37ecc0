from django.urls import path

from safehands.orgs import read_log_views, views

app_name = "orgs"
urlpatterns = [
    path("<str:code>/", views.org_unit_detail, name="detail"),
    path("<str:code>/members/", views.membership_grant_view, name="membership_grant"),
    path("<str:code>/members/<int:membership_id>/withdraw/", views.membership_revoke_view,
         name="membership_revoke"),
    path("<str:code>/members/reviewed/", views.role_review_view, name="roles_reviewed"),
    path("<str:code>/read-log/", read_log_views.read_log, name="read_log"),
    path("<str:code>/read-log.csv", read_log_views.read_log_csv, name="read_log_csv"),
]
