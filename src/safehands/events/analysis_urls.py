"""Routes of the analysis pages and their exports (included by `urls.py`)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
