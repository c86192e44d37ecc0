"""Routes of reporting: the staff form, the public form, the receipt and the follow-up link
(included by `urls.py`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from safehands.events import report_views

urlpatterns: list[URLPattern] = [
    path("report/", report_views.report, name="report"),
    path("public/", report_views.public_report, name="public_report"),
    path("receipt/", report_views.receipt, name="receipt"),
    path("followup/<str:token>/", report_views.followup, name="followup"),
    path("mine/", report_views.mine, name="mine"),
    path("mine/<int:event_id>/", report_views.mine_detail, name="mine_detail"),
]
