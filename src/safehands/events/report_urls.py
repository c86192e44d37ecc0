"""Routes of reporting: the staff form, the public form, the receipt and the follow-up link
(included by `urls.py`)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
