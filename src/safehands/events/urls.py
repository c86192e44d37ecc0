from __future__ import annotations

from safehands.events.analysis_urls import urlpatterns as analysis_urlpatterns
from safehands.events.report_urls import urlpatterns as report_urlpatterns

app_name = "events"
urlpatterns = [
    *report_urlpatterns,
    *analysis_urlpatterns,
]
