from __future__ import annotations

from django.urls import path

from . import meeting_views, views

app_name = "safeguarding"
urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:case_id>/sharing/", views.case_sharing, name="case_sharing"),
    path("cases/<int:case_id>/consent/", views.case_consent, name="case_consent"),
    path("cases/<int:case_id>/sharing/<int:agency_id>/revoke/", views.case_unshare, name="case_unshare"),
    path("cases/dashboard/", views.dashboard, name="dashboard"),
    path("cases/<int:case_id>/step/<str:to>/", views.case_step, name="case_step"),
    path("notifications/", views.notifications, name="notifications"),
    path("meetings/contextual/", meeting_views.meeting_contextual, name="meeting_contextual"),
    path("meetings/panel/", meeting_views.meeting_panel, name="meeting_panel"),
    path("meetings/panel/pack.pdf", meeting_views.meeting_panel_pack, name="meeting_panel_pack"),
    path("cases/<int:case_id>/nrm/", meeting_views.case_nrm, name="case_nrm"),
    path("cases/<int:case_id>/investigations/", meeting_views.case_investigations, name="case_investigations"),
]
