"""Routes of the analysis pages and their exports (included by `urls.py`)."""

from __future__ import annotations

from django.urls import URLPattern, path

from safehands.events import analysis_views

urlpatterns: list[URLPattern] = [
    path("units/<str:code>/analysis/", analysis_views.analysis_page, name="analysis"),
    path("units/<str:code>/analysis/<str:table>.csv", analysis_views.analysis_table_csv,
         name="analysis_csv"),
    path("units/<str:code>/analysis.xlsx", analysis_views.analysis_xlsx, name="analysis_xlsx"),
    path("units/<str:code>/analysis/charts/<str:chart>.<str:fmt>",
         analysis_views.analysis_chart, name="analysis_chart"),
]
