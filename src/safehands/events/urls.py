from __future__ import annotations

from django.urls import path

from safehands.events import handling_views, investigation_views
from safehands.events.analysis_urls import urlpatterns as analysis_urlpatterns
from safehands.events.report_urls import urlpatterns as report_urlpatterns

app_name = "events"
urlpatterns = [
    *report_urlpatterns,
    *analysis_urlpatterns,
    # Handling: the work queue, one report and its workflow, the investigation.
    path("units/<str:code>/queue/", handling_views.queue, name="queue"),
    path("<int:event_id>/", handling_views.event_detail, name="event"),
    path("<int:event_id>/step/", handling_views.event_step_view, name="event_step"),
    path("<int:event_id>/notify/", handling_views.event_notify_view, name="event_notify"),
    path("<int:event_id>/messages/", handling_views.event_message_view, name="event_message"),
    path("<int:event_id>/investigation/", investigation_views.investigation_page,
         name="investigation"),
    path("<int:event_id>/investigation/review/", investigation_views.investigation_update_view,
         name="investigation_update"),
    path("<int:event_id>/investigation/timeline/", investigation_views.timeline_add_view,
         name="timeline_add"),
    path("<int:event_id>/investigation/causes/", investigation_views.cause_add_view,
         name="cause_add"),
    path("<int:event_id>/attachments/", investigation_views.attachment_add_view,
         name="attachment_add"),
    path("<int:event_id>/attachments/<int:attachment_id>/",
         investigation_views.attachment_download, name="attachment"),
    path("<int:event_id>/actions/", investigation_views.action_add_view, name="action_add"),
    path("<int:event_id>/actions/<int:action_id>/status/",
         investigation_views.action_status_view, name="action_status"),
]
