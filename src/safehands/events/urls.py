from __future__ import annotations

from safehands.events.analysis_urls import urlpatterns as analysis_urlpatterns

app_name = "events"
urlpatterns = [
    *analysis_urlpatterns,
]
